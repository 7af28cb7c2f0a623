"""A pool of worker processes for the CPU work the event loop must not do.

The classifier's service and the OCR service share this: processes are *spawned* (a fork of a
running event loop copies its threads' locks mid-use), each worker runs `exit_with_parent`
before its own initializer (a kill -9 of the bot leaves no worker behind), a worker that dies
(out of memory, a crash) is replaced on the next call, and `close` waits a little, then
terminates, so a stopping bot leaves no process behind.

What the initializer is given is pickled into every worker, so it is checked first: no secret
(a pydantic `SecretStr`, the bot token above all) may cross into a child process. A library
gets its own settings section, which has none; handing it the bot's whole `Settings` fails at
once, in the bot's process, with the path to the secret.
"""

from __future__ import annotations

import asyncio
import dataclasses
import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from pydantic import BaseModel, SecretBytes, SecretStr

from bot.workers.lifetime import exit_with_parent, stop_pool

T = TypeVar("T")
CLOSE_TIMEOUT = 3.0  # seconds the workers get to exit when the bot stops

__all__ = ["CLOSE_TIMEOUT", "BrokenProcessPool", "SecretInWorker", "WorkerPool", "secrets_in"]


class SecretInWorker(ValueError):
    """A secret would be pickled into a worker process."""


def secrets_in(value: object, path: str = "initargs") -> Iterator[str]:
    """Where in ``value`` a secret sits (paths like ``initargs[0].telegram.token``), looking
    through pydantic models, dataclasses, mappings and sequences."""
    if isinstance(value, SecretStr | SecretBytes):
        yield path
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from secrets_in(getattr(value, name), f"{path}.{name}")
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from secrets_in(getattr(value, field.name), f"{path}.{field.name}")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from secrets_in(item, f"{path}[{key!r}]")
    elif isinstance(value, list | tuple | set | frozenset):
        for i, item in enumerate(value):
            yield from secrets_in(item, f"{path}[{i}]")


def _start_worker(parent: int, initializer: Callable[..., None] | None, initargs: tuple[Any, ...]) -> None:
    # First, so a worker whose initializer hangs still dies with the bot. The bot's pid is
    # passed in rather than read here: a worker still starting when the bot is killed would
    # otherwise take its new parent (init) for the bot and never exit.
    exit_with_parent(parent)
    if initializer is not None:
        initializer(*initargs)


class WorkerPool:
    """``workers`` spawned processes, started on the first call, each set up once by
    ``initializer(*initargs)``; or, for tests, threads in this process (`WorkerPool.threads`)."""

    def __init__(self, initializer: Callable[..., None] | None = None, initargs: tuple[Any, ...] = (), *,
                 workers: int = 1, name: str = "worker") -> None:
        found = list(secrets_in(initargs))
        if found:
            raise SecretInWorker(f"{', '.join(found)} would be pickled into the {name} worker process; "
                                 "hand the worker only the settings section it needs")
        self.initializer = initializer
        self.initargs = initargs
        self.workers = workers
        self.name = name
        self._threads = False
        self._executor: Executor | None = None
        self._closed = False

    @classmethod
    def threads(cls, *, workers: int = 1, name: str = "worker") -> WorkerPool:
        """The same interface on threads of this process: for tests that hand in a ready object."""
        pool = cls(workers=workers, name=name)
        pool._threads = True
        return pool

    def executor(self) -> Executor:
        """The running executor, started if there is none (the first call, or after a worker died)."""
        if self._closed:
            raise RuntimeError(f"the {self.name} pool is closed: the bot is stopping")
        if self._executor is None:
            if self._threads:
                self._executor = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix=self.name)
            else:
                self._executor = ProcessPoolExecutor(
                    max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                    initializer=_start_worker, initargs=(os.getpid(), self.initializer, self.initargs))
        return self._executor

    async def run(self, fn: Callable[..., T], *args: object, timeout: float | None = None) -> T:
        """``fn(*args)`` in a worker. Raises `TimeoutError` past ``timeout`` seconds (the worker
        goes on: only the caller stops waiting) and `BrokenProcessPool` when a worker died, after
        which the next call starts new workers."""
        executor = self.executor()
        future = asyncio.get_running_loop().run_in_executor(executor, fn, *args)
        try:
            return await (future if timeout is None else asyncio.wait_for(future, timeout))
        except BrokenProcessPool:
            if self._executor is executor:
                self._executor = None
            raise

    async def warm_up(self) -> None:
        """Starts every worker (its initializer runs), so the first real call does not wait for
        them, and a broken setup fails at start rather than on a user."""
        await asyncio.gather(*(self.run(os.getpid) for _ in range(self.workers)))

    def pids(self) -> set[int]:
        """The worker processes' ids (none for threads or before the first call)."""
        processes = getattr(self._executor, "_processes", None) or {}
        return {process.pid for process in processes.values()}

    def close(self, timeout: float = CLOSE_TIMEOUT) -> None:
        """Stops the workers: a call in progress gets ``timeout`` seconds, then its process is
        terminated. Later calls are refused."""
        self._closed = True
        if self._executor is not None:
            stop_pool(self._executor, timeout)
            self._executor = None
