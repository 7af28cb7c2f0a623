"""The PostgreSQL engine (`DATABASE_URL=postgresql://…`): one database shared by every replica.

An asyncpg pool; every call is one statement on a pooled connection, committed at once
(autocommit), as on SQLite: no transaction spans an await. The repositories' SQL is written
once with SQLite's `?` (or `?1`, `?2`) placeholders; here they become `$1`, `$2` (outside string
literals, quoted names and comments), each statement's rewrite computed once. Rows are asyncpg
Records: ``row["col"]`` and ``row[0]`` as on SQLite; a `numeric` result (PostgreSQL's sum of a
BIGINT, its avg) reads as an int or a float, as SQLite would give it, never a Decimal.

The schema is `MIGRATIONS_POSTGRES`, the same version numbers as SQLite's, and the version is
kept in a one-row `schema_version` table. Replicas may start together on an empty database:
migrating takes an advisory lock, so one migrates and the others then find it done.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import urlsplit

import asyncpg

from bot.storage.database import BUSY_TIMEOUT_MS, Args, Database, DatabaseUnavailable
from bot.storage.migrations import MIGRATIONS_POSTGRES

log = logging.getLogger(__name__)

T = TypeVar("T")

POOL_MIN = 1
POOL_MAX = 10  # per process; a replica's storage calls are short, one statement each
CONNECT_TIMEOUT = 10.0
CLOSE_TIMEOUT = 10.0
# Any number, the same in every replica: the key of the advisory lock migrations are run under.
MIGRATION_LOCK = 0x5A9B01
# The commands whose status tag ends with the number of rows they changed ("INSERT 0 3", "UPDATE 2").
_CHANGING = frozenset({"INSERT", "UPDATE", "DELETE", "MERGE", "COPY"})
# Every connection's session: a row another transaction holds locked (an admin's psql, a long
# ALTER) is waited for only briefly, as SQLite's busy timeout does: the statement fails, the
# answer path answers without it (best_effort), and the pool is not stalled behind the lock.
SESSION_SETTINGS = {"lock_timeout": f"{BUSY_TIMEOUT_MS}ms", "application_name": "saqbol"}
_DOLLAR_TAG = re.compile(r"\$([A-Za-z_][A-Za-z_0-9]*)?\$")


@functools.lru_cache(maxsize=2048)
def dollar_placeholders(sql: str) -> str:
    """``?`` → ``$1``, ``$2``… in order; ``?3`` → ``$3``. String literals ('it''s ?',
    E'\\'?'), quoted names ("a?"), dollar-quoted bodies and comments are copied untouched.
    Mixing the two styles in one statement is an error: which number would a bare ``?`` be?"""
    out: list[str] = []
    i, n, counted, numbered = 0, len(sql), 0, False
    while i < n:
        ch = sql[i]
        if ch in "'\"":
            backslashes = ch == "'" and i > 0 and sql[i - 1] in "eE" and (i < 2 or not (sql[i - 2].isalnum()
                                                                                       or sql[i - 2] == "_"))
            j = i + 1
            while j < n:
                if backslashes and sql[j] == "\\":
                    j += 2
                    continue
                if sql[j] == ch:
                    if j + 1 < n and sql[j + 1] == ch:  # '' or "" inside: an escaped quote
                        j += 2
                        continue
                    break
                j += 1
            out.append(sql[i:j + 1])
            i = j + 1
        elif sql.startswith("--", i):
            j = sql.find("\n", i)
            j = n if j < 0 else j
            out.append(sql[i:j])
            i = j
        elif sql.startswith("/*", i):
            j = sql.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(sql[i:j])
            i = j
        elif ch == "$" and (tag := _DOLLAR_TAG.match(sql, i)) and not (i > 0 and (sql[i - 1].isalnum()
                                                                                 or sql[i - 1] == "_")):
            end = sql.find(tag.group(0), tag.end())
            j = n if end < 0 else end + len(tag.group(0))
            out.append(sql[i:j])
            i = j
        elif ch == "?":
            j = i + 1
            while j < n and sql[j].isdigit():
                j += 1
            if j > i + 1:
                numbered = True
                out.append(f"${sql[i + 1:j]}")
            else:
                counted += 1
                out.append(f"${counted}")
            if numbered and counted:
                raise ValueError(f"both ? and ?N placeholders in one statement: {sql!r}; use one style")
            i = j
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def rows_changed(status: str) -> int:
    """The number at the end of a status tag of INSERT/UPDATE/DELETE; 0 for anything else
    (a SELECT changes nothing, as SQLite's rowcount says)."""
    parts = status.split()
    if parts and parts[0] in _CHANGING and parts[-1].isdigit():
        return int(parts[-1])
    return 0


def _numeric(text: str) -> int | float:
    """A numeric value as SQLite would give it: an int when written without a fraction, else a float."""
    if "." in text or "e" in text.lower() or text in {"NaN", "Infinity", "-Infinity"}:
        return float(text)
    return int(text)


def _numeric_text(value: Any) -> str:
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return str(value)
    raise TypeError(f"a number was expected for a numeric parameter, not {type(value).__name__}")


async def _configure(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("numeric", schema="pg_catalog", encoder=_numeric_text, decoder=_numeric,
                              format="text")


async def _reset(conn: asyncpg.Connection) -> None:
    """What a connection needs before it goes back to the pool. asyncpg's default resets the
    whole session (advisory locks, cursors, listeners, settings): a second round trip after
    every statement. This engine's statements leave no session state behind (migrate undoes its
    own SET and lock), so only a transaction an interrupted executemany left open is undone."""
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")


def where_of(url: str) -> str:
    """``user@host:port/database`` for messages and logs: never the password."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or "localhost"
        return f"{parts.username or ''}{'@' if parts.username else ''}{host}:{parts.port or 5432}{parts.path or '/'}"
    except ValueError:
        return "postgresql://…"


def _user_of(where: str) -> str:
    """The user of a `where_of` text, for advice (a placeholder when the URL names none)."""
    return where.split("@", 1)[0] if "@" in where else "the bot's user"


def _advice(where: str, exc: BaseException) -> str:
    if isinstance(exc, (asyncpg.InvalidPasswordError, asyncpg.InvalidAuthorizationSpecificationError)):
        first = "The server refused the user or password: check them in DATABASE_URL"
    elif isinstance(exc, asyncpg.InsufficientPrivilegeError):
        user = _user_of(where)
        first = (f"The user may not create the bot's tables there (since PostgreSQL 15 only the database's owner may "
                 f"create in its public schema): make {user} the owner (ALTER DATABASE … OWNER TO {user}) or "
                 f"GRANT CREATE ON SCHEMA public TO {user}")
    elif isinstance(exc, asyncpg.ReadOnlySQLTransactionError):
        first = ("The server takes no writes (a standby, or a read-only user or database): point DATABASE_URL at "
                 "the primary server with a user that may write")
    elif isinstance(exc, asyncpg.InvalidCatalogNameError):
        first = "The server runs but has no such database: create it (createdb, or CREATE DATABASE) or fix its name"
    elif isinstance(exc, (OSError, TimeoutError, asyncio.TimeoutError)):
        first = ("Nothing answered there: check that the PostgreSQL server is running and that the host and port "
                 "in DATABASE_URL reach it from this machine")
    else:
        first = "Check DATABASE_URL"
    return (f"cannot use the PostgreSQL database {where}: {type(exc).__name__}: {exc}. {first}. "
            "DATABASE_URL reads postgresql://user:password@host:5432/database; check the URL, that the server is "
            "running and reachable, and the user's credentials and rights (it creates the tables at the first "
            "start); then start the bot again. Unset DATABASE_URL to use SQLite instead.")


class PostgresDatabase(Database):
    """An asyncpg pool; each call one statement on one pooled connection, autocommitted."""

    engine = "postgresql"

    def __init__(self, pool: asyncpg.Pool, url: str) -> None:
        self.pool = pool
        self.url = url

    @property
    def where(self) -> str:
        return where_of(self.url)

    @classmethod
    async def open(cls, target: str, *, min_size: int = POOL_MIN, max_size: int = POOL_MAX) -> PostgresDatabase:  # type: ignore[override]
        """Connect, migrate, check that the server takes writes. Any failure closes the pool and
        raises `DatabaseUnavailable` saying what to check."""
        url = str(target)
        where = where_of(url)
        try:
            pool = await asyncpg.create_pool(url, min_size=min_size, max_size=max_size, init=_configure,
                                             reset=_reset, timeout=CONNECT_TIMEOUT, server_settings=SESSION_SETTINGS)
        except (OSError, TimeoutError, asyncio.TimeoutError, ValueError, asyncpg.PostgresError,
                asyncpg.InterfaceError) as exc:
            raise DatabaseUnavailable(_advice(where, exc)) from exc
        db = cls(pool, url)
        try:
            await db.migrate()
            if await db.fetchval("SELECT current_setting('transaction_read_only')") == "on":
                raise DatabaseUnavailable(
                    f"the PostgreSQL server of {where} takes no writes (a standby, or a read-only user or database): "
                    "point DATABASE_URL at the primary server with a user that may write; then start the bot again.")
        except BaseException as exc:
            await db.close()
            if isinstance(exc, (OSError, asyncpg.PostgresError, asyncpg.InterfaceError)):
                raise DatabaseUnavailable(_advice(where, exc)) from exc
            raise
        return db

    async def _on_a_connection(self, work: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
        """``work`` on a pooled connection. A connection the server dropped while it sat in the
        pool (a restart, an admin's pg_terminate_backend) may not be known closed yet: asyncpg
        then refuses to start the statement ("cannot switch to state…"), before sending
        anything, so the statement is safe to run again on another connection. Any other
        fault is the caller's (best_effort on the answer path)."""
        attempts = self.pool.get_max_size() + 1
        for attempt in range(1, attempts + 1):
            async with self.pool.acquire() as conn:
                try:
                    return await work(conn)
                except asyncpg.InternalClientError as exc:
                    if attempt == attempts or not str(exc).startswith("cannot switch to state"):
                        raise
                    log.info("a PostgreSQL connection to %s was dropped by the server; using another", self.where)
                    conn.terminate()
        raise AssertionError("unreachable")

    async def execute(self, sql: str, args: Args = ()) -> int:
        query = dollar_placeholders(sql)
        return rows_changed(await self._on_a_connection(lambda conn: conn.execute(query, *args)))

    async def executemany(self, sql: str, rows: Iterable[Args]) -> int:
        """One statement per row of arguments, in one transaction (all or none), on one
        prepared statement; the rows changed, summed from each status. For many rows, one
        INSERT … SELECT is faster still."""
        rows = list(rows)
        if not rows:
            return 0
        query = dollar_placeholders(sql)

        async def work(conn: asyncpg.Connection) -> int:
            changed = 0
            async with conn.transaction():
                statement = await conn.prepare(query)
                for row in rows:
                    await statement.fetch(*row)
                    changed += rows_changed(statement.get_statusmsg())
            return changed

        return await self._on_a_connection(work)

    async def fetchone(self, sql: str, args: Args = ()) -> asyncpg.Record | None:
        query = dollar_placeholders(sql)
        return await self._on_a_connection(lambda conn: conn.fetchrow(query, *args))

    async def fetchall(self, sql: str, args: Args = ()) -> list[asyncpg.Record]:
        query = dollar_placeholders(sql)
        return await self._on_a_connection(lambda conn: conn.fetch(query, *args))

    async def fetchval(self, sql: str, args: Args = ()) -> Any:
        query = dollar_placeholders(sql)
        return await self._on_a_connection(lambda conn: conn.fetchval(query, *args))

    @contextlib.asynccontextmanager
    async def in_turn(self, lock: int) -> AsyncIterator[Database]:
        """One transaction on one pooled connection, under the transaction-scoped advisory lock
        ``lock`` (released at COMMIT or ROLLBACK, whatever happens to this process): other
        replicas asking for it wait, up to the session's lock_timeout."""
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", lock)
            yield _OnOneConnection(conn, self.url)

    async def schema_version(self) -> int:
        async with self.pool.acquire() as conn:
            return await self._version(conn)

    @staticmethod
    async def _version(conn: asyncpg.Connection) -> int:
        if await conn.fetchval("SELECT to_regclass('schema_version')") is None:
            return 0
        return int(await conn.fetchval("SELECT coalesce(max(version), 0) FROM schema_version"))

    async def migrate(self) -> None:
        """Apply the scripts this database lacks, each in one transaction with its new version
        number, under an advisory lock: replicas starting together migrate once."""
        async with self.pool.acquire() as conn:
            await conn.execute("SET lock_timeout = 0")  # another replica's migration: wait for it to finish
            await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
            try:
                await self._migrate(conn)
            finally:
                with contextlib.suppress(asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
                    await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)
                with contextlib.suppress(asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
                    await conn.execute("RESET lock_timeout")  # the pool's reset keeps session settings

    async def _migrate(self, conn: asyncpg.Connection) -> None:
        scripts = MIGRATIONS_POSTGRES
        current = await self._version(conn)
        if current > len(scripts):
            raise RuntimeError(
                f"{self.where} has schema version {current}, newer than this code knows ({len(scripts)}): "
                "run the newer release or restore a backup")
        if current == 0:
            await conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        for version, script in enumerate(scripts[current:], start=current + 1):
            try:
                async with conn.transaction():
                    await conn.execute(script)
                    await conn.execute("DELETE FROM schema_version")
                    await conn.execute("INSERT INTO schema_version (version) VALUES ($1)", version)
            except asyncpg.PostgresError as exc:
                raise DatabaseUnavailable(
                    f"migration {version} of {self.where} failed: {type(exc).__name__}: {exc}. The database stays "
                    f"at version {version - 1}. If the user lacks the right to create tables or the disk is full, "
                    "fix that and start the bot again; otherwise this release's migration is broken: run the "
                    "previous release and report it.") from exc
            log.info("database %s migrated to version %d", self.where, version)

    async def checkpoint(self) -> None:
        """Nothing to do: the server writes its own checkpoints, and a deleted row's space is
        reclaimed by its autovacuum."""

    async def close(self) -> None:
        try:
            await asyncio.wait_for(self.pool.close(), CLOSE_TIMEOUT)
        except (TimeoutError, asyncio.TimeoutError):
            log.warning("PostgreSQL pool of %s did not close in %.0f s: connections terminated",
                        self.where, CLOSE_TIMEOUT)
            with contextlib.suppress(Exception):
                self.pool.terminate()


class _OnOneConnection(PostgresDatabase):
    """`in_turn`'s handle: the five calls on its one connection, inside its transaction."""

    def __init__(self, conn: asyncpg.Connection, url: str) -> None:
        self.conn = conn
        self.url = url

    async def _on_a_connection(self, work: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
        return await work(self.conn)

    def in_turn(self, lock: int) -> contextlib.AbstractAsyncContextManager[Database]:
        raise RuntimeError("in_turn inside in_turn: run the statements on the handle you have")

    async def close(self) -> None:
        raise RuntimeError("in_turn's handle is closed by the end of its `async with`, not by close()")
