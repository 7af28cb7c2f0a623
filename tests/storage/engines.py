"""What differs between the two engines in what a test checks, said once: the error a
constraint raises, and where the schema tells which tables refer to which. Everything else a
repository test does goes through the engine-neutral calls (`db.execute`, `db.fetchall`, …)."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncIterator, Awaitable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from bot.storage.database import Database
from bot.storage.migrations import MIGRATIONS, MIGRATIONS_POSTGRES

ENGINES = ["sqlite", "postgresql"]


@contextlib.asynccontextmanager
async def database_on(request: pytest.FixtureRequest, sqlite_file: Path) -> AsyncIterator[Database]:
    """A fresh, migrated database on the engine a fixture parametrised over `ENGINES` runs with:
    ``sqlite_file``, or a fresh PostgreSQL database (skipped, saying what to install, where
    PostgreSQL is not installed; failing under CI). Closed at the end."""
    target = sqlite_file if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    database = await Database.open(target)
    try:
        yield database
    finally:
        await database.close()


@contextlib.asynccontextmanager
async def another_replica(db: Database) -> AsyncIterator[Database]:
    """A second, separate opening of ``db``'s database (its own connection, or pool): what
    another replica of the bot holds, for tests of two replicas doing one thing at once."""
    target = db.where if db.engine == "sqlite" else db.url  # type: ignore[attr-defined]
    other = await Database.open(Path(target) if db.engine == "sqlite" else target)
    try:
        yield other
    finally:
        await other.close()


def integrity_errors(db: Database) -> tuple[type[BaseException], ...]:
    if db.engine == "postgresql":
        import asyncpg

        return (asyncpg.IntegrityConstraintViolationError,)
    return (sqlite3.IntegrityError,)


def refused(db: Database, constraint: str) -> Any:
    """``with refused(db, "foreign key"):`` — the schema refuses the statement. SQLite says
    "FOREIGN KEY constraint failed", PostgreSQL "violates foreign key constraint": the name of
    the constraint's kind is in both."""
    return pytest.raises(integrity_errors(db), match=f"(?i){constraint}")


async def tables_referring_to(db: Database, parent: str) -> set[str]:
    """The tables with a foreign key to ``parent``, read from the schema itself."""
    if db.engine == "postgresql":
        rows = await db.fetchall(
            "SELECT DISTINCT child.relname FROM pg_constraint c"
            " JOIN pg_class child ON child.oid = c.conrelid JOIN pg_class target ON target.oid = c.confrelid"
            " WHERE c.contype = 'f' AND target.relname = ?", (parent,))
        return {row[0] for row in rows}
    tables = [row[0] for row in await db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return {table for table in tables
            if any(row["table"] == parent for row in await db.fetchall(f"PRAGMA foreign_key_list({table})"))}


async def table_names(db: Database) -> list[str]:
    """Every table of the schema (PostgreSQL's own bookkeeping and SQLite's excluded)."""
    if db.engine == "postgresql":
        rows = await db.fetchall("SELECT table_name FROM information_schema.tables "
                                 "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'")
    else:
        rows = await db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    return sorted(row[0] for row in rows)


async def everything_stored(db: Database) -> str:
    """Every text of every row of every table, as one text: what a query can read back of
    what the repositories wrote, on either engine (the bytes in SQLite's file are looked at by
    the SQLite-only tests, `on_disk`). Numbers are left out: a time's decimals could hold any
    six digits by chance, and no repository writes a person's number into a number column."""
    texts = []
    for table in await table_names(db):
        for row in await db.fetchall(f"SELECT * FROM {table}"):
            texts.extend(value for value in row if isinstance(value, str))
    return "\n".join(texts)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_target(request, db_path) -> Path | str:
    """Where a database is, on each engine, for a test that opens it twice (the bot restarting):
    the SQLite file, or a fresh, migrated PostgreSQL database's URL. Imported by those tests."""
    return db_path if request.param == "sqlite" else request.getfixturevalue("postgres_url")


async def columns_of(db: Database, table: str) -> dict[str, str]:
    """A table's columns and their declared types, as the engine names them (SQLite: INTEGER,
    REAL; PostgreSQL: bigint, double precision)."""
    if db.engine == "postgresql":
        rows = await db.fetchall("SELECT column_name, data_type FROM information_schema.columns "
                                 "WHERE table_schema = current_schema() AND table_name = ?", (table,))
        return {row[0]: row[1] for row in rows}
    return {row["name"]: row["type"] for row in await db.fetchall(f"PRAGMA table_info({table})")}


T = TypeVar("T")


async def with_plans(db: Database, method: str, call: Awaitable[T]) -> tuple[T, list[str]]:
    """What ``call`` (a repository's coroutine) returns, and PostgreSQL's plan (EXPLAIN) of each
    statement it ran through ``db.<method>`` ("fetchall", "fetchone"), in order. The statements
    are the ones the repository really ran, recorded on their way to the server: PostgreSQL has
    no trace callback to ask, as SQLite's plan tests do."""
    statements: list[tuple[str, tuple]] = []
    original = getattr(db, method)

    async def recorded(sql, args=()):
        statements.append((sql, tuple(args)))
        return await original(sql, args)

    setattr(db, method, recorded)
    try:
        result = await call
    finally:
        delattr(db, method)  # the class's own method again
    return result, ["\n".join(row[0] for row in await db.fetchall("EXPLAIN " + sql, args)) for sql, args in statements]


async def recount(db: Database) -> None:
    """Rebuild the counts from the checks with the migration's own backfill (after a test has
    moved its checks' times, which the trigger counted when they were stored)."""
    script = (MIGRATIONS if db.engine == "sqlite" else MIGRATIONS_POSTGRES)[8]
    backfill = script[script.rindex("INSERT INTO check_counts"):]  # the script's last statement into the counts
    await db.execute("DELETE FROM check_counts")
    await db.execute(backfill[:backfill.index(";") + 1])
