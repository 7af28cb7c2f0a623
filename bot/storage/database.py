"""The one SQLite connection of the process: WAL journal, foreign keys, migrations at open."""

from __future__ import annotations

import logging
from pathlib import Path

import aiosqlite

from bot.storage.migrations import MIGRATIONS

log = logging.getLogger(__name__)


class Database:
    """Owns the aiosqlite connection. aiosqlite runs every statement on one worker thread,
    so writes are serialised without locks of our own."""

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path

    @classmethod
    async def open(cls, path: Path) -> Database:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(path, isolation_level=None)
        conn.row_factory = aiosqlite.Row
        for pragma in (
            "PRAGMA journal_mode=WAL",
            "PRAGMA synchronous=NORMAL",  # durable at checkpoints; a power cut loses at most the last commits
            "PRAGMA foreign_keys=ON",
            "PRAGMA busy_timeout=5000",
            "PRAGMA secure_delete=ON",  # /forget overwrites the deleted rows instead of leaving them in free pages
        ):
            await conn.execute(pragma)
        db = cls(conn, path)
        await db.migrate()
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
            await self.conn.executescript(f"BEGIN;\n{script}\nPRAGMA user_version={version};\nCOMMIT;")
            log.info("database %s migrated to version %d", self.path, version)

    async def close(self) -> None:
        await self.conn.close()
