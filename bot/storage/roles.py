"""Who may do what: superadmins (from ADMIN_IDS), officers (granted by a superadmin), and
the audit trail of every admin action."""

from __future__ import annotations

import time
from typing import Literal

from bot.storage.database import Database

Role = Literal["superadmin", "officer", "citizen"]


class RolesRepo:
    def __init__(self, db: Database, superadmins: frozenset[int]) -> None:
        self.db = db
        self.superadmins = superadmins

    async def role_of(self, user_id: int) -> Role:
        """Read on every admin command and button: a revoked officer loses access at once."""
        if user_id in self.superadmins:
            return "superadmin"
        found = await self.db.fetchval("SELECT 1 FROM officers WHERE user_id = ?", (user_id,))
        return "officer" if found is not None else "citizen"

    async def grant(self, user_id: int, by: int) -> bool:
        """False when the user already was an officer."""
        granted = await self.db.execute(
            "INSERT INTO officers (user_id, granted_by, granted_at) VALUES (?, ?, ?) ON CONFLICT (user_id) DO NOTHING",
            (user_id, by, time.time()),
        )
        return granted > 0

    async def revoke(self, user_id: int) -> bool:
        return await self.db.execute("DELETE FROM officers WHERE user_id = ?", (user_id,)) > 0

    async def officers(self) -> list[tuple[int, int, float]]:
        rows = await self.db.fetchall("SELECT user_id, granted_by, granted_at FROM officers ORDER BY granted_at")
        return [(row[0], row[1], row[2]) for row in rows]

    async def audit(self, actor_id: int, action: str, detail: str = "") -> None:
        await self.db.execute(
            "INSERT INTO audit (actor_id, action, detail, created_at) VALUES (?, ?, ?, ?)",
            (actor_id, action, detail, time.time()),
        )
