"""The bot's database, on one of two engines: SQLite (the default, a file, nothing to run) or
PostgreSQL (`DATABASE_URL=postgresql://…`, for several replicas sharing one database).

**A thin layer of our own, not an ORM.** The repositories are hand-written, reviewed SQL, and
the schema does real work in triggers (audit rows, the review queue, notices). SQLAlchemy Core
would have rewritten every query to say the same thing; instead each repository's SQL is
written once, in the dialect both engines share, against five calls — `execute`,
`executemany`, `fetchone`, `fetchall`, `fetchval` — with `?` (or `?1`, `?2`) placeholders,
which the PostgreSQL engine rewrites to `$1`, `$2`. Where the dialects differ the repositories
use the PostgreSQL name and SQLite is taught it (`greatest`, `least`, `strpos`, `kz_day`,
registered on every connection); the migrations are the one thing written twice, once per
engine, with the same version numbers (bot/storage/migrations.py).

Storage is never allowed to cost a user their answer: the bot answers from the classifier,
and the database only remembers. So a lock held by another program is waited out only
briefly (`BUSY_TIMEOUT_MS`), and callers on the answer path wrap their writes in
`best_effort`, which turns a storage fault into `None` and one log line. A fault at start is
different: the bot must not run half-blind, so `Database.open` closes what it opened (its
worker thread would keep the process alive) and raises `DatabaseUnavailable`, whose message
names the database and what to do.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import logging
import math
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal, TypeVar

import aiosqlite

from bot.storage.migrations import MIGRATIONS

log = logging.getLogger(__name__)

T = TypeVar("T")
Engine = Literal["sqlite", "postgresql"]
Args = Sequence[Any]

# How long one statement waits for a lock another program (a backup, an admin's sqlite3
# shell) holds. Longer locks fail the statement instead of stalling the one worker thread
# that every user's storage goes through.
BUSY_TIMEOUT_MS = 1000
# How long the answer path waits for one storage call before answering without it.
ANSWER_PATH_TIMEOUT = 2.0
KZ_OFFSET = 5 * 3600  # Kazakhstan's one time zone, UTC+5, in seconds (kz_day below)


def _storage_faults() -> tuple[type[BaseException], ...]:
    faults: tuple[type[BaseException], ...] = (sqlite3.Error, OSError, TimeoutError, OverflowError, ValueError)
    try:  # the PostgreSQL driver is a dependency, but SQLite must work where it failed to install
        import asyncpg
    except ImportError:
        return faults
    return faults + (asyncpg.PostgresError, asyncpg.InterfaceError)


# What a failing disk, lock, file, server or connection looks like from here.
STORAGE_FAULTS = _storage_faults()


class DatabaseUnavailable(RuntimeError):
    """The database cannot be opened or written at start; the message says what to do."""


def _advice(path: Path, exc: BaseException) -> str:
    return (
        f"cannot use the database {path}: {exc}. Check that this user can write the file and its "
        f"folder {path.parent} (or set DATABASE_PATH to a writable place), that the disk is not full, "
        "and that no other program holds the database locked; then start the bot again."
    )


def sqlite_path(url: str) -> Path:
    """``sqlite:///data/saqbol.db`` (relative) or ``sqlite:////var/lib/saqbol.db`` (absolute) → the path."""
    if not url.startswith("sqlite:///"):
        raise ValueError(f"not an SQLite URL: {url!r}; write sqlite:///relative/path.db or sqlite:////absolute/path.db")
    return Path(url[len("sqlite:///"):])


def engine_of(target: Path | str) -> Engine:
    """Which engine a DATABASE_URL (or a bare path: SQLite) names; an unknown scheme is an error
    that says what is accepted."""
    if isinstance(target, Path):
        return "sqlite"
    if target.startswith(("postgresql://", "postgres://")):
        return "postgresql"
    if target.startswith("sqlite:///"):
        return "sqlite"
    if "://" not in target:
        return "sqlite"
    raise ValueError(f"DATABASE_URL {target.split('://')[0]}://… is not supported: use sqlite:///path/to/file.db "
                     "or postgresql://user:password@host:5432/database")


class Database(abc.ABC):
    """One open database. Every repository call is one statement, committed at once: no
    transaction ever spans an await, so neither engine holds a lock while the event loop serves
    someone else. What must happen together happens in one statement (and its triggers).

    The one exception is `in_turn`: a few statements that read and then write what another
    replica may be reading and writing at the same moment (a wave's storing), which no one
    statement can say on both engines. It holds its lock for those statements only."""

    engine: ClassVar[Engine]

    @classmethod
    async def open(cls, target: Path | str) -> Database:
        """Open, configure, migrate and check. ``target``: a path (SQLite), ``sqlite:///…`` or
        ``postgresql://…``. Any failure closes what was opened and raises `DatabaseUnavailable`."""
        if engine_of(target) == "postgresql":
            from bot.storage.postgres import PostgresDatabase  # asyncpg is imported only when used

            return await PostgresDatabase.open(str(target))
        path = target if isinstance(target, Path) else (sqlite_path(target) if "://" in target else Path(target))
        return await SqliteDatabase.open(path)

    @property
    @abc.abstractmethod
    def where(self) -> str:
        """The database, for messages: the file, or the server and database name (never a password)."""

    @abc.abstractmethod
    async def execute(self, sql: str, args: Args = ()) -> int:
        """Run one statement; the number of rows it changed."""

    @abc.abstractmethod
    async def executemany(self, sql: str, rows: Iterable[Args]) -> int:
        """Run one statement once per row of arguments; the rows changed, in all."""

    @abc.abstractmethod
    async def fetchone(self, sql: str, args: Args = ()) -> Any | None:
        """The first row, or None. A row reads by name (``row["id"]``) and by position (``row[0]``)."""

    @abc.abstractmethod
    async def fetchall(self, sql: str, args: Args = ()) -> list[Any]:
        """Every row."""

    async def fetchval(self, sql: str, args: Args = ()) -> Any:
        """The first column of the first row, or None when there is no row."""
        row = await self.fetchone(sql, args)
        return None if row is None else row[0]

    @abc.abstractmethod
    def in_turn(self, lock: int) -> contextlib.AbstractAsyncContextManager[Database]:
        """``async with db.in_turn(LOCK) as tx:`` — the statements run through ``tx`` form one
        transaction (committed at the end, undone on an exception), and one caller at a time,
        of any replica, holds ``lock`` (any number; the same in every replica): PostgreSQL's
        transaction-scoped advisory lock, SQLite's one writer (`BEGIN IMMEDIATE`, on a
        connection of its own, so no other coroutine's statement joins the transaction). Keep it
        to a few short statements, and write through ``tx`` only: the database's own calls
        wait for the lock like any other writer's."""

    @abc.abstractmethod
    async def schema_version(self) -> int:
        """The last migration applied."""

    @abc.abstractmethod
    async def checkpoint(self) -> None:
        """Make deletions final on disk (SQLite's WAL); nothing to do where the server does it."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Close the connections."""


def _greatest(*values: Any) -> Any:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def _least(*values: Any) -> Any:
    present = [v for v in values if v is not None]
    return min(present) if present else None


def _strpos(haystack: str | None, needle: str | None) -> int | None:
    if haystack is None or needle is None:
        return None
    return haystack.find(needle) + 1


def kz_day(ts: float | None) -> int | None:
    """Kazakhstan's day number of a time: whole days since 1970-01-01 in UTC+5. The same
    function exists in PostgreSQL (migration), so a query groups by day on either engine."""
    return None if ts is None else math.floor((ts + KZ_OFFSET) / 86400)


class SqliteDatabase(Database):
    """Owns the aiosqlite connection. aiosqlite runs every statement on one worker thread,
    so writes are serialised without locks of our own. Several processes may share the file
    (WAL), which is how three local replicas can run without PostgreSQL."""

    engine = "sqlite"

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self.conn = conn  # the tests read SQLite's own pragmas through it; repositories never do
        self.path = path
        self._turns: SqliteDatabase | None = None  # in_turn's own connection, opened at its first use
        self._turn = asyncio.Lock()  # in_turn's callers in this process, one at a time

    @property
    def where(self) -> str:
        return str(self.path)

    @classmethod
    async def open(cls, target: Path | str) -> SqliteDatabase:  # type: ignore[override]
        path = Path(target)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = await aiosqlite.connect(path, isolation_level=None)
        except (sqlite3.Error, OSError) as exc:
            raise DatabaseUnavailable(_advice(path, exc)) from exc
        try:
            conn.row_factory = aiosqlite.Row
            await cls._configure(conn)
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

    @staticmethod
    async def _configure(conn: aiosqlite.Connection) -> None:
        for pragma in (
            "PRAGMA journal_mode=WAL",
            "PRAGMA synchronous=NORMAL",  # durable at checkpoints; a power cut loses at most the last commits
            "PRAGMA foreign_keys=ON",
            f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
            "PRAGMA secure_delete=ON",  # /forget overwrites the deleted rows instead of leaving them in free pages
        ):
            await conn.execute(pragma)
        await register_functions(conn)

    async def execute(self, sql: str, args: Args = ()) -> int:
        async with self.conn.execute(sql, tuple(args)) as cur:
            return max(cur.rowcount, 0)

    async def executemany(self, sql: str, rows: Iterable[Args]) -> int:
        before = self.conn.total_changes
        await self.conn.executemany(sql, [tuple(r) for r in rows])
        return self.conn.total_changes - before

    async def fetchone(self, sql: str, args: Args = ()) -> aiosqlite.Row | None:
        async with self.conn.execute(sql, tuple(args)) as cur:
            return await cur.fetchone()

    async def fetchall(self, sql: str, args: Args = ()) -> list[aiosqlite.Row]:
        # One trip to aiosqlite's thread instead of three (execute, fetch, close): 34 µs, not 93,
        # on the lookups every check makes.
        return list(await self.conn.execute_fetchall(sql, tuple(args)))

    @contextlib.asynccontextmanager
    async def in_turn(self, lock: int) -> AsyncIterator[Database]:
        """One write transaction on a second connection: `BEGIN IMMEDIATE` takes the file's one
        writer lock (other processes wait, up to BUSY_TIMEOUT_MS, as for any writer), and this
        process's callers take turns on it. ``lock`` is not needed: SQLite has one writer."""
        async with self._turn:
            if self._turns is None:
                conn = await aiosqlite.connect(self.path, isolation_level=None)
                conn.row_factory = aiosqlite.Row
                await self._configure(conn)
                self._turns = SqliteDatabase(conn, self.path)
            tx = self._turns
            await tx.execute("BEGIN IMMEDIATE")
            try:
                yield tx
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    await tx.execute("ROLLBACK")
                raise
            await tx.execute("COMMIT")

    async def schema_version(self) -> int:
        async with self.conn.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        return int(row[0])

    async def migrate(self) -> None:
        """Run the migrations this file lacks, each in one write transaction. Replicas opening
        one new file together all try: `BEGIN IMMEDIATE` makes them take turns, and one whose
        script fails because another has just run it finds the version moved and goes on."""
        current = await self.schema_version()
        if current > len(MIGRATIONS):
            raise RuntimeError(
                f"{self.path} has schema version {current}, newer than this code knows ({len(MIGRATIONS)}): "
                "run the newer release or restore a backup"
            )
        while current < len(MIGRATIONS):
            version = current + 1
            try:
                await self.conn.executescript(
                    f"BEGIN IMMEDIATE;\n{MIGRATIONS[current]}\nPRAGMA user_version={version};\nCOMMIT;")
            except sqlite3.Error as exc:
                with contextlib.suppress(sqlite3.Error):
                    await self.conn.execute("ROLLBACK")
                now = await self.schema_version()
                if now >= version:
                    log.info("database %s was migrated to version %d by another process", self.path, now)
                    current = now
                    continue
                raise DatabaseUnavailable(
                    f"migration {version} of {self.path} failed: {exc}. The file stays at version {version - 1}. "
                    "If the disk is full, the file read-only or locked by another program, fix that and start "
                    "the bot again; otherwise this release's migration is broken: run the previous release "
                    "and report it.") from exc
            log.info("database %s migrated to version %d", self.path, version)
            current = version

    async def checkpoint(self) -> None:
        """Copy the WAL into the database file and empty it: deleted rows (overwritten in the
        file by secure_delete) leave no older copy behind in the -wal file."""
        async with self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cur:
            busy, _log_frames, _done = await cur.fetchone()
        if busy:
            log.warning("WAL checkpoint of %s incomplete: another connection is reading; it completes later", self.path)

    async def close(self) -> None:
        if self._turns is not None:
            await self._turns.close()
            self._turns = None
        await self.conn.close()


async def register_functions(conn: aiosqlite.Connection) -> None:
    """Teach SQLite the PostgreSQL names the repositories use, so their SQL is written once.
    ``greatest``/``least`` skip NULLs, as PostgreSQL's do (SQLite's two-argument max() would
    answer NULL)."""
    await conn.create_function("greatest", -1, _greatest, deterministic=True)
    await conn.create_function("least", -1, _least, deterministic=True)
    await conn.create_function("strpos", 2, _strpos, deterministic=True)
    await conn.create_function("kz_day", 1, kz_day, deterministic=True)


async def best_effort(operation: Awaitable[T], what: str, timeout: float = ANSWER_PATH_TIMEOUT) -> T | None:
    """The operation's result, or None (and one log line) when storage fails or is too slow.

    For the answer path only: the user gets the verdict even when the disk is full, the file
    read-only, the database locked or the server gone; what needs the stored row (buttons,
    history) is left out."""
    try:
        return await asyncio.wait_for(operation, timeout)
    except STORAGE_FAULTS as exc:
        reason = "timed out" if isinstance(exc, TimeoutError) else f"{type(exc).__name__}: {exc}"
        log.warning("storage fault, answering without it: %s %s", what, reason)
        return None
