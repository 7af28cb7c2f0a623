"""The inbox's bookkeeping: the ids of updates already answered, kept in SQLite so that an
update answered just before a crash is not answered again after the restart; forgotten once
Telegram has confirmed it, or after a day, when Telegram has forgotten it too. Only ids and
times are written: never a word of the message. A real SQLite file, reopened as after a crash."""

from __future__ import annotations

from bot.storage.database import Database
from bot.storage.inbox import HandledUpdatesRepo

T0 = 1_800_000_000.0
DAY = 24 * 3600.0


async def test_marked_updates_are_there_after_a_restart(db_path):
    db = await Database.open(db_path)
    inbox = HandledUpdatesRepo(db)
    for update_id in (501, 502, 503):
        await inbox.mark(update_id, T0)
    await db.close()  # the bot stops (or crashes) before confirming them to Telegram

    db = await Database.open(db_path)
    try:
        assert await HandledUpdatesRepo(db).load(T0 + 60) == {501, 502, 503}
    finally:
        await db.close()


async def test_an_update_marked_twice_is_one_row_with_its_first_time(db):
    inbox = HandledUpdatesRepo(db)
    await inbox.mark(7, T0)
    await inbox.mark(7, T0 + 100)
    async with db.conn.execute("SELECT update_id, handled_at FROM handled_updates") as cur:
        assert [tuple(row) for row in await cur.fetchall()] == [(7, T0)]


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
    async with db.conn.execute("SELECT update_id FROM handled_updates") as cur:
        assert [row[0] for row in await cur.fetchall()] == [2]  # deleted, not only left out


async def test_forgetting_by_age_keeps_the_recent_ones(db):
    """Webhook mode confirms nothing by offset: the inbox forgets by age instead."""
    inbox = HandledUpdatesRepo(db)
    await inbox.mark(1, T0)
    await inbox.mark(2, T0 + 50)
    await inbox.forget_older(T0 + 50)
    assert await inbox.load(T0 + 60) == {2}


async def test_the_table_holds_only_ids_and_times(db):
    async with db.conn.execute("PRAGMA table_info(handled_updates)") as cur:
        assert {row["name"]: row["type"] for row in await cur.fetchall()} == {
            "update_id": "INTEGER", "handled_at": "REAL"}


async def test_an_empty_inbox_loads_as_nothing(db):
    assert await HandledUpdatesRepo(db).load(T0) == set()
