"""Handing out a broadcast's pending deliveries to the engine's workers, each marked 'sending'
in the database just before it goes out."""

from __future__ import annotations

import asyncio
import time
from collections import deque

from bot.broadcast.repository import Delivery, DeliveryRepo

PAGE = 1000  # pending ids read at a time: a 100 000-recipient broadcast never sits in memory


class ClaimQueue:
    """The pending deliveries of one broadcast, for workers that hold a token and send at once.

    Workers that ask at the same moment share one UPDATE (a group commit): at 25 msg/s that
    is one row per statement, at 2000 msg/s dozens, with no timer in between. A row is only
    marked for a worker already waiting for it, so rows in 'sending' never outnumber the
    workers: that bounds what a crash can leave uncertain.
    """

    def __init__(self, repo: DeliveryRepo, broadcast_id: int) -> None:
        self._repo = repo
        self._broadcast_id = broadcast_id
        self._lock = asyncio.Lock()
        self._wanted = 0  # workers in take(): the one holding the lock and those queued behind it
        self._claimed: deque[Delivery] = deque()
        self._page: deque[int] = deque()
        self._after = 0
        self._read_all = False
        self.closed = False

    def has_more(self) -> bool:
        """False once closed, or once every pending row has been handed out."""
        return not self.closed and not (self._read_all and not self._page and not self._claimed)

    def close(self) -> None:
        """No more claims; rows already claimed for a waiting worker still go to it."""
        self.closed = True

    async def take(self) -> Delivery | None:
        """The next delivery, now 'sending' in the database; None when none is left (or closed)."""
        self._wanted += 1
        try:
            async with self._lock:
                if not self._claimed and not self.closed:
                    await self._claim(self._wanted)
                return self._claimed.popleft() if self._claimed else None
        finally:
            self._wanted -= 1

    async def _claim(self, count: int) -> None:
        """Claims up to ``count`` rows: one for this worker and one for each queued behind it
        (the lock is FIFO, so each of them takes exactly one)."""
        while not self._claimed:
            ids = await self._next_ids(count)
            if not ids:
                return
            # Fewer than asked come back if another engine claimed some first: ask again.
            self._claimed.extend(await self._repo.claim(self._broadcast_id, ids, time.time()))

    async def _next_ids(self, count: int) -> list[int]:
        if not self._page and not self._read_all:
            page = await self._repo.pending_after(self._broadcast_id, self._after, PAGE)
            self._read_all = len(page) < PAGE
            if page:
                self._after = page[-1]
                self._page.extend(page)
        return [self._page.popleft() for _ in range(min(count, len(self._page)))]
