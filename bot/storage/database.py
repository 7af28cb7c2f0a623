"""The one SQLite connection of the process: WAL journal, foreign keys, migrations at open.

Storage is never allowed to cost a user their answer: the bot answers from the classifier,
and the database only remembers. So a lock held by another program is waited out only
briefly (`BUSY_TIMEOUT_MS`), and callers on the answer path wrap their writes in
`best_effort`, which turns a storage fault into `None` and one log line. A fault at start is
different: the bot must not run half-blind, so `Database.open` closes what it opened (its
worker thread would keep the process alive) and raises `DatabaseUnavailable`, whose message
names the file and what to do.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Awaitable
from pathlib import Path
from typing import TypeVar

import aiosqlite

from bot.storage.migrations import MIGRATIONS

log = logging.getLogger(__name__)

T = TypeVar("T")

# How long one statement waits for a lock another program (a backup, an admin's sqlite3
# shell) holds. Longer locks fail the statement instead of stalling the one worker thread
# that every user's storage goes through.
BUSY_TIMEOUT_MS = 1000
# How long the answer path waits for one storage call before answering without it.
ANSWER_PATH_TIMEOUT = 2.0
# What a failing disk, lock or file looks like from here.
STORAGE_FAULTS = (sqlite3.Error, OSError, TimeoutError, OverflowError, ValueError)


class DatabaseUnavailable(RuntimeError):
    """The database cannot be opened or written at start; the message says what to do."""


def _advice(path: Path, exc: BaseException) -> str:
    return (
        f"cannot use the database {path}: {exc}. Check that this user can write the file and its "
        f"folder {path.parent} (or set DATABASE_PATH to a writable place), that the disk is not full, "
        "and that no other program holds the database locked; then start the bot again."
    )


class Database:
    """Owns the aiosqlite connection. aiosqlite runs every statement on one worker thread,
    so writes are serialised without locks of our own."""

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path

    @classmethod
    async def open(cls, path: Path) -> Database:
        """Open, configure, migrate and check that the file can be written. Any failure closes
        the connection and raises `DatabaseUnavailable`."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = await aiosqlite.connect(path, isolation_level=None)
        except (sqlite3.Error, OSError) as exc:
            raise DatabaseUnavailable(_advice(path, exc)) from exc
        try:
            conn.row_factory = aiosqlite.Row
            for pragma in (
                "PRAGMA journal_mode=WAL",
                "PRAGMA synchronous=NORMAL",  # durable at checkpoints; a power cut loses at most the last commits
                "PRAGMA foreign_keys=ON",
                f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
                "PRAGMA secure_delete=ON",  # /forget overwrites the deleted rows instead of leaving them in free pages
            ):
                await conn.execute(pragma)
            db = cls(conn, path)
            await db.migrate()
            # A write that changes nothing: SQLite opens a file it may not write read-only
            # without a word, and every later write would fail.
            await conn.execute(f"PRAGMA user_version={await db.schema_version()}")
        except BaseException as exc:
            await conn.close()
            if isinstance(exc, (sqlite3.Error, OSError)) and not isinstance(exc, DatabaseUnavailable):
                raise DatabaseUnavailable(_advice(path, exc)) from exc
            raise
        return db

    async def schema_version(self) -> int:
        async with self.conn.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        return int(row[0])

    async def migrate(self) -> None:
        current = await self.schema_version()
        if current > len(MIGRATIONS):
            raise RuntimeError(
                f"{self.path} has schema version {current}, newer than this code knows ({len(MIGRATIONS)}): "
                "run the newer release or restore a backup"
            )
        for version, script in enumerate(MIGRATIONS[current:], start=current + 1):
            try:
                await self.conn.executescript(f"BEGIN;\n{script}\nPRAGMA user_version={version};\nCOMMIT;")
            except sqlite3.Error as exc:
                with contextlib.suppress(sqlite3.Error):
                    await self.conn.execute("ROLLBACK")
                raise DatabaseUnavailable(
                    f"migration {version} of {self.path} failed: {exc}. The file stays at version {version - 1}. "
                    "If the disk is full, the file read-only or locked by another program, fix that and start "
                    "the bot again; otherwise this release's migration is broken: run the previous release "
                    "and report it.") from exc
            log.info("database %s migrated to version %d", self.path, version)

    async def checkpoint(self) -> None:
        """Copy the WAL into the database file and empty it: deleted rows (overwritten in the
        file by secure_delete) leave no older copy behind in the -wal file."""
        async with self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cur:
            busy, _log_frames, _done = await cur.fetchone()
        if busy:
            log.warning("WAL checkpoint of %s incomplete: another connection is reading; it completes later", self.path)

    async def close(self) -> None:
        await self.conn.close()


async def best_effort(operation: Awaitable[T], what: str, timeout: float = ANSWER_PATH_TIMEOUT) -> T | None:
    """The operation's result, or None (and one log line) when storage fails or is too slow.

    For the answer path only: the user gets the verdict even when the disk is full, the file
    read-only or the database locked; what needs the stored row (buttons, history) is left out."""
    try:
        return await asyncio.wait_for(operation, timeout)
    except STORAGE_FAULTS as exc:
        reason = "timed out" if isinstance(exc, TimeoutError) else f"{type(exc).__name__}: {exc}"
        log.warning("storage fault, answering without it: %s %s", what, reason)
        return None
