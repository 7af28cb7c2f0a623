"""One background task that runs rounds (the notice sender, the wave detector), and the callers
waiting for the outcome of its next round.

Both services had the same start/stop and the same list of waiters copied; this is that code
once. What a round does, and when the next comes, stays the service's own `run`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from typing import Any, Generic, TypeVar

R = TypeVar("R")


class Rounds(Generic[R]):
    """The task (``name``, for logs and task dumps) and the futures of callers waiting for the
    next round's outcome (``R``)."""

    def __init__(self, name: str, what: str) -> None:
        self.name = name
        self.what = what  # "the notice sender": for the error when nothing runs
        self._task: asyncio.Task[None] | None = None
        self._waiters: list[asyncio.Future[R]] = []

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self, run: Callable[[], Coroutine[Any, Any, None]]) -> asyncio.Task[None]:
        """``run()`` in the background, unless it runs already (then its task)."""
        if not self.running:
            self._task = asyncio.create_task(run(), name=self.name)
        return self._task

    async def stop(self) -> None:
        """Cancels the task and every caller still waiting for a round."""
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        for waiter in self._waiters:
            waiter.cancel()
        self._waiters.clear()

    async def next_round(self, poke: Callable[[], None]) -> R:
        """What the first round that begins after this call comes to (or raises), ``poke``
        having asked for it to begin now. Needs the task running."""
        if not self.running:
            raise RuntimeError(f"{self.what} is not running: start() it first")
        waiter: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        poke()
        return await waiter

    def begin(self) -> list[asyncio.Future[R]]:
        """A round begins: the callers it will answer (`done` or `failed`)."""
        waiters, self._waiters = self._waiters, []
        return waiters

    @staticmethod
    def done(waiters: list[asyncio.Future[R]], result: R) -> None:
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(result)

    @staticmethod
    def failed(waiters: list[asyncio.Future[R]], exc: BaseException) -> None:
        for waiter in waiters:
            if not waiter.done():
                waiter.set_exception(exc)
