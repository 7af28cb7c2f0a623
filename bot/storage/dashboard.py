"""What the officers' dashboard reads: the overview's numbers, the reported identifiers and the
alerts' history.

**The overview never reads the checks.** Its numbers come from `check_counts` (migration 9),
kept by the schema's trigger in the statement that stores each check: per Kazakhstan day, each
check counted once by its scheme, its region, its risk and its language, with whether it was
risky. A month is a few thousand counts however many checks it holds, read off the primary
key's range on `day`, so the page answers in milliseconds on either engine. The counts are anonymous: /forget deletes a
person's checks, not the day's totals, which hold nothing about anyone.

A day is Kazakhstan's (UTC+5, `kz_day`), "the last N days" are today and the N-1 before it,
and days become dates here, in Python, where neither engine's date functions are needed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from bot.storage.database import Database, kz_day

EPOCH = dt.date(1970, 1, 1)  # kz_day counts whole days from here
DELIVERY_STATUSES = ("pending", "sending", "sent", "blocked", "not_found", "failed")


def day_iso(day: int) -> str:
    """A Kazakhstan day number as 'YYYY-MM-DD'."""
    return (EPOCH + dt.timedelta(days=int(day))).isoformat()


@dataclass(frozen=True)
class Overview:
    """The overview page's numbers over the last ``days`` days, read together (`DashboardRepo.overview`)."""

    days: int
    per_day: list[tuple[str, str, int]]  # (day 'YYYY-MM-DD', scheme, risky checks), by day then scheme
    per_region: list[tuple[str | None, int]]  # (region or None: unknown, risky checks), the most first
    per_scheme: list[tuple[str, int]]  # (scheme, risky checks), the most first
    by_risk: list[tuple[str, int]]  # (risk, checks), the most first
    by_language: list[tuple[str, int]]  # (language, checks), the most first
    checks: int  # every check of the period
    risky: int  # of them, high or medium risk


def _most_first(counts: dict) -> list:
    return sorted(counts.items(), key=lambda item: (-item[1], item[0] or ""))  # as the SQL orders: unknown ("") first on a tie


@dataclass(frozen=True)
class IdentifierRow:
    """One reported identifier as the dashboard lists it and the CSV exports it."""

    kind: str
    value: str  # the normal form: E.164, card digits, IBAN, registrable domain, account name
    reporters: int  # distinct users who reported it (forgotten users still count, anonymously)
    first_reported: float | None
    last_reported: float | None
    review: str | None  # confirmed | cleared | None: not reviewed
    reviewed_at: float | None


@dataclass(frozen=True)
class AlertRow:
    """One broadcast (or draft) with its delivery figures."""

    id: int
    author_id: int
    status: str  # draft | pending | rejected | approved | sending | done | cancelled
    regions: tuple[str, ...]
    scheme: str | None
    text_kk: str
    text_ru: str
    created_at: float
    finished_at: float | None
    deliveries: dict[str, int]  # every delivery status, 0 when none

    @property
    def recipients(self) -> int:
        return sum(self.deliveries.values())


class DashboardRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    @staticmethod
    def first_day(days: int, now: float) -> int:
        """The first Kazakhstan day of "the last ``days`` days" (today included)."""
        if days < 1:
            raise ValueError(f"a dashboard's period is at least one day, not {days}")
        return int(kz_day(now)) - days + 1

    async def overview(self, days: int, now: float) -> Overview:
        """Every number of the overview page in two reads: the period's counts summed per
        dimension and value (a hundred-odd groups however many checks), and the risky checks per
        day and scheme for the chart over time. Each read is one range of `check_counts`'
        primary key."""
        first = self.first_day(days, now)
        totals: dict[str, dict[tuple[str, int], int]] = {"scheme": {}, "region": {}, "risk": {}, "language": {}}
        for dimension, value, risky, n in await self.db.fetchall(
                "SELECT dimension, value, risky, sum(n) FROM check_counts WHERE day >= ? "
                "GROUP BY dimension, value, risky", (first,)):
            totals[dimension][(value, int(risky))] = int(n)

        def summed(dimension: str, *, risky_only: bool) -> dict[str, int]:
            out: dict[str, int] = {}
            for (value, risky), n in totals[dimension].items():
                if risky or not risky_only:
                    out[value] = out.get(value, 0) + n
            return out

        risks = summed("risk", risky_only=False)
        return Overview(
            days=days, per_day=await self.per_day(days, now),
            per_region=[(region or None, n) for region, n in _most_first(summed("region", risky_only=True))],
            per_scheme=[(s, n) for s, n in _most_first(summed("scheme", risky_only=True)) if s],
            by_risk=_most_first(risks), by_language=_most_first(summed("language", risky_only=False)),
            checks=sum(risks.values()), risky=sum(n for risk, n in risks.items() if risk in ("high", "medium")))

    async def per_day(self, days: int, now: float) -> list[tuple[str, str, int]]:
        """(day 'YYYY-MM-DD', scheme, checks) of the checks that looked like fraud (high or
        medium risk) with a scheme, per day, over the last ``days`` days, by day then scheme."""
        rows = await self.db.fetchall(
            "SELECT day, value, n FROM check_counts WHERE day >= ? AND dimension = 'scheme' AND risky = 1 "
            "AND value != '' ORDER BY day, value",
            (self.first_day(days, now),))
        return [(day_iso(row[0]), row[1], int(row[2])) for row in rows]

    async def per_region(self, days: int, now: float) -> list[tuple[str | None, int]]:
        """(region id, or None when unknown; checks that looked like fraud) over the last
        ``days`` days, the most first."""
        return [(region or None, n) for region, n in await self._total("region", days, now, risky_only=True)]

    async def per_scheme(self, days: int, now: float) -> list[tuple[str, int]]:
        """(scheme, checks that looked like fraud) over the last ``days`` days, the most first."""
        return [(scheme, n) for scheme, n in await self._total("scheme", days, now, risky_only=True) if scheme]

    async def by_risk(self, days: int, now: float) -> list[tuple[str, int]]:
        """(risk, every check) over the last ``days`` days, the most first."""
        return await self._total("risk", days, now, risky_only=False)

    async def by_language(self, days: int, now: float) -> list[tuple[str, int]]:
        """(language the check was written in: kk, ru, mixed, other; every check) over the last
        ``days`` days, the most first."""
        return await self._total("language", days, now, risky_only=False)

    async def _total(self, dimension: str, days: int, now: float, *, risky_only: bool) -> list[tuple[str, int]]:
        rows = await self.db.fetchall(
            "SELECT value, sum(n) FROM check_counts WHERE day >= ? AND dimension = ?"
            + (" AND risky = 1" if risky_only else "") + " GROUP BY value ORDER BY 2 DESC, 1",
            (self.first_day(days, now), dimension))
        return [(row[0], int(row[1])) for row in rows]

    async def identifiers(self, limit: int = 100, offset: int = 0) -> list[IdentifierRow]:
        """Reported or reviewed identifiers, the most reported first (then the latest), with the
        officers' decision: the dashboard's page, ``limit`` at a time from ``offset``."""
        return [_identifier(row) for row in await self.db.fetchall(
            _IDENTIFIERS + " ORDER BY reporters DESC, last_reported DESC NULLS LAST, kind, value LIMIT ? OFFSET ?",
            (limit, offset))]

    async def count_identifiers(self) -> int:
        """How many identifiers the pages of `identifiers` hold in all."""
        return int(await self.db.fetchval(f"SELECT count(*) FROM ({_IDENTIFIERS}) AS listed"))

    async def identifiers_csv_rows(self) -> list[IdentifierRow]:
        """Every reported or reviewed identifier, by kind and value (two exports compare line by line)."""
        return [_identifier(row) for row in await self.db.fetchall(_IDENTIFIERS + " ORDER BY kind, value")]

    async def alerts(self, limit: int = 50) -> list[AlertRow]:
        """The latest broadcasts and drafts, newest first, each with its deliveries counted per
        status (off the `deliveries_status` index)."""
        broadcasts = await self.db.fetchall(
            "SELECT id, author_id, status, regions, scheme, text_kk, text_ru, created_at, finished_at "
            "FROM broadcasts ORDER BY created_at DESC, id DESC LIMIT ?", (limit,))
        if not broadcasts:
            return []
        ids = [row["id"] for row in broadcasts]
        counts: dict[int, dict[str, int]] = {i: dict.fromkeys(DELIVERY_STATUSES, 0) for i in ids}
        for row in await self.db.fetchall(
                f"SELECT broadcast_id, status, count(*) FROM deliveries WHERE broadcast_id IN "
                f"({', '.join('?' for _ in ids)}) GROUP BY broadcast_id, status", ids):
            counts[row[0]][row[1]] = int(row[2])
        return [AlertRow(row["id"], row["author_id"], row["status"], tuple(filter(None, row["regions"].split(","))),
                         row["scheme"], row["text_kk"], row["text_ru"], row["created_at"], row["finished_at"],
                         counts[row["id"]]) for row in broadcasts]


# Every identifier reported or reviewed, once: the reports grouped (off `reports_identifier`),
# joined to the reviews both ways (an identifier an officer confirmed unreported is listed too).
_IDENTIFIERS = (
    "SELECT kind, value, sum(reporters) AS reporters, min(first_reported) AS first_reported, "
    "max(last_reported) AS last_reported, max(review) AS review, max(reviewed_at) AS reviewed_at FROM ("
    " SELECT kind, value, count(*) AS reporters, min(created_at) AS first_reported, max(created_at) AS last_reported,"
    " CAST(NULL AS TEXT) AS review, CAST(NULL AS DOUBLE PRECISION) AS reviewed_at FROM reports GROUP BY kind, value"
    " UNION ALL"
    " SELECT kind, value, 0, NULL, NULL, status, decided_at FROM identifier_reviews"
    ") AS both_sides GROUP BY kind, value"
)


def _identifier(row: Any) -> IdentifierRow:
    return IdentifierRow(row["kind"], row["value"], int(row["reporters"]), row["first_reported"], row["last_reported"],
                         row["review"], row["reviewed_at"])
