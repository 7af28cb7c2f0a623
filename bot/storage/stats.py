"""Numbers for officers: subscribers by region and language, checks per scheme per day."""

from __future__ import annotations

import time

from bot.storage.database import Database

DAY = 86_400


class StatsRepo:
    def __init__(self, db: Database) -> None:
        self.conn = db.conn

    async def subscribers(self) -> list[tuple[str | None, str, int]]:
        """(region or None, language, count) of active subscribers."""
        async with self.conn.execute(
            "SELECT region, coalesce(language, 'ru'), count(*) FROM users "
            "WHERE subscribed = 1 AND blocked_at IS NULL GROUP BY 1, 2 ORDER BY 1, 2"
        ) as cur:
            return [tuple(row) for row in await cur.fetchall()]

    async def checks_per_day(self, days: int, now: float | None = None) -> list[tuple[str, str, int]]:
        """(day 'YYYY-MM-DD' in Kazakhstan time, UTC+5; scheme; count) of the checks that looked
        like fraud (risk high or medium) over the last `days` days."""
        since = (now or time.time()) - days * DAY
        async with self.conn.execute(
            "SELECT date(created_at + 5 * 3600, 'unixepoch'), scheme, count(*) FROM checks "
            "WHERE created_at >= ? AND risk IN ('high', 'medium') AND scheme IS NOT NULL "
            "GROUP BY 1, 2 ORDER BY 1, 2",
            (since,),
        ) as cur:
            return [tuple(row) for row in await cur.fetchall()]
