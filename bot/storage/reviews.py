"""The officers' review queue and their labels of texts: how the knowledge base grows from the
people's questions (issue 14).

**The queue** (`review_items`) holds two kinds of item:

* a *text item*: a stored check whose text an officer should label — the user disputed the
  verdict (``'disputed'``) or the classifier was unsure (``'low_confidence'``). One item per
  *text* (its `text_hash`), however many people checked it: a scam wave checked by a hundred
  users is one decision, not a hundred. A dispute upgrades a low-confidence item (and brings a
  skipped one back to the front); a text already labelled is not enqueued again.
* an *identifier item*: a number, card, IBAN, site or account that passed the crowd's threshold
  (`bot/storage/reports.py`), to confirm or clear (``'reported'``); not once it was reviewed.

`next_item` gives disputed texts first (a person said the bot was wrong), then reported
identifiers, then low-confidence texts; skipped items after all others (the oldest skip
first); within each, the oldest. The order is the `review_items_queue` index's, so the next
item is read off the index, not sorted, however long the queue.

**A label** is one statement (`label`): the reviewed example is stored (or its label changed),
and the schema's triggers (migration 7) write the decision to the audit trail, take the text
out of the queue and create a pending notice for every user who checked it — all or nothing,
with no transaction spanning an await on the shared connection. A reviewed example keeps the
redacted text and its language, never who asked: /forget leaves it (it is the knowledge base's
now) but takes the user's notices and checks.

`reviewed_label` is the exact-match lookup every check makes (a primary-key lookup): a text
identical, after redaction, to a labelled one gets the officer's label at once, before any
retrain.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from bot.storage.database import Database
from bot.storage.reports import REVIEW_UPSERT, Review, ReportsRepo, Standing

if TYPE_CHECKING:
    # Imported where used: bot.config imports bot.storage's settings, so the package is on the
    # path of every command line and of the container's healthcheck; the identifiers' libraries
    # (phonenumbers, tldextract) would add ~80 ms to each.
    from bot.classifier.identifiers import Identifier, IdentifierKind

Reason = Literal["disputed", "low_confidence", "reported"]
CheckReason = Literal["disputed", "low_confidence"]

# The queue's order, as the `review_items_queue` index spells it (SQLite uses an index on an
# expression only for the very same expression). NULLS FIRST: items never skipped come first, as
# SQLite sorts NULLs anyway; PostgreSQL sorts them last unless told (its index says it too).
_QUEUE_ORDER = ("skipped_at NULLS FIRST, CASE reason WHEN 'disputed' THEN 0 WHEN 'reported' THEN 1 ELSE 2 END, "
                "created_at")


@dataclass(frozen=True)
class TextItem:
    """A stored check to label: its redacted text and the verdict it got."""

    id: int  # the queue item's id (what the officer's buttons carry)
    check_id: int
    text_redacted: str
    text_hash: str
    risk: str  # the verdict the bot gave: high | medium | low | none
    scheme: str | None
    reason: Reason
    askers: int  # distinct users who checked this very text (after redaction)
    asked_at: float  # unix time of the latest check of this text, by anyone


@dataclass(frozen=True)
class IdentifierItem:
    """An identifier past the crowd's threshold, to confirm or clear; `standing` is what the
    crowd said of it (reporters, first and last report)."""

    id: int
    identifier: Identifier
    standing: Standing


@dataclass(frozen=True)
class Labelled:
    """What a label did: the text (by hash), its label, and how many users will be told."""

    text_hash: str
    label: str
    noticed: int  # pending notices created (or renewed, when the label changed) by this label


@dataclass(frozen=True)
class ReviewedExample:
    """A labelled text, as the knowledge base and the retrain take it."""

    text: str  # redacted
    label: str  # a scheme id | not_fraud | fraud_warning
    language: str  # the check's language as the classifier detected it: kk | ru | mixed | other
    decided_at: float


@dataclass(frozen=True)
class QueuedItem:
    """One line of the queue as the dashboard lists it: a text (redacted) or an identifier."""

    id: int
    reason: str
    kind: str | None  # an identifier's kind; None for a text
    text: str  # the redacted text, or the identifier's normal form
    risk: str | None  # a text's verdict
    scheme: str | None
    created_at: float
    skipped_at: float | None


class ReviewsRepo:
    """``reports``: the repository whose crowd rule (threshold, account age) an identifier
    item's standing is read with; by default one with the standard rule."""

    def __init__(self, db: Database, *, reports: ReportsRepo | None = None) -> None:
        self.db = db
        self.reports = reports or ReportsRepo(db)

    def _item_locked(self, alias: str) -> str:
        """What makes a decision on a queue item wait for another officer's decision on it.
        SQLite runs one write at a time: the second decision's statement finds the item gone
        (the first one's trigger took it out) and decides nothing. PostgreSQL runs both at
        once, each seeing the item in its snapshot, and the second would write its label over
        the first's: locking the item's row makes it wait, then read the item again — gone, so
        it decides nothing, as on SQLite (the one place these statements differ)."""
        return f" FOR UPDATE OF {alias}" if self.db.engine == "postgresql" else ""

    async def enqueue_check(self, check_id: int, reason: CheckReason) -> None:
        """Put the check's text in the queue, unless it is labelled already or queued already
        (by anyone's check of the same text); a dispute upgrades a queued low-confidence text
        and brings it back to the front if an officer had skipped it.

        Whether ``check_id`` is the user's own check is the caller's test (`ChecksRepo.get` or
        `add_feedback`); a check that does not exist (deleted by /forget) enqueues nothing."""
        if reason not in ("disputed", "low_confidence"):
            raise ValueError(f"a check is queued as 'disputed' or 'low_confidence', not {reason!r}")
        if reason == "disputed":
            await self.db.execute(
                "UPDATE review_items SET reason = 'disputed', skipped_at = NULL, skipped_by = NULL "
                "WHERE reason = 'low_confidence' AND check_id IN ("
                " SELECT id FROM checks WHERE text_hash = (SELECT text_hash FROM checks WHERE id = ?))",
                (check_id,),
            )
        # One statement: the two tests and the insert cannot be split by another coroutine's.
        # (Two replicas on PostgreSQL enqueuing the same check at once: one inserts, the other's
        # conflict on `check_id` does nothing.)
        inserted = await self.db.execute(
            "INSERT INTO review_items (check_id, reason, created_at) "
            "SELECT c.id, ?, ? FROM checks AS c WHERE c.id = ? "
            "AND NOT EXISTS (SELECT 1 FROM reviewed_examples AS e WHERE e.text_hash = c.text_hash) "
            "AND NOT EXISTS (SELECT 1 FROM checks AS same JOIN review_items AS r ON r.check_id = same.id "
            "                WHERE same.text_hash = c.text_hash) "
            "ON CONFLICT DO NOTHING",
            (reason, time.time(), check_id),
        )
        if inserted:
            # PostgreSQL runs the inserts of other people's checks of the same text (a scam wave
            # checked at once, on several replicas) side by side, each seeing no item in its
            # snapshot: keep one item per text, the disputed one if any, else the oldest. Of
            # two racing inserts, the later one to commit always sees both here. (On SQLite,
            # one write at a time, there is never a second item to delete.)
            await self.db.execute(
                "DELETE FROM review_items WHERE check_id IN ("
                " SELECT same.id FROM checks AS same JOIN checks AS c ON same.text_hash = c.text_hash WHERE c.id = ?1) "
                "AND id <> (SELECT r.id FROM review_items AS r JOIN checks AS same ON same.id = r.check_id "
                "           JOIN checks AS c ON same.text_hash = c.text_hash WHERE c.id = ?1 "
                "           ORDER BY CASE r.reason WHEN 'disputed' THEN 0 ELSE 1 END, r.id LIMIT 1)",
                (check_id,),
            )

    async def enqueue_identifier(self, identifier: Identifier) -> None:
        """Queue an identifier for an officer (reason 'reported'), once; not when an officer has
        reviewed it already (their decision stands until another officer changes it). Whether
        it passed the crowd's threshold is the caller's test (`Standing.past_threshold`)."""
        await self.db.execute(
            "INSERT INTO review_items (kind, value, reason, created_at) SELECT ?1, ?2, 'reported', ?3 "
            "WHERE NOT EXISTS (SELECT 1 FROM identifier_reviews WHERE kind = ?1 AND value = ?2) "
            "ON CONFLICT (kind, value) DO NOTHING",
            (identifier.kind, identifier.value, time.time()),
        )

    async def next_item(self) -> TextItem | IdentifierItem | None:
        """The item an officer should see now (the order is in the module's doc); None when the
        queue is empty."""
        row = await self.db.fetchone(
            "SELECT r.id, r.check_id, r.kind, r.value, r.reason, c.text_redacted, c.text_hash, c.risk, c.scheme "
            "FROM review_items AS r LEFT JOIN checks AS c ON c.id = r.check_id "
            f"WHERE r.id = (SELECT id FROM review_items ORDER BY {_QUEUE_ORDER} LIMIT 1)"
        )
        if row is None:
            return None
        if row["kind"] is not None:
            identifier = _identifier(row["kind"], row["value"])
            [standing] = await self.reports.reputation([identifier])
            return IdentifierItem(row["id"], identifier, standing)
        askers, asked_at = await self.db.fetchone(  # the checks_text_hash index covers it
            "SELECT count(*), max(last) FROM ("
            " SELECT max(created_at) AS last FROM checks WHERE text_hash = ? GROUP BY user_id) AS per_user",
            (row["text_hash"],))
        return TextItem(
            id=row["id"], check_id=row["check_id"], text_redacted=row["text_redacted"], text_hash=row["text_hash"],
            risk=row["risk"], scheme=row["scheme"], reason=row["reason"], askers=askers, asked_at=asked_at,
        )

    async def label(self, officer_id: int, item_id: int, label: str) -> Labelled | None:
        """An officer's label of a text item: stored as a reviewed example (a later label of the
        same text replaces it), audited, the text out of the queue, a pending notice for each
        user who checked it — in one statement (see the module's doc). None when the item is
        gone (another officer labelled it, or /forget took it) or is an identifier item.

        Whether ``label`` is a scheme of the knowledge base, ``not_fraud`` or ``fraud_warning``
        is the caller's test (the buttons are built from the knowledge base); whether
        ``officer_id`` is an officer is the officers' role filter's."""
        if not label:
            raise ValueError("a label is a scheme id, not_fraud or fraud_warning; it cannot be empty")
        now = time.time()
        text_hash = await self.db.fetchval(
            "INSERT INTO reviewed_examples (text_hash, text_redacted, label, language, officer_id, decided_at) "
            "SELECT c.text_hash, c.text_redacted, ?, c.language, ?, ? "
            f"FROM review_items AS r JOIN checks AS c ON c.id = r.check_id WHERE r.id = ?{self._item_locked('r')} "
            "ON CONFLICT (text_hash) DO UPDATE SET label = excluded.label, officer_id = excluded.officer_id, "
            "decided_at = excluded.decided_at "
            "RETURNING text_hash",
            (label, officer_id, now, item_id),
        )
        if text_hash is None:
            return None
        noticed = await self.db.fetchval(
            "SELECT count(*) FROM (SELECT DISTINCT user_id FROM checks WHERE text_hash = ?1) AS a "
            "JOIN notices AS n ON n.user_id = a.user_id AND n.text_hash = ?1 "
            "WHERE n.created_at = ?2 AND n.sent_at IS NULL",
            (text_hash, now),
        )
        return Labelled(text_hash, label, noticed)

    async def decide_identifier(self, officer_id: int, item_id: int, decision: Review) -> Identifier | None:
        """An officer confirms or clears a queued identifier: the same review (and audit row)
        as `ReportsRepo.confirm`/`clear`, made only if the item is still queued, in one
        statement (the schema's triggers audit it and take it out of the queue). None when
        the item is gone (another officer decided it) or is a text item."""
        if decision not in ("confirmed", "cleared"):
            raise ValueError(f"an identifier is 'confirmed' or 'cleared', not {decision!r}")
        row = await self.db.fetchone(
            "INSERT INTO identifier_reviews (kind, value, status, officer_id, decided_at) "
            "SELECT kind, value, ?, ?, ? FROM review_items AS r WHERE id = ? AND kind IS NOT NULL"
            f"{self._item_locked('r')} {REVIEW_UPSERT} RETURNING kind, value",
            (decision, officer_id, time.time(), item_id),
        )
        return _identifier(row["kind"], row["value"]) if row is not None else None

    async def skip(self, officer_id: int, item_id: int) -> bool:
        """The officer cannot decide now: the item goes to the back of the queue (audited as
        'review_skip' by the schema's trigger). False when the item is gone."""
        changed = await self.db.execute(
            "UPDATE review_items SET skipped_at = ?, skipped_by = ? WHERE id = ?", (time.time(), officer_id, item_id))
        return changed > 0

    async def reviewed_label(self, text_hash: str) -> str | None:
        """The officer's label of this very text (`checks.text_hash`: the sha256 of the redacted
        text), or None. Runs on every check: one primary-key lookup."""
        return await self.db.fetchval("SELECT label FROM reviewed_examples WHERE text_hash = ?", (text_hash,))

    async def reviewed_examples(self) -> list[ReviewedExample]:
        """Every labelled text, oldest decision first (what a retrain and the export take)."""
        rows = await self.db.fetchall(
            "SELECT text_redacted, label, language, decided_at FROM reviewed_examples ORDER BY decided_at, text_hash")
        return [ReviewedExample(row[0], row[1], row[2], row[3]) for row in rows]

    async def count_reviewed(self) -> int:
        return await self.db.fetchval("SELECT count(*) FROM reviewed_examples")

    async def queue(self, limit: int = 100) -> list[QueuedItem]:
        """The first ``limit`` items in the order officers get them (the dashboard's list of the
        queue; read off the `review_items_queue` index, as `next_item`)."""
        rows = await self.db.fetchall(
            "SELECT r.id, r.reason, r.kind, coalesce(c.text_redacted, r.value), c.risk, c.scheme, r.created_at,"
            " r.skipped_at FROM review_items AS r LEFT JOIN checks AS c ON c.id = r.check_id"
            f" ORDER BY {_QUEUE_ORDER.replace('skipped_at', 'r.skipped_at').replace('created_at', 'r.created_at')}"
            " LIMIT ?", (limit,))
        return [QueuedItem(*row) for row in rows]

    async def pending(self) -> int:
        """Items in the queue (a text counts once, however many asked it): /review's header."""
        return await self.db.fetchval("SELECT count(*) FROM review_items")


def _identifier(kind: IdentifierKind, value: str) -> Identifier:
    """The identifier a stored (kind, value) is, with its masked `shown` form, rebuilt by the one
    detector that made it (so the mask is the one every reply prints); a value the detector no
    longer reads the same way is shown as it is stored."""
    from bot.classifier.identifiers import Identifier, find_identifiers

    spelled = {"telegram": f"@{value}", "instagram": f"instagram.com/{value}"}.get(kind, value)
    for found in find_identifiers(spelled):
        if (found.kind, found.value) == (kind, value):
            return found
    return Identifier(kind, value, value)
