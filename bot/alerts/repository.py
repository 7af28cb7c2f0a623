"""The one repository of police alerts: the `broadcasts` table (an alert from the officer's
submission to the end of its sending) and its `deliveries` (migration 2).

Every call is one statement, committed at once, on either engine (`bot.storage.database`):
no transaction spans an await, so what must happen together happens in one statement. The
SQL is written once for SQLite and PostgreSQL, with one exception, the claim (`claim_next`):
on PostgreSQL its subquery ends ``FOR UPDATE SKIP LOCKED``, so that several replicas claiming
from one broadcast at once each take rows nobody else is taking instead of queueing on the
same row locks; SQLite runs each write statement alone (one writer at a time on the file,
whatever the number of processes), so the same statement needs no lock clause there.

Several delivery engines, in several processes, may work on one broadcast (docs in
``bot.alerts.engine``): a row moves from 'pending' to 'sending' only through a statement that
checks it is still 'pending', so only one of them ever sends it.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.alerts.journal import JournalState
from bot.storage import Database
from bot.storage.subscriptions import NATIONAL

class BroadcastStatus(StrEnum):
    """Where an alert stands. DRAFT is being written (from a wave, edited in the dashboard):
    neither deliverable nor ended; PENDING waits for a second officer; REJECTED and APPROVED are
    that officer's decision; SENDING once its deliveries are queued (and still after a crash:
    it is resumed at the next start); DONE or CANCELLED at the end."""

    DRAFT = "draft"
    PENDING = "pending"
    REJECTED = "rejected"
    APPROVED = "approved"
    SENDING = "sending"
    DONE = "done"
    CANCELLED = "cancelled"

    @property
    def deliverable(self) -> bool:
        """Approved, or being sent: the engine may queue and send it."""
        return self in (BroadcastStatus.APPROVED, BroadcastStatus.SENDING)

    @property
    def ended(self) -> bool:
        return self in (BroadcastStatus.DONE, BroadcastStatus.CANCELLED)


class DeliveryStatus(StrEnum):
    """A delivery's state. 'sending' is written, committed, before each request goes out, and
    replaced once Telegram has answered: by an ending, or by 'pending' again when the answer
    asks for another try (a 429, a 5xx, a network error), before the engine waits. So a row is
    'sending' only while a request may be on the wire unanswered; one still there after a
    crash may or may not have reached the user and is never sent again (at most once), while
    one whose every request was refused is 'pending' and is sent on resume."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    BLOCKED = "blocked"
    NOT_FOUND = "not_found"
    FAILED = "failed"


@dataclass(frozen=True)
class Broadcast:
    """One row of `broadcasts`. The texts are stored as subscribers get them (the header and
    the officer's escaped words, HTML), so the approver sees exactly what will go out.
    ``regions`` is ('national',) or region ids; ``paid`` is set at approval."""

    id: int
    author_id: int
    text_kk: str
    text_ru: str
    regions: tuple[str, ...]
    scheme: str | None
    status: BroadcastStatus
    paid: bool = False

    def text(self, language: str) -> str:
        return self.text_kk if language == "kk" else self.text_ru


@dataclass(frozen=True)
class Delivery:
    """One recipient of one broadcast, and the requests already counted against it (5xx and
    network errors, also from before a restart: ``max_attempts`` holds across restarts)."""

    user_id: int
    language: str
    attempts: int = 0


@dataclass(frozen=True)
class Result:
    """What Telegram's answer to one request does to a delivery in 'sending': the status it
    gets (an ending, or 'pending' for another try), the requests it adds to ``attempts`` (1, or
    0 for a 429 or a request never made) and Telegram's refusal, if any."""

    user_id: int
    status: DeliveryStatus
    attempts: int
    error: str | None = None


@dataclass(frozen=True)
class Standing:
    """Where a broadcast's deliveries stand, read from the database: the rows in each status
    (``counts``), and of them what the engines need to tell apart: ``claimable``, the pending
    rows a claim may take now (not waiting out a retry another engine holds them for);
    ``uncertain``, the 'sending' rows older than an engine's longest request (``claimed_before``
    given to `BroadcastsRepo.standing`): nobody is waiting for their answer any more, the
    engine that sent them died, and they are never sent again. The other 'sending' rows are
    ``in_flight``: some live engine is waiting for Telegram's answer."""

    counts: dict[DeliveryStatus, int]
    claimable: int = 0
    uncertain: int = 0

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def pending(self) -> int:
        return self.counts[DeliveryStatus.PENDING]

    @property
    def in_flight(self) -> int:
        return self.counts[DeliveryStatus.SENDING] - self.uncertain

    @property
    def open(self) -> int:
        """Deliveries that may still end: pending, or in flight at a live engine."""
        return self.pending + self.in_flight


_COLUMNS = "id, author_id, text_kk, text_ru, regions, scheme, status, paid"
_DELIVERABLE = tuple(status.value for status in BroadcastStatus if status.deliverable)


@dataclass(frozen=True)
class Settled:
    """What `BroadcastsRepo.settle` did with a dead engine's rows: ``sent`` (the relay had
    delivered them), ``again`` (back to 'pending': never delivered), ``waiting`` (the relay is
    still forwarding them)."""

    sent: int = 0
    again: int = 0
    waiting: int = 0


PENDING, SENDING = DeliveryStatus.PENDING.value, DeliveryStatus.SENDING.value
IDS_PER_STATEMENT = 500  # ids written into one IN (...) list; both engines allow 32 000 parameters

# A user subscribed to any region the broadcast names gets it; 'national' reaches every
# subscriber. The region ids are matched against the broadcast's own row.
ENQUEUE = """
INSERT INTO deliveries (broadcast_id, user_id, language)
SELECT b.id, u.id, coalesce(u.language, 'ru')
FROM broadcasts AS b
JOIN users AS u ON u.subscribed = 1 AND u.blocked_at IS NULL
WHERE b.id = ?1 AND b.status IN (?2, ?3)
  AND (b.regions = ?4 OR EXISTS (
        SELECT 1 FROM subscriptions AS s
        WHERE s.user_id = u.id
          AND strpos(',' || replace(b.regions, ' ', '') || ',', ',' || s.region || ',') > 0))
ON CONFLICT (broadcast_id, user_id) DO NOTHING
"""

# The next pending rows of a broadcast that is still being sent, marked 'sending' and returned,
# in one statement. A row put back to 'pending' by a refusal (it has an error) waits until
# ``?3``: the engine that got the refusal sends it again after its backoff or the 429 pause;
# only if that engine died does another one take it, once the longest backoff has passed.
# Which rows come first does not matter (index order). {lock}: see the module's docstring.
CLAIM = """
UPDATE deliveries SET status = ?5, updated_at = ?1
WHERE (broadcast_id, user_id) IN (
    SELECT d.broadcast_id, d.user_id FROM deliveries AS d
    WHERE d.broadcast_id = ?2 AND d.status = ?6 AND (d.error IS NULL OR d.updated_at <= ?3)
      AND EXISTS (SELECT 1 FROM broadcasts AS b WHERE b.id = ?2 AND b.status = ?5)
    LIMIT ?4{lock})
RETURNING user_id, language, attempts
"""


def _broadcast(row: Sequence) -> Broadcast:
    return Broadcast(id=row[0], author_id=row[1], text_kk=row[2], text_ru=row[3], regions=tuple(row[4].split(",")),
                     scheme=row[5], status=BroadcastStatus(row[6]), paid=bool(row[7]))


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), IDS_PER_STATEMENT):
        yield ids[start:start + IDS_PER_STATEMENT]


def _marks(count: int) -> str:
    return ", ".join("?" * count)


class BroadcastsRepo:
    """Alerts from submission to decision (``submit``, ``decide``, who may approve, who would
    get one), and their delivery for the engines (``enqueue``, ``claim_next``, ``record``,
    ``finish``)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        # The one place the two engines' SQL differs (see the module's docstring).
        self._claim = CLAIM.format(lock=" FOR UPDATE SKIP LOCKED" if db.engine == "postgresql" else "")

    # --- submission and decision ------------------------------------------------------------

    async def submit(self, author_id: int, text_kk: str, text_ru: str, regions: tuple[str, ...],
                     scheme: str | None) -> int:
        """Stores an alert waiting for approval; returns its id."""
        return int(await self.db.fetchval(
            "INSERT INTO broadcasts (author_id, text_kk, text_ru, regions, scheme, status, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (author_id, text_kk, text_ru, ",".join(regions), scheme, BroadcastStatus.PENDING.value, time.time()),
        ))

    async def draft(self, author_id: int, text_kk: str, text_ru: str, regions: tuple[str, ...],
                    scheme: str | None) -> int:
        """Stores an alert draft (the officer's plain words, no header: they are edited in the
        dashboard and wrapped as recipients get them on submission); returns its id."""
        return int(await self.db.fetchval(
            "INSERT INTO broadcasts (author_id, text_kk, text_ru, regions, scheme, status, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (author_id, text_kk, text_ru, ",".join(regions), scheme, BroadcastStatus.DRAFT.value, time.time()),
        ))

    async def discard_draft(self, broadcast_id: int) -> bool:
        """Deletes a draft nobody saw (the loser of two officers drafting one wave at once);
        False, and nothing deleted, once it is no longer a draft."""
        return await self.db.execute(
            "DELETE FROM broadcasts WHERE id = ? AND status = ?", (broadcast_id, BroadcastStatus.DRAFT.value)) == 1

    async def update_draft(self, broadcast_id: int, text_kk: str, text_ru: str, regions: tuple[str, ...]) -> bool:
        """Saves a draft's texts and regions; False when it is no longer a draft."""
        return await self.db.execute(
            "UPDATE broadcasts SET text_kk = ?, text_ru = ?, regions = ? WHERE id = ? AND status = ?",
            (text_kk, text_ru, ",".join(regions), broadcast_id, BroadcastStatus.DRAFT.value)) == 1

    async def submit_draft(self, broadcast_id: int, author_id: int, text_kk: str, text_ru: str,
                           regions: tuple[str, ...]) -> bool:
        """A draft becomes an alert waiting for approval, with the texts as recipients get them
        and the submitting officer as its author (so a second officer approves it). One
        statement: of two officers submitting one draft at once, one does; False for the other."""
        return await self.db.execute(
            "UPDATE broadcasts SET author_id = ?, text_kk = ?, text_ru = ?, regions = ?, status = ?, created_at = ? "
            "WHERE id = ? AND status = ?",
            (author_id, text_kk, text_ru, ",".join(regions), BroadcastStatus.PENDING.value, time.time(), broadcast_id,
             BroadcastStatus.DRAFT.value)) == 1

    async def find(self, broadcast_id: int) -> Broadcast | None:
        row = await self.db.fetchone(f"SELECT {_COLUMNS} FROM broadcasts WHERE id = ?", (broadcast_id,))
        return None if row is None else _broadcast(row)

    async def get(self, broadcast_id: int) -> Broadcast:
        """Like ``find``, for an id that must exist (the engine's)."""
        broadcast = await self.find(broadcast_id)
        if broadcast is None:
            raise LookupError(f"no broadcast {broadcast_id} in the database: check the id")
        return broadcast

    async def decide(self, broadcast_id: int, approver_id: int, approve: bool, reason: str | None = None,
                     *, paid: bool = False) -> bool:
        """Atomically move a pending broadcast to approved/rejected. False when it is not
        pending any more (somebody decided first) or the approver is its author."""
        changed = await self.db.execute(
            "UPDATE broadcasts SET status = ?, approver_id = ?, reason = ?, decided_at = ?, paid = ? "
            "WHERE id = ? AND status = ? AND author_id != ?",
            ((BroadcastStatus.APPROVED if approve else BroadcastStatus.REJECTED).value, approver_id, reason,
             time.time(), int(paid), broadcast_id, BroadcastStatus.PENDING.value, approver_id),
        )
        return changed == 1

    async def set_progress_message(self, broadcast_id: int, chat_id: int, message_id: int) -> None:
        await self.db.execute(
            "UPDATE broadcasts SET progress_chat_id = ?, progress_message_id = ? WHERE id = ?",
            (chat_id, message_id, broadcast_id),
        )

    async def progress_message(self, broadcast_id: int) -> tuple[int, int, str] | None:
        """Where the live progress of a broadcast is shown: (chat, message, that officer's language)."""
        row = await self.db.fetchone(
            "SELECT b.progress_chat_id, b.progress_message_id, coalesce(u.language, 'ru') FROM broadcasts b "
            "LEFT JOIN users u ON u.id = b.progress_chat_id WHERE b.id = ?", (broadcast_id,))
        return (row[0], row[1], row[2]) if row and row[0] else None

    async def take_progress_turn(self, broadcast_id: int, now: float, every: float) -> bool:
        """Whether this engine shows the progress now: True for the one engine whose statement
        moved ``progress_at`` (at most one every ``every`` seconds, however many engines send
        the broadcast), False for the others and once the broadcast has ended."""
        return await self.db.execute(
            "UPDATE broadcasts SET progress_at = ?1 WHERE id = ?2 AND status = ?3 "
            "AND (progress_at IS NULL OR progress_at <= ?4)",
            (now, broadcast_id, BroadcastStatus.SENDING.value, now - every),
        ) == 1

    async def audience(self, regions: tuple[str, ...]) -> int:
        """How many subscribers a broadcast to these regions would reach now."""
        if NATIONAL in regions:
            sql, params = "SELECT count(*) FROM users WHERE subscribed = 1 AND blocked_at IS NULL", ()
        else:
            sql = ("SELECT count(DISTINCT u.id) FROM users u JOIN subscriptions s ON s.user_id = u.id "
                   f"WHERE u.subscribed = 1 AND u.blocked_at IS NULL AND s.region IN ({_marks(len(regions))})")
            params = regions
        return int(await self.db.fetchval(sql, params))

    async def approvers(self, superadmins: frozenset[int], author_id: int) -> list[int]:
        """Everyone who may approve: officers and superadmins other than the author."""
        officers = {row[0] for row in await self.db.fetchall("SELECT user_id FROM officers")}
        return sorted((officers | superadmins) - {author_id})

    # --- delivery -----------------------------------------------------------------------------

    async def enqueue(self, broadcast_id: int, now: float) -> int:
        """One delivery row per recipient, then the broadcast 'sending'; running it again adds
        nobody twice (and a crash between the two statements leaves an approved broadcast whose
        next enqueue finishes the job). Returns the number of recipients."""
        await self.db.execute(ENQUEUE, (broadcast_id, *_DELIVERABLE, NATIONAL))
        await self.db.execute(
            "UPDATE broadcasts SET status = ?1, started_at = coalesce(started_at, ?2) WHERE id = ?3 AND status IN (?4, ?5)",
            (BroadcastStatus.SENDING.value, now, broadcast_id, *_DELIVERABLE),
        )
        return int(await self.db.fetchval("SELECT count(*) FROM deliveries WHERE broadcast_id = ?", (broadcast_id,)))

    async def sending_broadcasts(self) -> list[int]:
        return [row[0] for row in await self.db.fetchall(
            "SELECT id FROM broadcasts WHERE status = ? ORDER BY id", (BroadcastStatus.SENDING.value,))]

    async def unsent(self) -> int:
        """Deliveries of the broadcasts being sent that have not ended yet (pending or in flight),
        all broadcasts together: the ``saqbol_deliveries_pending`` gauge of /metrics. One
        statement; each broadcast's rows are found by the (broadcast_id, status) index."""
        return int(await self.db.fetchval(
            "SELECT count(*) FROM deliveries d JOIN broadcasts b ON b.id = d.broadcast_id "
            "WHERE b.status = ? AND d.status IN (?, ?)",
            (BroadcastStatus.SENDING.value, DeliveryStatus.PENDING.value, DeliveryStatus.SENDING.value)))

    async def counts(self, broadcast_id: int) -> dict[DeliveryStatus, int]:
        return (await self.standing(broadcast_id)).counts

    async def standing(self, broadcast_id: int, *, claimed_before: float = 0.0,
                       retry_from: float = 0.0) -> Standing:
        """The deliveries of a broadcast by status, in one statement: 'sending' rows claimed
        before ``claimed_before`` are ``uncertain``; pending rows are ``claimable`` unless a
        refusal put them back after ``retry_from`` (see `claim_next`)."""
        rows = await self.db.fetchall(
            "SELECT status, count(*), "
            "sum(CASE WHEN status = ?1 AND updated_at < ?2 THEN 1 ELSE 0 END), "
            "sum(CASE WHEN status = ?3 AND (error IS NULL OR updated_at <= ?4) THEN 1 ELSE 0 END) "
            "FROM deliveries WHERE broadcast_id = ?5 GROUP BY status",
            (SENDING, claimed_before, PENDING, retry_from, broadcast_id),
        )
        counts = dict.fromkeys(DeliveryStatus, 0)
        uncertain = claimable = 0
        for status, count, stale, ready in rows:
            counts[DeliveryStatus(status)] = int(count)
            uncertain += int(stale)
            claimable += int(ready)
        return Standing(counts, claimable, uncertain)

    async def claim_next(self, broadcast_id: int, count: int, now: float, retry_from: float) -> list[Delivery]:
        """Marks up to ``count`` pending recipients 'sending' and returns them; fewer (or none)
        when the broadcast has no more to claim now, or has ended. Only a row this statement
        moved may be sent: however many engines claim at once, each row goes to one of them.
        A refused row put back to 'pending' after ``retry_from`` is left to the engine that
        will retry it (`claim_again`)."""
        rows = await self.db.fetchall(self._claim, (now, broadcast_id, retry_from, count, SENDING, PENDING))
        return [Delivery(row[0], row[1], row[2]) for row in rows]

    async def claim_again(self, broadcast_id: int, user_id: int, now: float) -> Delivery | None:
        """The same recipient 'sending' again, for its next request after a refusal put it back
        to 'pending'; None if it is no longer pending (another engine took it meanwhile)."""
        row = await self.db.fetchone(
            "UPDATE deliveries SET status = ?1, updated_at = ?2 WHERE broadcast_id = ?3 AND user_id = ?4 AND status = ?5 "
            "RETURNING user_id, language, attempts",
            (SENDING, now, broadcast_id, user_id, PENDING),
        )
        return None if row is None else Delivery(row[0], row[1], row[2])

    async def settle(self, broadcast_id: int, claimed_before: float, now: float) -> Settled:
        """Settles the 'sending' rows claimed before ``claimed_before`` (whose engine stopped
        waiting: it died) from the alert relay's journal (`bot.alerts.journal`), when the
        engines send through it. The key is built as `delivery_key` builds it.

        * delivered -> 'sent': the person has it; it is not sent again;
        * no row (the request never reached the relay) or refused -> 'pending', at once
          claimable: sent again, through the relay, which forwards it only if nothing did;
        * started at ``claimed_before`` or later -> in flight again: the relay is still waiting
          for Telegram's answer (its timeout is within an engine's, so a live relay answers by then);
        * unknown, or started longer ago (the relay died forwarding it) -> left as it is:
          uncertain, never sent again."""
        key = "CAST(deliveries.broadcast_id AS TEXT) || ':' || CAST(deliveries.user_id AS TEXT)"
        stale = "broadcast_id = ?1 AND status = ?2 AND updated_at < ?3"
        sent = await self.db.execute(
            f"UPDATE deliveries SET status = ?4, attempts = attempts + 1, error = NULL, updated_at = ?5 WHERE {stale} "
            f"AND EXISTS (SELECT 1 FROM send_journal AS j WHERE j.key = {key} AND j.state = ?6)",
            (broadcast_id, SENDING, claimed_before, DeliveryStatus.SENT.value, now, JournalState.DELIVERED.value))
        waiting = await self.db.execute(
            f"UPDATE deliveries SET updated_at = ?4 WHERE {stale} "
            f"AND EXISTS (SELECT 1 FROM send_journal AS j WHERE j.key = {key} AND j.state = ?5 AND j.started_at >= ?3)",
            (broadcast_id, SENDING, claimed_before, now, JournalState.STARTED.value))
        again = await self.db.execute(
            f"UPDATE deliveries SET status = ?4, error = NULL, updated_at = ?5 WHERE {stale} "
            f"AND NOT EXISTS (SELECT 1 FROM send_journal AS j WHERE j.key = {key} AND j.state IN (?6, ?7, ?8))",
            (broadcast_id, SENDING, claimed_before, PENDING, now,
             JournalState.DELIVERED.value, JournalState.STARTED.value, JournalState.UNKNOWN.value))
        return Settled(sent, again, waiting)

    async def record(self, broadcast_id: int, results: list[Result], now: float) -> None:
        """Writes Telegram's answers to rows in 'sending': one statement per kind of result (in
        a batch nearly all are 'sent' at the first attempt), and blocked_at for the users who
        blocked the bot, so that later broadcasts skip them. A row goes back to 'pending' and
        gets its refusal in the same statement, never in two steps."""
        blocked = [result.user_id for result in results if result.status is DeliveryStatus.BLOCKED]
        for ids in _chunks(blocked):
            await self.db.execute(
                f"UPDATE users SET blocked_at = ? WHERE blocked_at IS NULL AND id IN ({_marks(len(ids))})", (now, *ids))
        groups: defaultdict[tuple[DeliveryStatus, int, str | None], list[int]] = defaultdict(list)
        for result in results:
            groups[result.status, result.attempts, result.error].append(result.user_id)
        for (status, attempts, error), user_ids in groups.items():
            for ids in _chunks(user_ids):
                await self.db.execute(
                    "UPDATE deliveries SET status = ?, attempts = attempts + ?, error = ?, updated_at = ? "
                    f"WHERE broadcast_id = ? AND status = ? AND user_id IN ({_marks(len(ids))})",
                    (status.value, attempts, error, now, broadcast_id, SENDING, *ids),
                )

    async def finish(self, broadcast_id: int, status: BroadcastStatus, now: float) -> bool:
        """DONE or CANCELLED, unless the broadcast has already ended (or was never approved).
        True for the one call that ended it: with several engines, its caller shows the end."""
        if not status.ended:
            raise ValueError(f"a broadcast finishes as done or cancelled, not {status!r}")
        return await self.db.execute(
            "UPDATE broadcasts SET status = ?, finished_at = ? WHERE id = ? AND status IN (?, ?)",
            (status.value, now, broadcast_id, *_DELIVERABLE),
        ) == 1
