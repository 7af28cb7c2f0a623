"""The inbox's table: which updates were already answered.

The bot confirms an update to Telegram only after handling it, so a crash makes Telegram send
the unfinished ones again. Updates handled but not yet confirmed come back too; this table
keeps their ids (nothing else: no text, no user) so that they are not answered twice. A row is
useless once Telegram has confirmed its update, and is deleted then, or after a day at most
(Telegram itself forgets unconfirmed updates after 24 hours).
"""

from __future__ import annotations

from bot.storage.database import Database

KEEP_FOR = 24 * 3600.0  # seconds: Telegram keeps an unconfirmed update no longer


class HandledUpdatesRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def load(self, now: float) -> set[int]:
        """The ids still worth remembering; rows older than KEEP_FOR are deleted first."""
        await self._db.execute("DELETE FROM handled_updates WHERE handled_at < ?", (now - KEEP_FOR,))
        return {int(row[0]) for row in await self._db.fetchall("SELECT update_id FROM handled_updates")}

    async def handled(self, update_id: int) -> bool:
        """Whether any process sharing this database answered the update: one primary-key read."""
        return await self._db.fetchval("SELECT 1 FROM handled_updates WHERE update_id = ?", (update_id,)) is not None

    async def mark(self, update_id: int, now: float) -> None:
        await self._db.execute(
            "INSERT INTO handled_updates (update_id, handled_at) VALUES (?, ?) ON CONFLICT (update_id) DO NOTHING",
            (update_id, now))

    async def forget_below(self, offset: int) -> None:
        """Telegram confirmed every update below ``offset``: it never sends them again."""
        await self._db.execute("DELETE FROM handled_updates WHERE update_id < ?", (offset,))

    async def forget_older(self, before: float) -> None:
        await self._db.execute("DELETE FROM handled_updates WHERE handled_at < ?", (before,))
