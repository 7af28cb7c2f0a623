"""Who may do what: superadmins (from ADMIN_IDS), officers (granted by a superadmin), and
the audit trail of every admin action."""

from __future__ import annotations

import time
from typing import Literal

from bot.storage.database import Database

Role = Literal["superadmin", "officer", "citizen"]



class RolesRepo:
    def __init__(self, db: Database, superadmins: frozenset[int]) -> None:
        self.conn = db.conn
        self.superadmins = superadmins

    async def role_of(self, user_id: int) -> Role:
        """Read on every admin command and button: a revoked officer loses access at once."""
        if user_id in self.superadmins:
            return "superadmin"
        async with self.conn.execute("SELECT 1 FROM officers WHERE user_id = ?", (user_id,)) as cur:
            return "officer" if await cur.fetchone() else "citizen"

    async def grant(self, user_id: int, by: int) -> bool:
        """False when the user already was an officer."""
        cur = await self.conn.execute(
            "INSERT OR IGNORE INTO officers (user_id, granted_by, granted_at) VALUES (?, ?, ?)",
            (user_id, by, time.time()),
        )
        return cur.rowcount > 0

    async def revoke(self, user_id: int) -> bool:
        cur = await self.conn.execute("DELETE FROM officers WHERE user_id = ?", (user_id,))
        return cur.rowcount > 0

    async def officers(self) -> list[tuple[int, int, float]]:
        async with self.conn.execute("SELECT user_id, granted_by, granted_at FROM officers ORDER BY granted_at") as cur:
            return [tuple(row) for row in await cur.fetchall()]

    async def audit(self, actor_id: int, action: str, detail: str = "") -> None:
        await self.conn.execute(
            "INSERT INTO audit (actor_id, action, detail, created_at) VALUES (?, ?, ?, ?)",
            (actor_id, action, detail, time.time()),
        )
