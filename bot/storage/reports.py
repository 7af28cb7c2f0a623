"""Reports of identifiers by users, and officers' reviews of them: the crowd's memory of which
numbers, cards, IBANs, sites and accounts are the fraudsters'.

What is stored is only what a user confirmed as the fraudster's, in its normal form
(`bot.classifier.identifiers.Identifier`): the repository takes identifiers, never a text.

**The crowd rule.** A count that a handful of fresh accounts could inflate would let a
fraudster smear an honest number (a shop, a rival, a bank's real line). So:

* a user counts once per identifier (one row per user: a second report changes nothing);
* `Standing.reporters` is the number of distinct reporters; it is what may be shown
  ("reported by 7 people since 12 November");
* `Standing.past_threshold` — what may put an identifier in the review queue or make an
  answer warn on the crowd's word — needs at least `min_reporters` reporters whose Telegram
  account had talked to the bot for at least `min_account_age_days` *before* they reported
  (the age is taken at the report, from `users.created_at`, so accounts made today and left to
  age do not pass later);
* an officer's review wins over the crowd: "cleared" makes `past_threshold` false whatever
  the count, "confirmed" is reported apart from the crowd (`Standing.review`).

/forget (`UsersRepo.forget`) takes the reporter out of their reports (user id and region set
to NULL): the identifier's count stays, nothing about the person does.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from bot.storage.database import Database

if TYPE_CHECKING:
    from bot.classifier.identifiers import Identifier, IdentifierKind

Review = Literal["confirmed", "cleared"]

DAY = 86_400.0
MIN_REPORTERS = 3
MIN_ACCOUNT_AGE_DAYS = 7.0
# SQLite allows 32 766 bound parameters; a text has a handful of identifiers, a lookup more than
# this is a mistake worth an error rather than a silent cut.
MAX_LOOKUP = 500
# How an officer's review is written, by `ReportsRepo` and by the queue (`ReviewsRepo`): one
# review per identifier, the latest decision standing (the triggers audit each one).
REVIEW_UPSERT = (
    "ON CONFLICT (kind, value) DO UPDATE SET status = excluded.status, "
    "officer_id = excluded.officer_id, decided_at = excluded.decided_at"
)


@dataclass(frozen=True)
class Standing:
    """What is known of one identifier: the crowd's reports and an officer's review, apart."""

    kind: IdentifierKind
    value: str
    reporters: int  # distinct users who reported it (forgotten users still count, anonymously)
    seasoned_reporters: int  # of them, those whose account was old enough when they reported
    first_reported: float | None  # unix time of the first report; None: never reported
    last_reported: float | None
    review: Review | None  # an officer's decision; None: not reviewed
    reviewed_by: int | None
    reviewed_at: float | None
    past_threshold: bool  # the crowd rule above: enough seasoned reporters and not cleared


@dataclass(frozen=True)
class ExportRow:
    """One confirmed identifier as the authorities get it (one CSV line)."""

    kind: IdentifierKind
    value: str  # the normal form: E.164, card digits, IBAN, registrable domain, account name
    reporters: int  # distinct users who reported it (forgotten users still count, anonymously)
    first_seen: float  # unix time: the first report, or the officer's decision if earlier (or none)
    last_seen: float  # the last report, or the decision if later
    status: Review


class UnknownReporter(LookupError):
    """A report from a user the bot has not stored: touch the user first (the storage
    middleware does it for every update), then report."""


class ReportsRepo:
    def __init__(
        self, db: Database, *, min_reporters: int = MIN_REPORTERS, min_account_age_days: float = MIN_ACCOUNT_AGE_DAYS,
    ) -> None:
        if min_reporters < 1 or min_account_age_days < 0:
            raise ValueError("min_reporters must be at least 1 and min_account_age_days not negative")
        self.db = db
        self.min_reporters = min_reporters
        self.min_account_age = min_account_age_days * DAY

    async def report(self, user_id: int, identifiers: Iterable[Identifier], region: str | None) -> int:
        """Store that ``user_id`` confirmed these identifiers as the fraudster's; returns how many
        are new for this user (a repeated report counts once and keeps its first time)."""
        from bot.classifier.identifiers import unique  # imported here: see bot/storage/reviews.py

        now = time.time()
        rows = [(ident.kind, ident.value, region, now, now, user_id) for ident in unique(list(identifiers))]
        if not rows:
            return 0
        if await self.db.fetchone("SELECT 1 FROM users WHERE id = ?", (user_id,)) is None:
            raise UnknownReporter(f"user {user_id} is not stored: touch the user (UsersRepo.touch) before a report")
        return await self.db.executemany(
            "INSERT INTO reports (kind, value, user_id, region, reporter_age, created_at) "
            "SELECT ?, ?, id, ?, greatest(0, ? - created_at), ? FROM users WHERE id = ? "
            "ON CONFLICT (kind, value, user_id) DO NOTHING",
            rows,
        )

    async def reputation(self, identifiers: Sequence[Identifier]) -> list[Standing]:
        """The standing of each identifier, in the order given, in one query over the
        `reports_identifier` covering index and the reviews' primary key."""
        from bot.classifier.identifiers import unique

        wanted = unique(list(identifiers))
        if not wanted:
            return []
        if len(wanted) > MAX_LOOKUP:
            raise ValueError(f"{len(wanted)} identifiers in one lookup; look up at most {MAX_LOOKUP} at a time")
        # The order is cast: PostgreSQL would take an untyped parameter in VALUES for text (and
        # sort 10 before 2).
        values = ", ".join("(CAST(? AS INTEGER), ?, ?)" for _ in wanted)
        params: list[object] = []
        for order, ident in enumerate(wanted):
            params += (order, ident.kind, ident.value)
        sql = (
            f"WITH wanted(ord, kind, value) AS (VALUES {values}) "
            "SELECT w.ord, w.kind, w.value, count(r.created_at) AS reporters, "
            "count(CASE WHEN r.reporter_age >= ? THEN 1 END) AS seasoned, "
            "min(r.created_at) AS first, max(r.created_at) AS last, "
            "v.status, v.officer_id, v.decided_at "
            "FROM wanted AS w "
            "LEFT JOIN reports AS r ON r.kind = w.kind AND r.value = w.value "
            "LEFT JOIN identifier_reviews AS v ON v.kind = w.kind AND v.value = w.value "
            # Every column not aggregated is grouped (PostgreSQL's rule; `ord` alone makes each
            # group), and the order is the groups' own, so SQLite sorts once, not twice.
            "GROUP BY w.ord, w.kind, w.value, v.status, v.officer_id, v.decided_at "
            "ORDER BY w.ord, w.kind, w.value, v.status, v.officer_id, v.decided_at"
        )
        rows = await self.db.fetchall(sql, (*params, self.min_account_age))
        return [
            Standing(
                kind=row["kind"], value=row["value"], reporters=row["reporters"], seasoned_reporters=row["seasoned"],
                first_reported=row["first"], last_reported=row["last"], review=row["status"],
                reviewed_by=row["officer_id"], reviewed_at=row["decided_at"],
                past_threshold=row["status"] != "cleared" and row["seasoned"] >= self.min_reporters,
            )
            for row in rows
        ]

    async def confirm(self, officer_id: int, identifier: Identifier) -> None:
        """An officer confirms the identifier is a fraudster's: shown in every later answer."""
        await self._review(officer_id, identifier, "confirmed")

    async def clear(self, officer_id: int, identifier: Identifier) -> None:
        """An officer clears the identifier: the crowd's count no longer passes the threshold."""
        await self._review(officer_id, identifier, "cleared")

    async def _review(self, officer_id: int, identifier: Identifier, status: Review) -> None:
        """One review per identifier, the latest decision standing. One statement: the schema's
        triggers write each decision (who, what, when) to the audit trail in it, so neither is
        kept without the other and no transaction spans an await on the shared connection.
        Whether ``officer_id`` is an officer is the caller's check (the officers' role filter)."""
        await self.db.execute(
            f"INSERT INTO identifier_reviews (kind, value, status, officer_id, decided_at) VALUES (?, ?, ?, ?, ?) "
            f"{REVIEW_UPSERT}",
            (identifier.kind, identifier.value, status, officer_id, time.time()),
        )

    async def export(self, since: float) -> list[ExportRow]:
        """The identifiers officers confirmed, with their crowd counts, that were seen (reported
        or confirmed) at or after ``since`` (unix time): what `python -m bot export-identifiers`
        gives an operator or the Anti-fraud Centre. Only confirmed ones: a count alone is the
        crowd's word, not enough to suspend a number or block a payee. Ordered by kind and value,
        so two exports compare line by line. One query over the reviews (a few thousand rows at
        most) and the `reports_identifier` index."""
        # Grouped by the reviews' primary key: their other columns depend on it (SQL's rule,
        # which PostgreSQL checks), and SQLite reads the groups off that key, in order, unsorted.
        rows = await self.db.fetchall(
            "SELECT v.kind, v.value, v.status, v.decided_at, count(r.created_at) AS reporters, "
            "min(r.created_at) AS first, max(r.created_at) AS last "
            "FROM identifier_reviews AS v LEFT JOIN reports AS r ON r.kind = v.kind AND r.value = v.value "
            "WHERE v.status = 'confirmed' GROUP BY v.kind, v.value "
            "HAVING greatest(v.decided_at, max(r.created_at)) >= ? ORDER BY v.kind, v.value",
            (float(since),),
        )
        return [
            ExportRow(
                kind=row["kind"], value=row["value"], reporters=row["reporters"],
                first_seen=min(row["decided_at"], row["first"] if row["first"] is not None else row["decided_at"]),
                last_seen=max(row["decided_at"], row["last"] if row["last"] is not None else row["decided_at"]),
                status=row["status"],
            )
            for row in rows
        ]

