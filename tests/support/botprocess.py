"""`python -m bot run` as a child process of a test: its environment, start, kill and the
processes it leaves; for the crash and stop tests."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import psutil

from bot.devtools.devserver.emulator import BotAPIEmulator

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 240.0  # the classifier process builds its model first; slow on a busy machine


def bot_env(tmp_path: Path, emulator: BotAPIEmulator, **extra: str) -> dict[str, str]:
    """`python -m bot run` in polling mode against the emulator, everything in ``tmp_path``."""
    env = {key: value for key, value in os.environ.items()
           if key not in {"WEBHOOK_URL", "WEBHOOK_SECRET", "ADMIN_IDS", "LOG_LEVEL"}}
    env.update(BOT_TOKEN=emulator.token, TELEGRAM_API_URL=emulator.base_url, BACKEND="lexical",
               DATABASE_PATH=str(tmp_path / "saqbol.db"), HEARTBEAT_PATH=str(tmp_path / "heartbeat"),
               OCR_TESSDATA=str(tmp_path), LOG_LEVEL="INFO", **extra)  # no Tesseract models there: no readers
    return env


async def start_bot(env: dict[str, str], log_path: Path, *python_options: str) -> asyncio.subprocess.Process:
    """``python [python_options] -m bot run``, its output appended to ``log_path``."""
    log = log_path.open("ab")
    try:
        return await asyncio.create_subprocess_exec(sys.executable, *python_options, "-m", "bot", "run", cwd=ROOT,
                                                    env=env, stdout=log, stderr=log)
    finally:
        log.close()


@contextlib.asynccontextmanager
async def reaped(process: asyncio.subprocess.Process) -> AsyncIterator[asyncio.subprocess.Process]:
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def descendants(pid: int) -> list[psutil.Process]:
    with contextlib.suppress(psutil.NoSuchProcess):
        return psutil.Process(pid).children(recursive=True)
    return []


async def all_gone(processes: list[psutil.Process], timeout: float) -> list[psutil.Process]:
    """The processes still alive after ``timeout`` seconds (zombies count as gone)."""
    deadline = time.monotonic() + timeout
    while True:
        alive = []
        for process in processes:
            with contextlib.suppress(psutil.NoSuchProcess):
                if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                    alive.append(process)
        if not alive or time.monotonic() > deadline:
            return alive
        await asyncio.sleep(0.1)


async def until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Polls a condition nothing can signal (another process writing SQLite)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: still not true after {timeout} s")
        await asyncio.sleep(0.05)


def bot_env_demo(tmp_path: Path, port: int) -> dict[str, str]:
    """The demo (no BOT_TOKEN) on ``port``, everything in ``tmp_path``; the OCR readers as deployed."""
    env = {key: value for key, value in os.environ.items()
           if key not in {"BOT_TOKEN", "WEBHOOK_URL", "WEBHOOK_SECRET", "ADMIN_IDS", "LOG_LEVEL", "OCR_TESSDATA"}}
    env.update(DEMO_PORT=str(port), DEMO_HOST="127.0.0.1", BACKEND="lexical", LOG_LEVEL="INFO",
               DATABASE_PATH=str(tmp_path / "saqbol.db"), HEARTBEAT_PATH=str(tmp_path / "heartbeat"))
    return env
