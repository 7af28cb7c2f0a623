"""The PostgreSQL schema: `MIGRATIONS_POSTGRES`, the same version numbers as SQLite's, building
the same tables, columns, keys, indexes and triggers (compared here from each engine's own
catalogue, not from the scripts' text), applied once each, in order, each in a transaction,
from an empty database or from any older version, once even when replicas start together."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from bot.storage import postgres as postgres_module
from bot.storage.database import Database, DatabaseUnavailable
from bot.storage.migrations import MIGRATIONS, MIGRATIONS_POSTGRES
from tests.support.servers import fresh_database

# SQLite's type names and PostgreSQL's for the same column: INTEGER holds Telegram's 64-bit ids
# as BIGINT (and a count or a 0/1 flag as INTEGER), REAL is DOUBLE PRECISION.
TYPES = {"INTEGER": "integer", "REAL": "real", "TEXT": "text",
         "bigint": "integer", "integer": "integer", "double precision": "real", "text": "text"}
ON_DELETE = {"a": "NO ACTION", "c": "CASCADE", "n": "SET NULL", "r": "RESTRICT", "d": "SET DEFAULT"}


def sqlite_schema(path: Path) -> dict[str, Any]:
    """Tables → columns (name, type, not null, default, primary key position), foreign keys,
    indexes (columns, unique, partial; the primary key's excluded: on a rowid table it is no
    index) and triggers, read from SQLite's pragmas."""
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        columns, keys, indexes, checks = {}, {}, {}, {}
        for table in tables:
            [sql] = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone()
            checks[table] = sql.upper().count("CHECK (")
            columns[table] = [
                (name, TYPES[kind], bool(notnull or pk), None if default is None else str(default), pk)
                for _cid, name, kind, notnull, default, pk in conn.execute(f"PRAGMA table_info({table})")]
            keys[table] = {(source, target, to, on_delete)
                           for _id, _seq, target, source, to, _on_update, on_delete, _match
                           in conn.execute(f"PRAGMA foreign_key_list({table})")}
            indexes[table] = set()
            for _seq, name, unique, origin, partial in conn.execute(f"PRAGMA index_list({table})"):
                if origin == "pk":
                    continue
                cols = tuple(col for _n, _cid, col in conn.execute(f"PRAGMA index_info({name})"))
                label = name if origin == "c" else "(constraint)"
                indexes[table].add((label, cols, bool(unique), bool(partial)))
        triggers = {(name, table) for name, table in conn.execute(
            "SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger'")}
        return {"columns": columns, "foreign keys": keys, "indexes": indexes, "checks": checks, "triggers": triggers}
    finally:
        conn.close()


async def postgres_schema(url: str) -> dict[str, Any]:
    """The same description, read from PostgreSQL's catalogue (its own `schema_version` excluded)."""
    conn = await asyncpg.connect(url)
    try:
        tables = [r[0] for r in await conn.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
            "AND table_type = 'BASE TABLE' AND table_name != 'schema_version' ORDER BY table_name")]
        columns, keys, indexes, checks = {}, {}, {}, {}
        for table in tables:
            checks[table] = await conn.fetchval(
                "SELECT count(*) FROM pg_constraint WHERE contype = 'c' AND conrelid = $1::regclass", table)
            primary = {r[0]: r[1] for r in await conn.fetch(
                "SELECT a.attname, k.ord FROM pg_index x "
                "CROSS JOIN LATERAL unnest(x.indkey::int2[]) WITH ORDINALITY AS k(n, ord) "
                "JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.n "
                "WHERE x.indrelid = $1::regclass AND x.indisprimary", table)}
            columns[table] = [
                (r["column_name"], TYPES[r["data_type"]], r["is_nullable"] == "NO",
                 None if r["column_default"] is None else r["column_default"].removesuffix("::text"),
                 primary.get(r["column_name"], 0))
                for r in await conn.fetch(
                    "SELECT column_name, data_type, is_nullable, column_default FROM information_schema.columns "
                    "WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position", table)]
            keys[table] = {(r[0], r[1], r[2], ON_DELETE[r[3].decode()]) for r in await conn.fetch(
                "SELECT a.attname, target.relname, ra.attname, c.confdeltype FROM pg_constraint c "
                "JOIN pg_class target ON target.oid = c.confrelid "
                "CROSS JOIN LATERAL unnest(c.conkey, c.confkey) AS k(col, refcol) "
                "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.col "
                "JOIN pg_attribute ra ON ra.attrelid = c.confrelid AND ra.attnum = k.refcol "
                "WHERE c.contype = 'f' AND c.conrelid = $1::regclass", table)}
            indexes[table] = {
                (r["constrained"] and "(constraint)" or r["name"], tuple(r["cols"]), r["indisunique"], r["partial"])
                for r in await conn.fetch(
                    "SELECT i.relname AS name, x.indisunique, x.indpred IS NOT NULL AS partial, "
                    "EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid AND c.contype = 'u') "
                    "AS constrained, ARRAY(SELECT a.attname::text FROM unnest(x.indkey::int2[]) WITH ORDINALITY "
                    "AS k(n, ord) LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.n "
                    "ORDER BY k.ord) AS cols "
                    "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
                    "WHERE x.indrelid = $1::regclass AND NOT x.indisprimary", table)}
        triggers = {(r[0], r[1]) for r in await conn.fetch(
            "SELECT t.tgname, c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT t.tgisinternal AND n.nspname = current_schema()")}
        return {"columns": columns, "foreign keys": keys, "indexes": indexes, "checks": checks, "triggers": triggers}
    finally:
        await conn.close()


async def version_of(url: str) -> int | None:
    conn = await asyncpg.connect(url)
    try:
        if await conn.fetchval("SELECT to_regclass('schema_version')") is None:
            return None
        return await conn.fetchval("SELECT version FROM schema_version")
    finally:
        await conn.close()


@pytest.fixture
async def sqlite_file(tmp_path) -> Path:
    path = tmp_path / "saqbol.db"
    db = await Database.open(path)
    await db.close()
    return path


def test_each_sqlite_migration_has_its_postgresql_script_under_the_same_number():
    assert len(MIGRATIONS_POSTGRES) == len(MIGRATIONS)


async def test_an_empty_postgresql_database_is_migrated_to_the_version_sqlite_reaches(postgres_empty_url, caplog,
                                                                                       sqlite_file):
    caplog.set_level(logging.INFO, logger="bot.storage.postgres")
    assert await version_of(postgres_empty_url) is None
    db = await Database.open(postgres_empty_url)
    try:
        assert await db.schema_version() == len(MIGRATIONS)
    finally:
        await db.close()
    sqlite_db = await Database.open(sqlite_file)
    try:
        assert await sqlite_db.schema_version() == len(MIGRATIONS)
    finally:
        await sqlite_db.close()
    migrated = [r.getMessage() for r in caplog.records if "migrated to version" in r.getMessage()]
    where = postgres_empty_url.removeprefix("postgresql://")
    assert migrated == [f"database {where} migrated to version {v}" for v in range(1, len(MIGRATIONS) + 1)]


@pytest.mark.parametrize("part", ["columns", "foreign keys", "indexes", "checks", "triggers"])
async def test_both_engines_build_the_same_schema(sqlite_file, postgres_url, part):
    """Same tables with the same columns in the same order (type family, NOT NULL, default,
    primary key), the same foreign keys with the same ON DELETE, the same indexes (by name, or
    the columns of a UNIQUE constraint), as many CHECK constraints per table (what they refuse:
    test_triggers.py) and the same triggers on the same tables."""
    sqlite_side, postgres_side = sqlite_schema(sqlite_file)[part], (await postgres_schema(postgres_url))[part]
    assert postgres_side == sqlite_side


async def test_the_schema_comparison_sees_a_difference(sqlite_file, postgres_url):
    """The comparison above can fail: one column more on PostgreSQL is seen."""
    conn = await asyncpg.connect(postgres_url)
    try:
        await conn.execute("ALTER TABLE notices ADD COLUMN extra TEXT")
        await conn.execute("DROP TRIGGER notices_sent ON notices")
    finally:
        await conn.close()
    assert (await postgres_schema(postgres_url))["columns"] != sqlite_schema(sqlite_file)["columns"]
    assert (await postgres_schema(postgres_url))["triggers"] != sqlite_schema(sqlite_file)["triggers"]


@pytest.mark.parametrize("old", range(len(MIGRATIONS_POSTGRES)))
async def test_a_postgresql_database_at_any_older_version_ends_with_the_schema_of_a_new_one(
        postgres_server, postgres_url, monkeypatch, old):
    with fresh_database(postgres_server) as name:
        url = postgres_server.url(name)
        if old:
            monkeypatch.setattr(postgres_module, "MIGRATIONS_POSTGRES", MIGRATIONS_POSTGRES[:old])
            db = await Database.open(url)
            await db.close()
            assert await version_of(url) == old
            monkeypatch.setattr(postgres_module, "MIGRATIONS_POSTGRES", MIGRATIONS_POSTGRES)
        db = await Database.open(url)
        try:
            assert await db.schema_version() == len(MIGRATIONS_POSTGRES)
        finally:
            await db.close()
        assert await postgres_schema(url) == await postgres_schema(postgres_url)


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_restart_applies_nothing_and_keeps_what_was_stored(postgres_url, caplog, lang):
    db = await Database.open(postgres_url)
    await db.execute("INSERT INTO users (id, language, created_at, seen_at) VALUES (?, ?, ?, ?)", (1, lang, 1.0, 1.0))
    await db.close()
    schema = await postgres_schema(postgres_url)
    caplog.set_level(logging.INFO, logger="bot.storage.postgres")
    db = await Database.open(postgres_url)
    try:
        assert await db.fetchval("SELECT language FROM users WHERE id = ?", (1,)) == lang
    finally:
        await db.close()
    assert await postgres_schema(postgres_url) == schema
    assert [r for r in caplog.records if "migrated" in r.getMessage()] == []


async def test_a_postgresql_migration_that_fails_halfway_leaves_the_version_before_it(postgres_url, monkeypatch):
    broken = "CREATE TABLE half_done (id INTEGER);\nINSERT INTO no_such_table VALUES (1);"
    monkeypatch.setattr(postgres_module, "MIGRATIONS_POSTGRES", (*MIGRATIONS_POSTGRES, broken))
    with pytest.raises(DatabaseUnavailable, match="no_such_table") as failed:
        await Database.open(postgres_url)
    message = str(failed.value)
    assert f"migration {len(MIGRATIONS_POSTGRES) + 1} of" in message and "previous release" in message
    assert f"stays at version {len(MIGRATIONS_POSTGRES)}" in message
    assert await version_of(postgres_url) == len(MIGRATIONS_POSTGRES)
    assert "half_done" not in (await postgres_schema(postgres_url))["columns"]


async def test_a_postgresql_database_from_a_newer_release_is_refused_and_left_untouched(postgres_url):
    conn = await asyncpg.connect(postgres_url)
    try:
        await conn.execute("UPDATE schema_version SET version = $1", len(MIGRATIONS_POSTGRES) + 1)
    finally:
        await conn.close()
    schema = await postgres_schema(postgres_url)
    with pytest.raises(RuntimeError, match="newer than this code knows") as refused:
        await Database.open(postgres_url)
    assert "restore a backup" in str(refused.value)
    assert await version_of(postgres_url) == len(MIGRATIONS_POSTGRES) + 1
    assert await postgres_schema(postgres_url) == schema


async def test_replicas_starting_together_on_an_empty_database_migrate_it_once(postgres_empty_url, caplog):
    caplog.set_level(logging.INFO, logger="bot.storage.postgres")
    replicas = await asyncio.gather(*(Database.open(postgres_empty_url) for _ in range(3)))
    try:
        assert [await db.schema_version() for db in replicas] == [len(MIGRATIONS_POSTGRES)] * 3
    finally:
        for db in replicas:
            await db.close()
    migrated = [r.getMessage() for r in caplog.records if "migrated to version" in r.getMessage()]
    assert len(migrated) == len(MIGRATIONS_POSTGRES)  # each version once, by one of the three


async def test_the_review_queue_is_read_off_its_index_on_postgresql_not_sorted(postgres_url):
    """The officers' next item (bot/storage/reviews.py's order: never skipped first) comes off
    `review_items_queue` on PostgreSQL too; that needs the index's NULLS FIRST, SQLite's order of
    NULLs, which PostgreSQL would otherwise put last and then sort the whole queue."""
    from bot.storage.reviews import _QUEUE_ORDER

    db = await Database.open(postgres_url)
    try:
        await db.execute(
            "INSERT INTO review_items (kind, value, reason, created_at, skipped_at) "
            "SELECT 'phone', '+7701' || n, 'reported', n, CASE WHEN n % 3 = 0 THEN n ELSE NULL END "
            "FROM generate_series(1, 20000) AS n")
        await db.execute("ANALYZE review_items")
        plan = "\n".join(r[0] for r in await db.fetchall(
            f"EXPLAIN SELECT id FROM review_items ORDER BY {_QUEUE_ORDER} LIMIT 1"))
        assert "review_items_queue" in plan and "Sort" not in plan, plan
        first = await db.fetchone(f"SELECT value, skipped_at FROM review_items ORDER BY {_QUEUE_ORDER} LIMIT 1")
        assert tuple(first) == ("+77011", None)
    finally:
        await db.close()
