"""The SQL of the delivery engine, over the `broadcasts` and `deliveries` tables of migration 2.

The connection is the bot's one aiosqlite connection, shared with every handler and in
autocommit mode. A transaction spread over several awaits (BEGIN, then statements, then
COMMIT) would take in whatever statement a handler runs in between, or collide with a
handler's own BEGIN. So every write here is atomic on its own: either a single statement
(SQLite runs each in its own transaction) that takes a whole batch as a JSON array, or, for
``enqueue``, one ``executescript`` call, which aiosqlite runs in one go on its thread.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from enum import StrEnum

from bot.storage import Database


class Status(StrEnum):
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
    id: int
    status: str
    text_kk: str
    text_ru: str
    paid: bool

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
    status: Status
    attempts: int
    error: str | None = None


# Only integers and floats formatted by Python go into this script (executescript takes no
# parameters); the region ids are matched in SQL against the broadcast's own row. A user
# subscribed to any region the broadcast names gets it; 'national' reaches every subscriber.
ENQUEUE_SCRIPT = """
BEGIN IMMEDIATE;
INSERT OR IGNORE INTO deliveries (broadcast_id, user_id, language)
SELECT b.id, u.id, coalesce(u.language, 'ru')
FROM broadcasts AS b
JOIN users AS u ON u.subscribed = 1 AND u.blocked_at IS NULL
WHERE b.id = {broadcast_id} AND b.status IN ('approved', 'sending')
  AND (b.regions = 'national' OR EXISTS (
        SELECT 1 FROM subscriptions AS s
        WHERE s.user_id = u.id
          AND instr(',' || replace(b.regions, ' ', '') || ',', ',' || s.region || ',') > 0));
UPDATE broadcasts SET status = 'sending', started_at = coalesce(started_at, {now!r})
WHERE id = {broadcast_id} AND status IN ('approved', 'sending');
COMMIT;
"""


class DeliveryRepo:
    def __init__(self, db: Database) -> None:
        self.conn = db.conn

    async def broadcast(self, broadcast_id: int) -> Broadcast:
        async with self.conn.execute(
            "SELECT id, status, text_kk, text_ru, paid FROM broadcasts WHERE id = ?", (broadcast_id,)
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            raise LookupError(f"no broadcast {broadcast_id} in the database: check the id")
        return Broadcast(row["id"], row["status"], row["text_kk"], row["text_ru"], bool(row["paid"]))

    async def enqueue(self, broadcast_id: int, now: float) -> int:
        """One delivery row per recipient and the broadcast 'sending', in one transaction;
        running it again adds nobody twice. Returns the number of recipients."""
        await self.conn.executescript(ENQUEUE_SCRIPT.format(broadcast_id=int(broadcast_id), now=float(now)))
        async with self.conn.execute("SELECT count(*) FROM deliveries WHERE broadcast_id = ?", (broadcast_id,)) as cur:
            row = await cur.fetchone()
        return int(row[0])

    async def sending_broadcasts(self) -> list[int]:
        async with self.conn.execute("SELECT id FROM broadcasts WHERE status = 'sending' ORDER BY id") as cur:
            return [row[0] for row in await cur.fetchall()]

    async def counts(self, broadcast_id: int) -> dict[Status, int]:
        async with self.conn.execute(
            "SELECT status, count(*) FROM deliveries WHERE broadcast_id = ? GROUP BY status", (broadcast_id,)
        ) as cur:
            found = {Status(row[0]): int(row[1]) for row in await cur.fetchall()}
        return {status: found.get(status, 0) for status in Status}

    async def pending_after(self, broadcast_id: int, after: int, limit: int) -> list[int]:
        """The next ``limit`` pending recipients by user id (keyset paging: memory stays flat
        however large the broadcast)."""
        async with self.conn.execute(
            "SELECT user_id FROM deliveries WHERE broadcast_id = ? AND status = 'pending' AND user_id > ? "
            "ORDER BY user_id LIMIT ?",
            (broadcast_id, after, limit),
        ) as cur:
            return [row[0] for row in await cur.fetchall()]

    async def claim(self, broadcast_id: int, user_ids: list[int], now: float) -> list[Delivery]:
        """Marks these recipients 'sending' and returns those that were still pending: only a row
        this statement moved may be sent, so two engines on one database never send it twice."""
        claimed = await self.conn.execute_fetchall(  # one trip to aiosqlite's thread: workers wait on it
            "UPDATE deliveries SET status = 'sending', updated_at = ? "
            "WHERE broadcast_id = ? AND status = 'pending' AND user_id IN (SELECT value FROM json_each(?)) "
            "RETURNING user_id, language, attempts",
            (now, broadcast_id, json.dumps(user_ids)),
        )
        return [Delivery(row[0], row[1], row[2]) for row in claimed]

    async def record(self, broadcast_id: int, results: list[Result], now: float) -> None:
        """Writes Telegram's answers to rows in 'sending': one statement per kind of result (in
        a batch nearly all are 'sent' at the first attempt), and blocked_at for the users who
        blocked the bot, so that later broadcasts skip them. A row goes back to 'pending' and
        gets its refusal in the same statement, never in two steps."""
        blocked = [result.user_id for result in results if result.status is Status.BLOCKED]
        if blocked:
            await self.conn.execute(
                "UPDATE users SET blocked_at = ? WHERE id IN (SELECT value FROM json_each(?)) AND blocked_at IS NULL",
                (now, json.dumps(blocked)),
            )
        groups: defaultdict[tuple[Status, int, str | None], list[int]] = defaultdict(list)
        for result in results:
            groups[result.status, result.attempts, result.error].append(result.user_id)
        for (status, attempts, error), user_ids in groups.items():
            await self.conn.execute(
                "UPDATE deliveries SET status = ?, attempts = attempts + ?, error = ?, updated_at = ? "
                "WHERE broadcast_id = ? AND status = 'sending' AND user_id IN (SELECT value FROM json_each(?))",
                (status, attempts, error, now, broadcast_id, json.dumps(user_ids)),
            )

    async def finish(self, broadcast_id: int, status: str, now: float) -> None:
        """'done' or 'cancelled', unless the broadcast has already ended."""
        await self.conn.execute(
            "UPDATE broadcasts SET status = ?, finished_at = ? WHERE id = ? AND status IN ('approved', 'sending')",
            (status, now, broadcast_id),
        )

