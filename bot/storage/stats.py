"""Numbers for officers: subscribers by region and language, checks per scheme per day."""

from __future__ import annotations

import datetime as dt
import time

from bot.storage.database import Database

DAY = 86_400
EPOCH = dt.date(1970, 1, 1)  # kz_day counts whole days from here


class StatsRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def subscribers(self) -> list[tuple[str | None, str, int]]:
        """(region or None, language, count) of active subscribers; those without a region first
        (PostgreSQL would put NULLs last unless told)."""
        rows = await self.db.fetchall(
            "SELECT region, coalesce(language, 'ru'), count(*) FROM users "
            "WHERE subscribed = 1 AND blocked_at IS NULL GROUP BY region, coalesce(language, 'ru') "
            "ORDER BY 1 NULLS FIRST, 2"
        )
        return [(row[0], row[1], int(row[2])) for row in rows]

    async def checks_per_day(self, days: int, now: float | None = None) -> list[tuple[str, str, int]]:
        """(day 'YYYY-MM-DD' in Kazakhstan time, UTC+5; scheme; count) of the checks that looked
        like fraud (risk high or medium) over the last `days` days. The database groups by
        Kazakhstan's day number (`kz_day`, the same function on both engines); the number
        becomes a date here, where neither engine's date functions are needed."""
        since = (now or time.time()) - days * DAY
        rows = await self.db.fetchall(
            "SELECT kz_day(created_at), scheme, count(*) FROM checks "
            "WHERE created_at >= ? AND risk IN ('high', 'medium') AND scheme IS NOT NULL "
            "GROUP BY kz_day(created_at), scheme ORDER BY 1, 2",
            (since,),
        )
        return [((EPOCH + dt.timedelta(days=int(row[0]))).isoformat(), row[1], int(row[2])) for row in rows]
