"""Who gets police alerts for which regions. 'national' is the whole-country channel that
every subscriber has."""

from __future__ import annotations

from bot.storage.database import Database

NATIONAL = "national"


class SubscriptionsRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def regions_of(self, user_id: int) -> set[str]:
        return {row[0] for row in await self.db.fetchall("SELECT region FROM subscriptions WHERE user_id = ?",
                                                         (user_id,))}

    async def subscribe(self, user_id: int, regions: set[str]) -> None:
        """Subscribe to these regions and the national channel (replacing earlier choices).

        Three single statements, no BEGIN…COMMIT: a transaction spread over awaits would hold
        a lock (SQLite: the one shared connection, taking in every handler's statements) while
        the event loop serves others. Each statement is atomic and the three converge on the
        same end state whatever runs between them. The regions travel as numbered parameters
        (?2, ?3, …; ?1 is the user), which both engines read the same way."""
        wanted = sorted(regions | {NATIONAL})
        numbers = range(2, len(wanted) + 2)
        await self.db.execute("UPDATE users SET subscribed = 1 WHERE id = ?", (user_id,))
        await self.db.execute(
            f"DELETE FROM subscriptions WHERE user_id = ?1 AND region NOT IN ({', '.join(f'?{n}' for n in numbers)})",
            (user_id, *wanted),
        )
        await self.db.execute(
            f"INSERT INTO subscriptions (user_id, region) VALUES {', '.join(f'(?1, ?{n})' for n in numbers)} "
            "ON CONFLICT (user_id, region) DO NOTHING",
            (user_id, *wanted),
        )

    async def toggle(self, user_id: int, region: str) -> set[str]:
        """Add or remove one region; returns the regions now subscribed (with 'national')."""
        chosen = (await self.regions_of(user_id) ^ {region}) | {NATIONAL}
        await self.subscribe(user_id, chosen)
        return chosen

    async def unsubscribe(self, user_id: int) -> None:
        await self.db.execute("UPDATE users SET subscribed = 0 WHERE id = ?", (user_id,))
        await self.db.execute("DELETE FROM subscriptions WHERE user_id = ?", (user_id,))
