"""Fixtures of the repository tests: a real SQLite file per test, opened the way the bot opens
it (WAL, foreign keys, migrations), and a look at the bytes SQLite actually wrote.

No stand-in for SQLite anywhere: what a repository promises is what ends up in the file."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bot.storage.database import Database


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "data" / "saqbol.db"


@pytest.fixture
async def db(db_path) -> AsyncIterator[Database]:
    database = await Database.open(db_path)
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
    *and* the WAL, where a fresh commit lives until the next checkpoint."""
    return lambda: b"".join(p.read_bytes() for p in files_of(db_path))
