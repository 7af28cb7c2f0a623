"""Schema migrations: versioned in SQLite's user_version, applied in order, each once, each in
a transaction, on an empty file and on a file left at any older version by an earlier release,
and a no-op on every later start. Real files throughout: a file "at version N" is made the way
release N made it, by running the first N migrations."""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import time
from pathlib import Path

import pytest

from bot.storage import database as database_module
from bot.storage.database import Database, DatabaseUnavailable
from bot.storage.migrations import MIGRATIONS

TABLES = {"users", "checks", "feedback", "officers", "audit", "subscriptions", "broadcasts", "deliveries",
          "handled_updates", "conversations", "reports", "identifier_reviews", "review_items", "reviewed_examples",
          "notices", "check_counts", "waves", "wave_members", "wave_watchers", "panel_links", "panel_sessions",
          "send_journal"}

# The released migrations, by content. A release has put each of these into somebody's file, so
# editing one would leave those files with a schema this code does not describe: add a migration.
RELEASED = {  # version: the first 16 hex digits of the sha256 of its text
    1: "e83f3d7f55a7a2f1",  # users, checks and feedback
    2: "7a4a2d5416c5e991",  # police alerts: officers, audit, subscriptions, broadcasts, deliveries
    3: "5ad3fd1ed1c3c498",  # the inbox's handled updates
    4: "a361c8225f1c7f69",  # the conversation's memory
    5: "0cfdcde5c864bc2c",  # what the detail buttons need: channel, alternative, why
    6: "947f2d183e472644",  # reports of identifiers and officers' reviews of them (migration 7 builds on it)
    7: "842b1227079ead19",  # the review queue, reviewed examples and notices
    8: "ccb3aa8ac7d5bebe",  # whose turn it is to edit a broadcast's progress message
    9: "1729c69bb4056885",  # waves, the dashboard's check counts, its sign-in links and sessions
    10: "d2d5eaa4344335b3",  # the alert relay's journal
}


def at_version(path: Path, version: int) -> None:
    """A file as the release with `version` migrations left it (plain sqlite3, as that release ran)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for number, script in enumerate(MIGRATIONS[:version], start=1):
            conn.executescript(f"BEGIN;\n{script}\nPRAGMA user_version={number};\nCOMMIT;")
    finally:
        conn.close()


def schema_of(path: Path) -> dict[tuple[str, str], str]:
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'").fetchall()
        return {(kind, name): sql for kind, name, sql in rows}
    finally:
        conn.close()


def version_of(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()


def test_the_released_migrations_are_never_edited():
    """The text matters, comments included: SQLite keeps a CREATE statement as written."""
    digests = {version: hashlib.sha256(MIGRATIONS[version - 1].encode()).hexdigest()[:16] for version in RELEASED}
    assert digests == RELEASED, "a released migration was edited: restore it and add a new migration for the change"


async def test_an_empty_file_is_migrated_to_the_latest_version_with_every_table(db_path, caplog):
    caplog.set_level(logging.INFO, logger="bot.storage.database")
    db = await Database.open(db_path)
    try:
        assert await db.schema_version() == len(MIGRATIONS) >= len(RELEASED)
    finally:
        await db.close()
    tables = {name for kind, name in schema_of(db_path) if kind == "table"}
    assert tables == TABLES
    migrated = [r.getMessage() for r in caplog.records if "migrated to version" in r.getMessage()]
    assert migrated == [f"database {db_path} migrated to version {v}" for v in range(1, len(MIGRATIONS) + 1)]


@pytest.mark.parametrize("old", range(len(MIGRATIONS)))
async def test_a_file_at_any_older_version_ends_with_the_same_schema_as_a_new_one(tmp_path, old):
    fresh, upgraded = tmp_path / "fresh.db", tmp_path / "upgraded.db"
    at_version(fresh, len(MIGRATIONS))
    at_version(upgraded, old)
    assert version_of(upgraded) == old

    db = await Database.open(upgraded)
    try:
        assert await db.schema_version() == len(MIGRATIONS)
    finally:
        await db.close()
    assert schema_of(upgraded) == schema_of(fresh)


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_what_a_version_1_file_holds_survives_every_later_migration(tmp_path, lang):
    path = tmp_path / "v1.db"
    at_version(path, 1)
    conn = sqlite3.connect(path, isolation_level=None)
    text = {"kk": "сіздің картаңыз бұғатталды", "ru": "ваша карта заблокирована"}[lang]
    conn.execute("INSERT INTO users (id, language, region, subscribed, created_at, seen_at) "
                 "VALUES (7, ?, 'astana', 1, 1.0, 2.0)", (lang,))
    conn.execute("INSERT INTO checks (user_id, source, text_redacted, text_hash, risk, scheme, scam_probability, "
                 "flags, language, backend, created_at) VALUES (7, 'text', ?, 'h', 'high', 'bank_security_call', "
                 "0.9, 'asks_code', ?, 'lexical', 3.0)", (text, lang))
    conn.close()

    db = await Database.open(path)
    try:
        async with db.conn.execute("SELECT id, language, region, subscribed FROM users") as cur:
            assert [tuple(r) for r in await cur.fetchall()] == [(7, lang, "astana", 1)]
        async with db.conn.execute("SELECT text_redacted, scheme, channel, alternative, why FROM checks") as cur:
            # the columns migration 5 added read as "unknown" for an old check
            assert [tuple(r) for r in await cur.fetchall()] == [(text, "bank_security_call", None, None, "")]
    finally:
        await db.close()


async def test_a_restart_applies_nothing_and_changes_nothing(db_path, caplog):
    db = await Database.open(db_path)
    await db.conn.execute("INSERT INTO users (id, created_at, seen_at) VALUES (1, 1.0, 1.0)")
    await db.close()
    schema = schema_of(db_path)

    caplog.set_level(logging.INFO, logger="bot.storage.database")
    for _ in range(2):
        db = await Database.open(db_path)
        try:
            assert await db.schema_version() == len(MIGRATIONS)
            async with db.conn.execute("SELECT count(*) FROM users") as cur:
                assert (await cur.fetchone())[0] == 1
        finally:
            await db.close()
    assert schema_of(db_path) == schema
    assert [r for r in caplog.records if "migrated" in r.getMessage()] == []


async def test_a_file_from_a_newer_release_is_refused_and_left_untouched(db_path):
    at_version(db_path, len(MIGRATIONS))
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute(f"PRAGMA user_version={len(MIGRATIONS) + 1}")
    conn.close()
    schema = schema_of(db_path)

    with pytest.raises(RuntimeError, match="newer than this code knows") as refused:
        await Database.open(db_path)
    assert str(db_path) in str(refused.value) and "restore a backup" in str(refused.value)
    assert version_of(db_path) == len(MIGRATIONS) + 1 and schema_of(db_path) == schema


async def test_a_migration_that_fails_halfway_leaves_the_file_at_the_version_before_it(db_path, monkeypatch):
    """Each migration is one transaction: a release whose new migration breaks on this file
    must not leave it half-migrated, and the fixed release then migrates it cleanly."""
    broken = "CREATE TABLE half_done (id INTEGER);\nINSERT INTO no_such_table VALUES (1);"
    monkeypatch.setattr(database_module, "MIGRATIONS", (*MIGRATIONS, broken))
    with pytest.raises(DatabaseUnavailable, match="no such table") as failed:
        await Database.open(db_path)
    # the message names the migration and what to do, not only file permissions
    assert f"migration {len(MIGRATIONS) + 1} of" in str(failed.value) and "previous release" in str(failed.value)
    assert version_of(db_path) == len(MIGRATIONS)
    assert ("table", "half_done") not in schema_of(db_path)

    monkeypatch.setattr(database_module, "MIGRATIONS", MIGRATIONS)
    db = await Database.open(db_path)
    try:
        assert await db.schema_version() == len(MIGRATIONS)
    finally:
        await db.close()


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_checks_stored_before_the_review_queue_existed_can_be_queued_labelled_and_noticed(tmp_path, lang):
    """Migration 7 on a file release 6 filled: the old check is queued, labelled, and its asker
    (who has never been told anything: noticed_at NULL) is due a notice."""
    from bot.storage.notices import NoticesRepo
    from bot.storage.reviews import ReviewsRepo

    path = tmp_path / "v6.db"
    at_version(path, 6)
    conn = sqlite3.connect(path, isolation_level=None)
    text = {"kk": "картаңыз бұғатталды, кодты айтыңыз", "ru": "ваша карта заблокирована, назовите код"}[lang]
    conn.execute("INSERT INTO users (id, language, created_at, seen_at) VALUES (7, ?, 1.0, 2.0)", (lang,))
    conn.execute("INSERT INTO checks (user_id, source, text_redacted, text_hash, risk, scheme, scam_probability, "
                 "flags, language, backend, created_at) VALUES (7, 'text', ?, 'h6', 'low', NULL, 0.3, '', ?, "
                 "'lexical', 3.0)", (text, lang))
    conn.close()

    db = await Database.open(path)
    try:
        reviews = ReviewsRepo(db)
        await reviews.enqueue_check(1, "disputed")
        item = await reviews.next_item()
        assert (item.text_redacted, item.askers, item.asked_at) == (text, 1, 3.0)
        assert (await reviews.label(1, item.id, "bank_security_call")).noticed == 1
        [notice] = await NoticesRepo(db).due(time.time(), limit=5)
        assert (notice.user_id, notice.language, notice.text_hash, notice.asked_at) == (7, lang, "h6", 3.0)
    finally:
        await db.close()


def test_replicas_starting_together_on_one_new_file_migrate_it_once_and_all_start(tmp_path):
    """Webhook replicas sharing one SQLite file start at the same moment: each finds version 0,
    and without turns the second would fail with "table users already exists" and exit. Real
    processes, because SQLite's locks are between connections of any process."""
    import subprocess
    import sys

    opener = ("import asyncio, sys\nfrom bot.storage.database import Database\n"
              "async def main():\n    db = await Database.open(sys.argv[1])\n"
              "    print(await db.schema_version())\n    await db.close()\nasyncio.run(main())\n")
    for attempt in range(3):
        path = tmp_path / f"shared-{attempt}.db"
        processes = [subprocess.Popen([sys.executable, "-c", opener, str(path)], stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True) for _ in range(4)]
        results = [p.communicate(timeout=60) for p in processes]
        for process, (out, err) in zip(processes, results, strict=True):
            assert process.returncode == 0, err
            assert out.strip() == str(len(MIGRATIONS))
        assert version_of(path) == len(MIGRATIONS)
