"""The one repository of police alerts: the `broadcasts` table (an alert from the officer's
submission to the end of its sending) and its `deliveries` (migration 2).

The connection is the bot's one aiosqlite connection, shared with every handler and in
autocommit mode. A transaction spread over several awaits (BEGIN, then statements, then
COMMIT) would take in whatever statement a handler runs in between, or collide with a
handler's own BEGIN. So every write here is atomic on its own: either a single statement
(SQLite runs each in its own transaction) that takes a whole batch as a JSON array, or, for
``enqueue``, one ``executescript`` call, which aiosqlite runs in one go on its thread.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from dataclasses import dataclass
from enum import StrEnum

from bot.storage import Database
from bot.storage.subscriptions import NATIONAL


class BroadcastStatus(StrEnum):
    """Where an alert stands. PENDING waits for a second officer; REJECTED and APPROVED are
    that officer's decision; SENDING once its deliveries are queued (and still after a crash:
    it is resumed at the next start); DONE or CANCELLED at the end."""

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


_COLUMNS = "id, author_id, text_kk, text_ru, regions, scheme, status, paid"
_DELIVERABLE = tuple(status for status in BroadcastStatus if status.deliverable)

# Only integers, floats and this module's status values go into this script (executescript
# takes no parameters); the region ids are matched in SQL against the broadcast's own row. A
# user subscribed to any region the broadcast names gets it; 'national' reaches every subscriber.
ENQUEUE_SCRIPT = """
BEGIN IMMEDIATE;
INSERT OR IGNORE INTO deliveries (broadcast_id, user_id, language)
SELECT b.id, u.id, coalesce(u.language, 'ru')
FROM broadcasts AS b
JOIN users AS u ON u.subscribed = 1 AND u.blocked_at IS NULL
WHERE b.id = {broadcast_id} AND b.status IN ('{approved}', '{sending}')
  AND (b.regions = '{national}' OR EXISTS (
        SELECT 1 FROM subscriptions AS s
        WHERE s.user_id = u.id
          AND instr(',' || replace(b.regions, ' ', '') || ',', ',' || s.region || ',') > 0));
UPDATE broadcasts SET status = '{sending}', started_at = coalesce(started_at, {now!r})
WHERE id = {broadcast_id} AND status IN ('{approved}', '{sending}');
COMMIT;
"""


def _broadcast(row: tuple) -> Broadcast:
    return Broadcast(id=row[0], author_id=row[1], text_kk=row[2], text_ru=row[3], regions=tuple(row[4].split(",")),
                     scheme=row[5], status=BroadcastStatus(row[6]), paid=bool(row[7]))


class BroadcastsRepo:
    """Alerts from submission to decision (``submit``, ``decide``, who may approve, who would
    get one), and their delivery for the engine (``enqueue``, ``claim``, ``record``, ``finish``)."""

    def __init__(self, db: Database) -> None:
        self.conn = db.conn

    # --- submission and decision ------------------------------------------------------------

    async def submit(self, author_id: int, text_kk: str, text_ru: str, regions: tuple[str, ...],
                     scheme: str | None) -> int:
        """Stores an alert waiting for approval; returns its id."""
        cur = await self.conn.execute(
            "INSERT INTO broadcasts (author_id, text_kk, text_ru, regions, scheme, status, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (author_id, text_kk, text_ru, ",".join(regions), scheme, BroadcastStatus.PENDING, time.time()),
        )
        return int(cur.lastrowid)

    async def find(self, broadcast_id: int) -> Broadcast | None:
        async with self.conn.execute(f"SELECT {_COLUMNS} FROM broadcasts WHERE id = ?", (broadcast_id,)) as cur:
            row = await cur.fetchone()
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
        cur = await self.conn.execute(
            "UPDATE broadcasts SET status = ?, approver_id = ?, reason = ?, decided_at = ?, paid = ? "
            "WHERE id = ? AND status = ? AND author_id != ?",
            (BroadcastStatus.APPROVED if approve else BroadcastStatus.REJECTED, approver_id, reason, time.time(),
             int(paid), broadcast_id, BroadcastStatus.PENDING, approver_id),
        )
        return cur.rowcount == 1

    async def set_progress_message(self, broadcast_id: int, chat_id: int, message_id: int) -> None:
        await self.conn.execute(
            "UPDATE broadcasts SET progress_chat_id = ?, progress_message_id = ? WHERE id = ?",
            (chat_id, message_id, broadcast_id),
        )

    async def progress_message(self, broadcast_id: int) -> tuple[int, int, str] | None:
        """Where the live progress of a broadcast is shown: (chat, message, that officer's language)."""
        async with self.conn.execute(
            "SELECT b.progress_chat_id, b.progress_message_id, coalesce(u.language, 'ru') FROM broadcasts b "
            "LEFT JOIN users u ON u.id = b.progress_chat_id WHERE b.id = ?", (broadcast_id,)
        ) as cur:
            row = await cur.fetchone()
        return (row[0], row[1], row[2]) if row and row[0] else None

    async def audience(self, regions: tuple[str, ...]) -> int:
        """How many subscribers a broadcast to these regions would reach now."""
        if NATIONAL in regions:
            sql, params = "SELECT count(*) FROM users WHERE subscribed = 1 AND blocked_at IS NULL", ()
        else:
            marks = ",".join("?" * len(regions))
            sql = ("SELECT count(DISTINCT u.id) FROM users u JOIN subscriptions s ON s.user_id = u.id "
                   f"WHERE u.subscribed = 1 AND u.blocked_at IS NULL AND s.region IN ({marks})")
            params = regions
        async with self.conn.execute(sql, params) as cur:
            return int((await cur.fetchone())[0])

    async def approvers(self, superadmins: frozenset[int], author_id: int) -> list[int]:
        """Everyone who may approve: officers and superadmins other than the author."""
        async with self.conn.execute("SELECT user_id FROM officers") as cur:
            officers = {row[0] for row in await cur.fetchall()}
        return sorted((officers | superadmins) - {author_id})

    # --- delivery -----------------------------------------------------------------------------

    async def enqueue(self, broadcast_id: int, now: float) -> int:
        """One delivery row per recipient and the broadcast 'sending', in one transaction;
        running it again adds nobody twice. Returns the number of recipients."""
        await self.conn.executescript(ENQUEUE_SCRIPT.format(
            broadcast_id=int(broadcast_id), now=float(now), national=NATIONAL,
            approved=BroadcastStatus.APPROVED.value, sending=BroadcastStatus.SENDING.value))
        async with self.conn.execute("SELECT count(*) FROM deliveries WHERE broadcast_id = ?", (broadcast_id,)) as cur:
            row = await cur.fetchone()
        return int(row[0])

    async def sending_broadcasts(self) -> list[int]:
        async with self.conn.execute(
            "SELECT id FROM broadcasts WHERE status = ? ORDER BY id", (BroadcastStatus.SENDING,)
        ) as cur:
            return [row[0] for row in await cur.fetchall()]

    async def counts(self, broadcast_id: int) -> dict[DeliveryStatus, int]:
        async with self.conn.execute(
            "SELECT status, count(*) FROM deliveries WHERE broadcast_id = ? GROUP BY status", (broadcast_id,)
        ) as cur:
            found = {DeliveryStatus(row[0]): int(row[1]) for row in await cur.fetchall()}
        return {status: found.get(status, 0) for status in DeliveryStatus}

    async def pending_after(self, broadcast_id: int, after: int, limit: int) -> list[int]:
        """The next ``limit`` pending recipients by user id (keyset paging: memory stays flat
        however large the broadcast)."""
        async with self.conn.execute(
            "SELECT user_id FROM deliveries WHERE broadcast_id = ? AND status = ? AND user_id > ? "
            "ORDER BY user_id LIMIT ?",
            (broadcast_id, DeliveryStatus.PENDING, after, limit),
        ) as cur:
            return [row[0] for row in await cur.fetchall()]

    async def claim(self, broadcast_id: int, user_ids: list[int], now: float) -> list[Delivery]:
        """Marks these recipients 'sending' and returns those that were still pending: only a row
        this statement moved may be sent, so two engines on one database never send it twice."""
        claimed = await self.conn.execute_fetchall(  # one trip to aiosqlite's thread: workers wait on it
            "UPDATE deliveries SET status = ?, updated_at = ? "
            "WHERE broadcast_id = ? AND status = ? AND user_id IN (SELECT value FROM json_each(?)) "
            "RETURNING user_id, language, attempts",
            (DeliveryStatus.SENDING, now, broadcast_id, DeliveryStatus.PENDING, json.dumps(user_ids)),
        )
        return [Delivery(row[0], row[1], row[2]) for row in claimed]

    async def record(self, broadcast_id: int, results: list[Result], now: float) -> None:
        """Writes Telegram's answers to rows in 'sending': one statement per kind of result (in
        a batch nearly all are 'sent' at the first attempt), and blocked_at for the users who
        blocked the bot, so that later broadcasts skip them. A row goes back to 'pending' and
        gets its refusal in the same statement, never in two steps."""
        blocked = [result.user_id for result in results if result.status is DeliveryStatus.BLOCKED]
        if blocked:
            await self.conn.execute(
                "UPDATE users SET blocked_at = ? WHERE id IN (SELECT value FROM json_each(?)) AND blocked_at IS NULL",
                (now, json.dumps(blocked)),
            )
        groups: defaultdict[tuple[DeliveryStatus, int, str | None], list[int]] = defaultdict(list)
        for result in results:
            groups[result.status, result.attempts, result.error].append(result.user_id)
        for (status, attempts, error), user_ids in groups.items():
            await self.conn.execute(
                "UPDATE deliveries SET status = ?, attempts = attempts + ?, error = ?, updated_at = ? "
                "WHERE broadcast_id = ? AND status = ? AND user_id IN (SELECT value FROM json_each(?))",
                (status, attempts, error, now, broadcast_id, DeliveryStatus.SENDING, json.dumps(user_ids)),
            )

    async def finish(self, broadcast_id: int, status: BroadcastStatus, now: float) -> None:
        """DONE or CANCELLED, unless the broadcast has already ended (or was never approved)."""
        if not status.ended:
            raise ValueError(f"a broadcast finishes as done or cancelled, not {status!r}")
        await self.conn.execute(
            "UPDATE broadcasts SET status = ?, finished_at = ? WHERE id = ? AND status IN (?, ?)",
            (status, now, broadcast_id, *_DELIVERABLE),
        )
