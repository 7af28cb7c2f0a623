"""Handing out a broadcast's pending deliveries to the engine's workers, each marked 'sending'
in the database just before it goes out."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from itertools import zip_longest
from typing import TypeVar

from bot.alerts.repository import BroadcastsRepo, Delivery
from bot.storage.database import STORAGE_FAULTS

log = logging.getLogger(__name__)

T = TypeVar("T")
TRIES = 5  # a statement refused by a passing fault is tried this many times in all
RETRY_BASE = 0.05  # seconds before the second try; doubling


async def retrying(statement: Callable[[], Awaitable[T]], what: str) -> T:
    """Runs a statement again after a passing storage fault: the file locked a moment too long
    by another sender process (SQLite's busy timeout is short), a PostgreSQL connection reset.
    Only for statements that are safe to repeat: a failed statement changed nothing, and each
    of the engine's writes does nothing the second time (it moves only rows still in the state
    it expects). The last fault is raised."""
    for attempt in range(TRIES):
        try:
            return await statement()
        except STORAGE_FAULTS as exc:
            if attempt == TRIES - 1:
                raise
            log.warning("%s failed (%s: %s), trying again", what, type(exc).__name__, exc)
            await asyncio.sleep(RETRY_BASE * 2 ** attempt)
    raise AssertionError("unreachable")


class ClaimQueue:
    """The pending deliveries of one broadcast, for workers that hold a token and send at once.

    The workers waiting at the same moment share one claim statement (a group commit): at
    25 msg/s that is one row per statement, uncapped a dozen or more, with no timer in between.
    All of them are woken together when it commits (a lock handed down the queue instead would
    cost an event-loop turn per message). A row is only claimed for a worker already waiting
    for it, so this engine's rows in 'sending' never outnumber its workers: that bounds what a
    crash can leave uncertain.

    The claim itself finds the next pending rows (`BroadcastsRepo.claim_next`), so several
    engines claim from one broadcast without paging over the same ids. A claim that comes back
    short means nothing is claimable *now*: the queue is ``exhausted`` until the run, having
    looked at the database (rows in flight elsewhere, refusals waiting to be retried),
    ``reopen``\\ s it.
    """

    def __init__(self, repo: BroadcastsRepo, broadcast_id: int, retry_after: float) -> None:
        self._repo = repo
        self._broadcast_id = broadcast_id
        self._retry_after = retry_after  # seconds a refused row is left to the engine that retries it
        self._waiters: list[asyncio.Future[Delivery | None]] = []
        self._serving: asyncio.Task[None] | None = None
        self.exhausted = False
        self.closed = False

    def has_more(self) -> bool:
        """False once closed, or once a claim found nothing more to take."""
        return not self.closed and not self.exhausted

    def is_open(self) -> bool:
        return not self.closed

    def close(self) -> None:
        """No more claims; a claim already under way still reaches its workers."""
        self.closed = True

    def reopen(self) -> None:
        """Claim again: the database says some rows may have become claimable."""
        self.exhausted = False

    async def take(self) -> Delivery | None:
        """The next delivery, now 'sending' in the database; None when none is left (or closed)."""
        if not self.has_more():
            return None
        waiter: asyncio.Future[Delivery | None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        if self._serving is None:
            self._serving = asyncio.create_task(self._serve())
        return await waiter

    async def take_again(self, delivery: Delivery) -> Delivery | None:
        """The same recipient once more, 'sending' again, for its next request after a refusal
        put it back to 'pending'. None when the queue is closed or the row is no longer pending
        (another engine took it)."""
        if self.closed:
            return None
        return await retrying(lambda: self._repo.claim_again(self._broadcast_id, delivery.user_id, time.time()),
                              f"claiming delivery {delivery.user_id} of broadcast {self._broadcast_id} again")

    async def _serve(self) -> None:
        """Claims for everyone waiting and wakes them, again while more arrived meanwhile.
        A database error reaches the workers that were waiting; a worker cancelled while it
        waited (the run being torn down) leaves its row 'sending', as a crash would."""
        try:
            while self._waiters:
                waiters, self._waiters = self._waiters, []
                try:
                    rows = await self._claim(len(waiters)) if self.has_more() else []
                except Exception as exc:
                    for waiter in waiters:
                        if not waiter.done():
                            waiter.set_exception(exc)
                    continue
                for waiter, row in zip_longest(waiters, rows):  # never more rows than waiters
                    if not waiter.done():
                        waiter.set_result(row)
        finally:
            self._serving = None

    async def _claim(self, count: int) -> list[Delivery]:
        """Up to ``count`` rows in one statement; fewer only when nothing more is claimable now."""
        now = time.time()
        rows = await retrying(lambda: self._repo.claim_next(self._broadcast_id, count, now, now - self._retry_after),
                              f"claiming deliveries of broadcast {self._broadcast_id}")
        if len(rows) < count:
            self.exhausted = True
        return rows
