"""Who gets police alerts for which regions. 'national' is the whole-country channel that
every subscriber has."""

from __future__ import annotations

import json

from bot.storage.database import Database

NATIONAL = "national"


class SubscriptionsRepo:
    def __init__(self, db: Database) -> None:
        self.conn = db.conn

    async def regions_of(self, user_id: int) -> set[str]:
        async with self.conn.execute("SELECT region FROM subscriptions WHERE user_id = ?", (user_id,)) as cur:
            return {row[0] for row in await cur.fetchall()}

    async def subscribe(self, user_id: int, regions: set[str]) -> None:
        """Subscribe to these regions and the national channel (replacing earlier choices).

        Three single statements, no BEGIN…COMMIT: the connection is shared by every handler,
        and a transaction spread over awaits would take in their statements. Each statement
        is atomic and the three converge on the same end state whatever runs between them."""
        wanted = json.dumps(sorted(regions | {NATIONAL}))
        await self.conn.execute("UPDATE users SET subscribed = 1 WHERE id = ?", (user_id,))
        await self.conn.execute(
            "DELETE FROM subscriptions WHERE user_id = ? AND region NOT IN (SELECT value FROM json_each(?))",
            (user_id, wanted),
        )
        await self.conn.execute(
            "INSERT OR IGNORE INTO subscriptions (user_id, region) SELECT ?, value FROM json_each(?)",
            (user_id, wanted),
        )

    async def toggle(self, user_id: int, region: str) -> set[str]:
        """Add or remove one region; returns the regions now subscribed (with 'national')."""
        chosen = (await self.regions_of(user_id) ^ {region}) | {NATIONAL}
        await self.subscribe(user_id, chosen)
        return chosen

    async def unsubscribe(self, user_id: int) -> None:
        await self.conn.execute("UPDATE users SET subscribed = 0 WHERE id = ?", (user_id,))
        await self.conn.execute("DELETE FROM subscriptions WHERE user_id = ?", (user_id,))
