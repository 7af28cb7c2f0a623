"""The relay's journal: what became of each alert request the relay forwarded to Telegram.

Telegram's API has no idempotency key and no way to ask "did my request arrive?". A sender
killed with a request on the wire therefore leaves a delivery nobody can settle: sending it
again may send it twice, not sending it may leave someone without the alert. The relay
(``bot.alerts.relay``) outlives the senders and writes, per delivery key, a row here *before*
it forwards a request and Telegram's answer *after*, whether or not the sender is still there
to read it. A live engine then settles a dead engine's rows from these rows
(`BroadcastsRepo.settle`) instead of guessing.

States of a key:

* ``started``: the relay claimed the key and is forwarding the request now (or died doing so);
* ``delivered``: Telegram said OK; ``answer`` keeps the message's id, date and chat (no text,
  no name), so that a repeat of the request is answered with the same OK and not sent again;
* ``refused``: Telegram answered with anything but OK (429, 5xx, 403 ...), or could not be
  reached at all: nothing was delivered, and the key may be claimed again for the next try;
* ``unknown``: the relay lost the connection after writing the request (a timeout, a reset):
  Telegram may or may not have carried it out. Never forwarded again.

A key is claimed by one statement that succeeds only for a new key or a refused one, so of
any number of requests with one key (a dead sender's late bytes, a live engine's resend, two
relays) at most one is on its way to Telegram at a time, and none after a delivery.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.storage import Database


class JournalState(StrEnum):
    STARTED = "started"
    DELIVERED = "delivered"
    REFUSED = "refused"
    UNKNOWN = "unknown"


def delivery_key(broadcast_id: int, user_id: int) -> str:
    """The key of one recipient's delivery of one broadcast. `BroadcastsRepo.settle` builds the
    same text in SQL: keep the two in step."""
    return f"{broadcast_id}:{user_id}"


@dataclass(frozen=True)
class JournalEntry:
    key: str
    chat_id: int
    state: JournalState
    status: int | None
    answer: dict[str, Any] | None
    started_at: float


class SendJournal:
    """The ``send_journal`` table, on either engine."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def claim(self, key: str, chat_id: int, now: float) -> bool:
        """Marks the key 'started'; True when this call did (a new key, or one whose last try
        Telegram refused), False when a request with this key was delivered, is on its way,
        or ended unknown: that request must not be forwarded."""
        row = await self.db.fetchone(
            "INSERT INTO send_journal (key, chat_id, state, started_at) VALUES (?1, ?2, ?3, ?4) "
            "ON CONFLICT (key) DO UPDATE SET state = excluded.state, chat_id = excluded.chat_id, "
            "status = NULL, answer = NULL, started_at = excluded.started_at, answered_at = NULL "
            "WHERE send_journal.state = ?5 RETURNING key",
            (key, chat_id, JournalState.STARTED.value, now, JournalState.REFUSED.value),
        )
        return row is not None

    async def answer(self, key: str, state: JournalState, now: float, *, status: int | None = None,
                     answer: dict[str, Any] | None = None) -> None:
        """What became of the request claimed with ``key``: delivered, refused or unknown.
        Safe to repeat: it moves only a row still 'started'."""
        if state is JournalState.STARTED:
            raise ValueError("an answer ends a request: delivered, refused or unknown, not started")
        await self.db.execute(
            "UPDATE send_journal SET state = ?1, status = ?2, answer = ?3, answered_at = ?4 WHERE key = ?5 AND state = ?6",
            (state.value, status, None if answer is None else json.dumps(answer), now, key, JournalState.STARTED.value),
        )

    async def get(self, key: str) -> JournalEntry | None:
        row = await self.db.fetchone(
            "SELECT key, chat_id, state, status, answer, started_at FROM send_journal WHERE key = ?", (key,))
        if row is None:
            return None
        return JournalEntry(row[0], int(row[1]), JournalState(row[2]), row[3],
                            None if row[4] is None else json.loads(row[4]), float(row[5]))

    async def prune(self, before: float) -> int:
        """Deletes the rows started before ``before`` (a broadcast ends within hours; the relay
        keeps a week): the journal does not grow with every alert ever sent."""
        return await self.db.execute("DELETE FROM send_journal WHERE started_at < ?", (before,))
