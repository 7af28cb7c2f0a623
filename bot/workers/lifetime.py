"""Child processes die with the bot.

The classifier and the OCR readers run in worker processes. If the bot is killed with
SIGKILL (the OOM killer, ``docker kill``, a crash), nothing tells them, and they would live on
as orphans holding memory and the multiprocessing resource tracker. Each worker starts
`exit_with_parent` in its initializer: a daemon thread that ends the worker as soon as its
parent is gone (its parent pid changes when it is re-parented). The resource tracker then
exits by itself: it lives until the last process holding its pipe is gone.

A thread rather than Linux's ``PR_SET_PDEATHSIG``: that signal fires when the *thread* that
started the child exits, not the process, which would kill healthy workers started from a
thread pool.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from concurrent.futures import Executor

CHECK_EVERY = 0.5  # seconds: how late a worker may notice that the bot is gone


def _watch(parent: int, every: float) -> None:
    while os.getppid() == parent:
        time.sleep(every)
    os._exit(0)  # no cleanup to run: the work it was doing has nobody to return to


def exit_with_parent(parent: int | None = None, every: float = CHECK_EVERY) -> None:
    """In a worker process: exit as soon as ``parent`` (default: the current parent) is gone."""
    parent = os.getppid() if parent is None else parent
    if os.getppid() != parent:
        os._exit(0)
    threading.Thread(target=_watch, args=(parent, every), name="exit-with-parent", daemon=True).start()


def stop_pool(executor: Executor, timeout: float) -> None:
    """Shuts a process pool down and waits up to ``timeout`` seconds for its processes to exit,
    terminating those still running (a picture being read), so none outlives the bot's stop.
    A thread pool just shuts down."""
    processes = list((getattr(executor, "_processes", None) or {}).values())  # pid -> Process
    with contextlib.suppress(RuntimeError):
        executor.shutdown(wait=False, cancel_futures=True)
    deadline = time.monotonic() + timeout
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.terminate()
            process.join(1.0)
