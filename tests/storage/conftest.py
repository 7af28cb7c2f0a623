"""Fixtures of the repository tests: a real database per test, opened the way the bot opens it
(migrations included), on both engines: `db` runs each test once on SQLite (a file: WAL,
foreign keys) and once on PostgreSQL (a fresh database on the session's real server, see
tests/support/servers.py). `sqlite_db`, `db_path` and `on_disk` are for what only SQLite has:
its file, its pragmas, the bytes it actually wrote.

No stand-in for either engine anywhere: what a repository promises is what ends up stored."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bot.storage.database import Database, SqliteDatabase

from tests.storage.engines import ENGINES, database_on


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "data" / "saqbol.db"


@pytest.fixture(params=ENGINES)
async def db(request, db_path) -> AsyncIterator[Database]:
    """The test runs twice: ``[sqlite]`` on a fresh file, ``[postgresql]`` on a fresh database
    (skipped, saying what to install, where PostgreSQL is not installed; failing under CI)."""
    async with database_on(request, db_path) as database:
        yield database


@pytest.fixture
async def sqlite_db(db_path) -> AsyncIterator[SqliteDatabase]:
    """SQLite only, at `db_path`: for the tests of its file, its pragmas and its bytes (`on_disk`)."""
    database = await Database.open(db_path)
    assert isinstance(database, SqliteDatabase)
    try:
        yield database
    finally:
        await database.close()


def files_of(path: Path) -> list[Path]:
    """The database file and the files SQLite keeps beside it (the WAL and its index)."""
    return [p for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")) if p.exists()]


@pytest.fixture
def on_disk(db_path) -> Callable[[], bytes]:
    """Everything SQLite has written for this database so far, read as raw bytes: the main file
    *and* the WAL, where a fresh commit lives until the next checkpoint. Only an SQLite file has
    bytes to read here: a test that reads them on another engine (where nothing would be found,
    and so nothing would ever fail) is stopped, saying to request `sqlite_db`."""
    def read() -> bytes:
        if not db_path.exists():
            pytest.fail(f"on_disk reads SQLite's file {db_path}, which this test's database is not: "
                        "request `sqlite_db` (not `db`) in a test of the bytes SQLite writes")
        return b"".join(p.read_bytes() for p in files_of(db_path))
    return read
