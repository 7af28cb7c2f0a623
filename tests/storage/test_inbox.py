"""The inbox's bookkeeping: the ids of updates already answered, kept in SQLite so that an
update answered just before a crash is not answered again after the restart; forgotten once
Telegram has confirmed it, or after a day, when Telegram has forgotten it too. Only ids and
times are written: never a word of the message. A real SQLite file, or a real PostgreSQL
database, reopened as after a crash: each test runs on both."""

from __future__ import annotations

from bot.storage.database import Database
from bot.storage.inbox import HandledUpdatesRepo
from tests.storage.engines import columns_of, db_target  # noqa: F401 (db_target: a fixture)

T0 = 1_800_000_000.0
DAY = 24 * 3600.0


async def test_marked_updates_are_there_after_a_restart(db_target):
    db = await Database.open(db_target)
    inbox = HandledUpdatesRepo(db)
    for update_id in (501, 502, 503):
        await inbox.mark(update_id, T0)
    await db.close()  # the bot stops (or crashes) before confirming them to Telegram

    db = await Database.open(db_target)
    try:
        assert await HandledUpdatesRepo(db).load(T0 + 60) == {501, 502, 503}
    finally:
        await db.close()


async def test_an_update_marked_twice_is_one_row_with_its_first_time(db):
    inbox = HandledUpdatesRepo(db)
    await inbox.mark(7, T0)
    await inbox.mark(7, T0 + 100)
    assert [tuple(row) for row in await db.fetchall("SELECT update_id, handled_at FROM handled_updates")] == [(7, T0)]


async def test_confirmed_updates_are_forgotten_and_the_rest_kept(db):
    inbox = HandledUpdatesRepo(db)
    for update_id in (10, 11, 12, 13):
        await inbox.mark(update_id, T0)
    await inbox.forget_below(12)  # Telegram was asked for offset 12: it confirmed 10 and 11
    assert await inbox.load(T0) == {12, 13}


async def test_rows_older_than_a_day_are_deleted_when_loaded(db):
    inbox = HandledUpdatesRepo(db)
    await inbox.mark(1, T0)
    await inbox.mark(2, T0 + 10)
    assert await inbox.load(T0 + DAY) == {1, 2}  # exactly a day, as long as Telegram keeps it: still kept
    assert await inbox.load(T0 + DAY + 5) == {2}
    rows = await db.fetchall("SELECT update_id FROM handled_updates")
    assert [row[0] for row in rows] == [2]  # deleted, not only left out


async def test_forgetting_by_age_keeps_the_recent_ones(db):
    """Webhook mode confirms nothing by offset: the inbox forgets by age instead."""
    inbox = HandledUpdatesRepo(db)
    await inbox.mark(1, T0)
    await inbox.mark(2, T0 + 50)
    await inbox.forget_older(T0 + 50)
    assert await inbox.load(T0 + 60) == {2}


async def test_the_table_holds_only_ids_and_times(db):
    integer, real = ("INTEGER", "REAL") if db.engine == "sqlite" else ("bigint", "double precision")
    assert await columns_of(db, "handled_updates") == {"update_id": integer, "handled_at": real}


async def test_an_empty_inbox_loads_as_nothing(db):
    assert await HandledUpdatesRepo(db).load(T0) == set()
