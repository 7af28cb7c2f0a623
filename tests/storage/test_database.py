"""The database: how SQLite's connection is opened (WAL, foreign keys, a short busy timeout,
secure delete), what a fault at start looks like (a clear `DatabaseUnavailable`, nothing left
running), the checkpoint that empties the WAL, and `best_effort`, which turns a storage fault
on the answer path into None and one log line. Every fault is one SQLite really reports.
Then the storage API on both engines (`db`: SQLite and a real PostgreSQL): placeholders, rows,
the rows changed, fetchval, the functions the repositories' SQL uses; PostgreSQL's own faults
are in test_postgres.py."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import time

import aiosqlite
import pytest

from bot.storage import ChecksRepo, Database, UsersRepo
from bot.storage.database import BUSY_TIMEOUT_MS, DatabaseUnavailable, SqliteDatabase, best_effort
from tests.storage.verdicts import verdict


async def pragma(db: Database, name: str):
    async with db.conn.execute(f"PRAGMA {name}") as cur:
        return (await cur.fetchone())[0]


def sqlite_threads() -> int:
    """aiosqlite's worker threads still alive (a leaked one keeps the process from exiting)."""
    return sum(1 for t in threading.enumerate()
               if "_connection_worker" in t.name or isinstance(t, aiosqlite.Connection))


async def test_open_creates_the_folder_and_configures_the_connection(db_path):
    assert not db_path.parent.exists()
    db = await Database.open(db_path)
    try:
        assert db_path.is_file() and db.path == db_path
        assert await pragma(db, "journal_mode") == "wal"
        assert await pragma(db, "foreign_keys") == 1
        assert await pragma(db, "busy_timeout") == BUSY_TIMEOUT_MS
        assert await pragma(db, "secure_delete") == 1
        assert await pragma(db, "synchronous") == 1  # NORMAL
    finally:
        await db.close()


@pytest.mark.parametrize(("lang", "region"), [("kk", "turkistan"), ("ru", "pavlodar")])
async def test_what_was_written_is_there_after_a_reopen(db_path, lang, region):
    db = await Database.open(db_path)
    users = UsersRepo(db)
    await users.touch(1)
    await users.set_language(1, lang)
    await users.set_region(1, region)
    await db.close()
    db = await Database.open(db_path)
    try:
        record = await UsersRepo(db).touch(1)
        assert (record.language, record.region) == (lang, region)
    finally:
        await db.close()


async def test_a_folder_that_cannot_be_made_fails_with_the_path_and_what_to_do(tmp_path):
    blocker = tmp_path / "data"
    blocker.write_text("a file where the folder should be")
    path = blocker / "saqbol.db"
    with pytest.raises(DatabaseUnavailable) as failed:
        await Database.open(path)
    message = str(failed.value)
    assert str(path) in message and "DATABASE_PATH" in message and "start the bot again" in message


async def settled_threads() -> int:
    """The count once the worker threads of connections closed by earlier tests have ended (they
    end shortly after close; on a loaded machine one may still be alive when the next test
    starts, and would vanish in the middle of its count)."""
    for _ in range(100):
        if sqlite_threads() == 0:
            break
        await asyncio.sleep(0.02)
    return sqlite_threads()


async def test_a_file_that_is_not_a_database_fails_clearly_and_leaves_no_thread_running(db_path):
    threads = await settled_threads()
    good = await Database.open(db_path.with_name("good.db"))
    assert sqlite_threads() == threads + 1  # the count sees an open connection's thread
    await good.close()
    db_path.write_bytes(b"this is a backup script, not SQLite " * 200)
    await asyncio.sleep(0.05)
    threads = sqlite_threads()
    with pytest.raises(DatabaseUnavailable, match="not a database") as failed:
        await Database.open(db_path)
    assert str(db_path) in str(failed.value)
    for _ in range(50):  # the worker thread ends shortly after close
        if sqlite_threads() == threads:
            break
        await asyncio.sleep(0.02)
    assert sqlite_threads() == threads
    assert db_path.read_bytes().startswith(b"this is a backup script")  # not overwritten


async def test_foreign_keys_are_on_so_a_deleted_users_checks_go_with_them(db):
    users, checks = UsersRepo(db), ChecksRepo(db)
    await users.touch(5)
    await checks.add(5, "Назовите код из SMS", "text", verdict("ru"))
    await checks.add(5, "SMS-кодты айтыңыз", "text", verdict("kk"))
    assert await db.execute("DELETE FROM users WHERE id = ?", (5,)) == 1
    assert await db.fetchval("SELECT count(*) FROM checks") == 0  # on SQLite only with foreign_keys=ON


async def test_a_checkpoint_empties_the_wal_into_the_file(sqlite_db, db_path):
    db = sqlite_db
    await UsersRepo(db).touch(1)
    wal = db_path.with_name(db_path.name + "-wal")
    assert wal.exists() and wal.stat().st_size > 0
    await db.checkpoint()
    assert wal.stat().st_size == 0
    assert await UsersRepo(db).touch(1) is not None


async def test_a_checkpoint_blocked_by_a_reader_says_so_and_completes_later(sqlite_db, db_path, caplog):
    db = sqlite_db
    await UsersRepo(db).touch(1)
    await db.conn.execute("PRAGMA busy_timeout=50")  # the checkpoint waits this long for the reader
    reader = sqlite3.connect(db_path, isolation_level=None)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM users").fetchone()  # a snapshot that needs the WAL
        await UsersRepo(db).touch(2)
        await db.checkpoint()
        assert any("incomplete" in r.getMessage() for r in caplog.records)
    finally:
        reader.close()
    await db.checkpoint()
    assert db_path.with_name(db_path.name + "-wal").stat().st_size == 0


async def test_best_effort_passes_the_result_through_when_storage_works(db):
    record = await best_effort(UsersRepo(db).touch(3), "touch")
    assert record is not None and record.id == 3


async def test_best_effort_answers_none_and_logs_once_when_another_program_holds_the_lock(sqlite_db, db_path, caplog):
    db = sqlite_db
    holder = sqlite3.connect(db_path, timeout=0, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # an admin's sqlite3 shell, a backup
    try:
        started = time.monotonic()
        result = await best_effort(UsersRepo(db).touch(4), "touch of user 4")
        waited = time.monotonic() - started
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result is None
    assert waited < BUSY_TIMEOUT_MS / 1000 + 1.5
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "touch of user 4" in warnings[0] and "locked" in warnings[0]
    assert (await UsersRepo(db).touch(4)).id == 4  # the lock is gone: storage works again


async def test_best_effort_gives_up_after_its_timeout_when_storage_is_slow(sqlite_db, db_path, caplog):
    db = sqlite_db
    holder = sqlite3.connect(db_path, timeout=0, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        started = time.monotonic()
        result = await best_effort(UsersRepo(db).touch(4), "touch", timeout=0.1)
        waited = time.monotonic() - started
    finally:
        holder.execute("ROLLBACK")  # the abandoned statement then gets the lock and finishes
        holder.close()
    assert result is None and waited < 0.9
    assert any("timed out" in r.getMessage() for r in caplog.records)


async def test_best_effort_answers_none_when_the_database_is_full(sqlite_db, caplog):
    db = sqlite_db
    await UsersRepo(db).touch(1)
    await db.conn.execute(f"PRAGMA max_page_count={await pragma(db, 'page_count')}")  # as a full disk
    try:
        text = "Перевод 500 000 тенге на безопасный счёт " * 200
        assert await best_effort(ChecksRepo(db).add(1, text, "text", verdict()), "check") is None
    finally:
        await db.conn.execute("PRAGMA max_page_count=1073741823")
    assert any("full" in r.getMessage() for r in caplog.records)


async def test_best_effort_answers_none_on_a_read_only_connection(sqlite_db, db_path, caplog):
    """As a disk remounted read-only under a running bot (a chmod would not do: the open file stays
    writable)."""
    conn = await aiosqlite.connect(f"file:{db_path}?mode=ro", uri=True, isolation_level=None)
    conn.row_factory = aiosqlite.Row
    read_only = SqliteDatabase(conn, db_path)
    try:
        assert await best_effort(UsersRepo(read_only).touch(9), "touch") is None
    finally:
        await read_only.conn.close()
    assert any("readonly" in r.getMessage() for r in caplog.records)


async def test_best_effort_answers_none_on_a_closed_database(db_path, caplog):
    db = await Database.open(db_path)
    await db.close()
    assert await best_effort(UsersRepo(db).touch(1), "touch") is None
    assert any("storage fault" in r.getMessage() for r in caplog.records)


async def test_best_effort_does_not_hide_a_bug(db):
    """Only storage faults are absorbed: a programming error must reach the error handler."""
    with pytest.raises(AttributeError):
        await best_effort(ChecksRepo(db).add(1, "Назовите код", "text", None), "check")  # type: ignore[arg-type]


# The storage API on both engines (`db` runs each test on SQLite and on a real PostgreSQL):
# the repositories' SQL is written once, so what it returns must be the same on either.

TEXTS = {"kk": "Картаңыз бұғатталды? Кодты айтыңыз", "ru": "Ваша карта заблокирована? Назовите код"}


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_question_marks_are_placeholders_but_not_inside_quoted_text(db, lang):
    """A `?` in a string literal is text, not a parameter: only the bare ones are rewritten."""
    changed = await db.execute(
        "INSERT INTO audit (actor_id, action, detail, created_at) VALUES (?, 'asked?', ?, ?)",
        (7, TEXTS[lang], 1.5))
    assert changed == 1
    row = await db.fetchone("SELECT actor_id, action, detail, created_at FROM audit WHERE detail = ? -- why?",
                            (TEXTS[lang],))
    assert tuple(row) == (7, "asked?", TEXTS[lang], 1.5)
    assert await db.fetchval("SELECT 'сұрақ?' || CAST(? AS TEXT)", ("вопрос?",)) == "сұрақ?вопрос?"


async def test_numbered_placeholders_may_repeat_one_argument(db):
    await db.executemany("INSERT INTO users (id, language, created_at, seen_at) VALUES (?, ?, ?, ?)",
                         [(1, "kk", 1.0, 1.0), (2, "ru", 2.0, 2.0), (3, "kk", 3.0, 3.0)])
    rows = await db.fetchall("SELECT id FROM users WHERE language = ?1 AND (id = ?2 OR seen_at > ?2) ORDER BY id",
                             ("kk", 1))
    assert [row["id"] for row in rows] == [1, 3]


async def test_execute_answers_the_rows_it_changed_and_nothing_for_a_select(db):
    rows = [(n, 1.0 * n, 1.0 * n) for n in range(1, 6)]
    assert await db.executemany("INSERT INTO users (id, created_at, seen_at) VALUES (?, ?, ?)", rows) == 5
    assert await db.execute("UPDATE users SET region = ? WHERE id > ?", ("almaty", 2)) == 3
    assert await db.execute("UPDATE users SET region = ? WHERE id > ?", ("almaty", 99)) == 0
    assert await db.execute("INSERT INTO users (id, created_at, seen_at) VALUES (?, ?, ?) "
                            "ON CONFLICT (id) DO NOTHING", (1, 9.0, 9.0)) == 0
    assert await db.executemany("INSERT INTO users (id, created_at, seen_at) VALUES (?, ?, ?) "
                                "ON CONFLICT (id) DO NOTHING", [(1, 9.0, 9.0), (6, 6.0, 6.0)]) == 1
    assert await db.executemany("DELETE FROM users WHERE id = ?", []) == 0
    assert await db.execute("SELECT id FROM users") == 0
    assert await db.execute("DELETE FROM users WHERE id <= ?", (2,)) == 2
    assert await db.fetchval("SELECT count(*) FROM users") == 4


async def test_rows_read_by_name_and_by_position_and_a_missing_row_is_none(db):
    new_id = await db.fetchval(
        "INSERT INTO broadcasts (author_id, text_kk, text_ru, regions, status, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?) RETURNING id", (5_000_000_001, TEXTS["kk"], TEXTS["ru"], "national", "pending", 2.5))
    row = await db.fetchone("SELECT id, author_id, text_kk, text_ru, scheme FROM broadcasts WHERE id = ?", (new_id,))
    assert row["author_id"] == row[1] == 5_000_000_001  # a Telegram id past 32 bits
    assert (row["text_kk"], row["text_ru"], row["scheme"]) == (TEXTS["kk"], TEXTS["ru"], None)
    assert dict(row)["id"] == new_id and len(tuple(row)) == 5
    assert await db.fetchone("SELECT id FROM broadcasts WHERE id = ?", (new_id + 1,)) is None
    assert await db.fetchall("SELECT id FROM broadcasts WHERE id = ?", (new_id + 1,)) == []
    assert await db.fetchval("SELECT scheme FROM broadcasts WHERE id = ?", (new_id + 1,)) is None
    assert await db.fetchval("SELECT scheme FROM broadcasts WHERE id = ?", (new_id,)) is None


async def test_sums_and_averages_read_as_sqlite_gives_them_never_as_decimals(db):
    await db.executemany("INSERT INTO users (id, subscribed, created_at, seen_at) VALUES (?, ?, ?, ?)",
                         [(1, 1, 1.0, 1.0), (2, 1, 2.0, 2.0), (4, 0, 3.0, 3.0)])
    total, mean, subscribed = tuple(await db.fetchone("SELECT sum(id), avg(id), sum(subscribed) FROM users"))
    assert (total, subscribed) == (7, 2) and type(total) is int and type(subscribed) is int
    assert mean == pytest.approx(7 / 3) and type(mean) is float


async def test_the_functions_the_repositories_use_answer_the_same_on_both_engines(db):
    moment = 1_796_000_000.5
    from bot.storage.database import kz_day
    assert await db.fetchval("SELECT kz_day(?)", (moment,)) == kz_day(moment)
    assert await db.fetchval("SELECT kz_day(?)", (moment - 86400,)) == kz_day(moment) - 1
    assert await db.fetchval("SELECT greatest(CAST(? AS DOUBLE PRECISION), ?, 3)", (1.5, None)) == 3
    assert await db.fetchval("SELECT least(CAST(? AS DOUBLE PRECISION), 2)", (None,)) == 2
    assert await db.fetchval("SELECT strpos(CAST(? AS TEXT), ':')", ("reject:спам",)) == 7


async def test_best_effort_on_either_engine_passes_results_and_absorbs_a_closed_database(db, caplog):
    assert await best_effort(db.fetchval("SELECT count(*) FROM users"), "count") == 0
    await db.close()
    assert await best_effort(db.execute("DELETE FROM users"), "delete on a closed database") is None
    assert any("delete on a closed database" in r.getMessage() for r in caplog.records)
