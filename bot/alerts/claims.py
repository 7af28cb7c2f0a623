"""Handing out a broadcast's pending deliveries to the engine's workers, each marked 'sending'
in the database just before it goes out."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from itertools import zip_longest

from bot.alerts.repository import BroadcastsRepo, Delivery

PAGE = 1000  # pending ids read at a time: a 100 000-recipient broadcast never sits in memory


class ClaimQueue:
    """The pending deliveries of one broadcast, for workers that hold a token and send at once.

    The workers waiting at the same moment share one UPDATE (a group commit): at 25 msg/s
    that is one row per statement, uncapped a dozen or more, with no timer in between. All
    of them are woken together when it commits (a lock handed down the queue instead would
    cost an event-loop turn per message). A row is only claimed for a worker already waiting
    for it, so rows in 'sending' never outnumber the workers: that bounds what a crash can
    leave uncertain.
    """

    def __init__(self, repo: BroadcastsRepo, broadcast_id: int) -> None:
        self._repo = repo
        self._broadcast_id = broadcast_id
        self._waiters: list[asyncio.Future[Delivery | None]] = []
        self._serving: asyncio.Task[None] | None = None
        self._page: deque[int] = deque()
        self._after = 0
        self._read_all = False
        self.closed = False

    def has_more(self) -> bool:
        """False once closed, or once every pending row has been handed out."""
        return not self.closed and not (self._read_all and not self._page)

    def is_open(self) -> bool:
        return not self.closed

    def close(self) -> None:
        """No more claims; a claim already under way still reaches its workers."""
        self.closed = True

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
        put it back to 'pending' (the pages have gone past it). None when the queue is closed
        or the row is no longer pending (another engine took it)."""
        if self.closed:
            return None
        claimed = await self._repo.claim(self._broadcast_id, [delivery.user_id], time.time())
        return claimed[0] if claimed else None

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
        """Up to ``count`` rows, fewer only when the broadcast runs out."""
        claimed: list[Delivery] = []
        while len(claimed) < count and (ids := await self._next_ids(count - len(claimed))):
            # Fewer than asked come back if another engine claimed some first: ask again.
            claimed += await self._repo.claim(self._broadcast_id, ids, time.time())
        return claimed

    async def _next_ids(self, count: int) -> list[int]:
        if not self._page and not self._read_all:
            page = await self._repo.pending_after(self._broadcast_id, self._after, PAGE)
            self._read_all = len(page) < PAGE
            if page:
                self._after = page[-1]
                self._page.extend(page)
        return [self._page.popleft() for _ in range(min(count, len(self._page)))]
