"""The worker pool the classifier and the OCR readers run on: real spawned processes, set up
once each, replaced when one dies, given up on past a timeout, stopped for good by close, and
never handed a secret."""

from __future__ import annotations

import asyncio
import os
import time

import pytest
from pydantic import SecretStr

from bot.config import Settings
from bot.workers.pool import BrokenProcessPool, SecretInWorker, WorkerPool, secrets_in

_greeting: str | None = None  # set by the initializer, in the worker process only


def _remember(greeting: str) -> None:
    global _greeting  # noqa: PLW0603 - per-process worker state, as in the services
    _greeting = greeting


def _greet() -> tuple[int, str | None]:
    return os.getpid(), _greeting


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie is gone for our purpose
        return stat.read().split(")")[-1].split()[0] != "Z"


async def test_work_runs_in_a_spawned_process_set_up_once_by_the_initializer():
    pool = WorkerPool(_remember, ("сәлем / привет",), workers=2, name="test")
    try:
        await pool.warm_up()
        answers = await asyncio.gather(*(pool.run(_greet) for _ in range(6)))
        pids = pool.pids()
    finally:
        pool.close()
    assert {greeting for _, greeting in answers} == {"сәлем / привет"}
    assert {pid for pid, _ in answers} <= pids and len(pids) == 2 and os.getpid() not in pids


async def test_close_leaves_no_worker_process_and_refuses_later_work():
    pool = WorkerPool(name="test")
    await pool.warm_up()
    pids = pool.pids()
    pool.close(timeout=3.0)
    assert pids and not [pid for pid in pids if _alive(pid)]
    with pytest.raises(RuntimeError, match="closed"):
        await pool.run(os.getpid)


async def test_a_dead_worker_is_replaced_on_the_next_call():
    pool = WorkerPool(workers=1, name="test")
    try:
        first = await pool.run(os.getpid)
        with pytest.raises(BrokenProcessPool):
            await pool.run(os._exit, 1)  # the worker dies, as under the OOM killer
        second = await pool.run(os.getpid)
    finally:
        pool.close()
    assert first != second and second != os.getpid()


async def test_a_call_past_its_timeout_is_given_up_and_the_pool_goes_on():
    pool = WorkerPool(workers=1, name="test")
    try:
        await pool.warm_up()
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            await pool.run(time.sleep, 1.5, timeout=0.2)
        assert time.monotonic() - started < 1.0
        assert await pool.run(os.getpid, timeout=30) != os.getpid()
    finally:
        pool.close()


async def test_a_thread_pool_runs_in_this_process():
    pool = WorkerPool.threads(name="test")
    try:
        assert await pool.run(os.getpid) == os.getpid() and not pool.pids()
    finally:
        pool.close()


def test_a_secret_is_refused_before_any_process_starts(tmp_path):
    settings = Settings(cache_dir=tmp_path, _env_file=None).with_values(bot_token=SecretStr("1:TOKEN"))
    with pytest.raises(SecretInWorker, match=r"initargs\[0\]\.telegram\.token would be pickled"):
        WorkerPool(_remember, (settings,), name="test")
    assert list(secrets_in({"nested": [("x", SecretStr("s"))]})) == ["initargs['nested'][0][1]"]
    assert not list(secrets_in((settings.classifier, settings.ocr, settings.storage, settings.alerts)))


PARENT = """
import asyncio, sys
from bot.workers.pool import WorkerPool

async def main():
    pool = WorkerPool(workers=2, name="orphan-check")
    await pool.warm_up()
    print(*sorted(pool.pids()), flush=True)
    await asyncio.sleep(600)

asyncio.run(main())
"""


def test_workers_die_with_a_parent_killed_by_sigkill():
    """Nothing tells the workers when the bot is killed -9 (the OOM killer, `docker kill`):
    each notices its parent is gone and exits, so none is left as an orphan."""
    import signal
    import subprocess
    import sys

    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        pids = [int(p) for p in parent.stdout.readline().split()]
        assert len(pids) == 2 and all(_alive(pid) for pid in pids)
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait()
    deadline = time.monotonic() + 10
    while [pid for pid in pids if _alive(pid)] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in pids if _alive(pid)]
