"""`python -m bot loadtest`: many simulated users at once, through the real stack.

Two processes, as in production, where Telegram is not on the bot's machine:
- the *Telegram side* (a child process): the local Bot API emulator and N simulated users.
  Each user sends a message, waits for the answer, then sends the next one, as people do;
  all users start together.
- the *bot* (this process): aiogram long polling over HTTP, the middlewares, SQLite and the
  classifier, the alert engine, exactly as `python -m bot run` wires them
  (`bot.devtools.running.running_bot`, as the demo and the end-to-end tests start it).

Latency is measured on the Telegram side, from the moment an update is queued until the
bot's answer arrives, so it includes getUpdates, handling and sendMessage.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import statistics
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path

from bot.config import Backend, Settings

TOKEN = "7000000001:SaqBol-loadtest"
FIRST_USER = 500_000_000


def _texts(settings: Settings, count: int) -> list[str]:
    """A mix of scam and everyday texts from the knowledge base, as people would send."""
    from bot.knowledge import load_knowledge

    pool = [ex.text for _, ex in load_knowledge(settings.classifier.knowledge_dir).labelled_examples()]
    step = max(1, len(pool) // count)
    return [pool[(i * step) % len(pool)] for i in range(count)]


# --- the Telegram side (child process) --------------------------------------------------

async def _user(emulator, user_id: int, texts: list[str], latencies: list[float]) -> None:
    for text in texts:
        started = time.perf_counter()
        emulator.send_text(user_id, text)
        await emulator.next_message(user_id, timeout=120.0)
        latencies.append(time.perf_counter() - started)


async def _telegram_side(conn: Connection, users: int, messages: int, texts: list[str]) -> None:
    from bot.devtools.devserver.emulator import BotAPIEmulator

    async with BotAPIEmulator(record_requests=False) as emulator:
        for n in range(users):
            emulator.add_user(FIRST_USER + n, language_code="ru" if n % 2 else "kk")
        conn.send(emulator.base_url)
        await emulator.wait_until(lambda: emulator.is_polling, timeout=120.0)
        latencies: list[float] = []
        started = time.perf_counter()
        await asyncio.gather(*(
            _user(emulator, FIRST_USER + n, texts[n * messages:(n + 1) * messages], latencies)
            for n in range(users)
        ))
        conn.send((time.perf_counter() - started, latencies))


def _telegram_process(conn: Connection, users: int, messages: int, texts: list[str]) -> None:
    asyncio.run(_telegram_side(conn, users, messages, texts))


# --- the bot (this process) --------------------------------------------------------------

async def _run_bot(settings: Settings, base_url: str, conn: Connection) -> tuple[float, list[float]]:
    from bot.app.dispatcher import create_dispatcher, open_deps
    from bot.devtools.running import running_bot

    async with open_deps(settings) as deps:
        async with running_bot(settings, deps, create_dispatcher(settings, deps), base_url, TOKEN):
            return await asyncio.get_running_loop().run_in_executor(None, conn.recv)


def run_loadtest(settings: Settings, *, users: int, messages: int, backend: Backend = "lexical") -> str:
    with tempfile.TemporaryDirectory() as tmp:
        settings = settings.with_values(
            database_path=Path(tmp) / "loadtest.db",
            heartbeat_path=Path(tmp) / "heartbeat",
            backend=backend,
            throttle_messages=max(settings.telegram.throttle_messages, messages + 1),
        )
        texts = _texts(settings, users * messages)
        ours, theirs = mp.get_context("spawn").Pipe()
        telegram = mp.get_context("spawn").Process(
            target=_telegram_process, args=(theirs, users, messages, texts), daemon=True)
        telegram.start()
        try:
            base_url = ours.recv()
            build_started = time.perf_counter()
            elapsed, latencies = asyncio.run(_run_bot(settings, base_url, ours))
            total_s = time.perf_counter() - build_started
        finally:
            telegram.join(timeout=10)
            if telegram.is_alive():
                telegram.kill()
    return _report(users, messages, backend, total_s - elapsed, elapsed, latencies)


def _report(users: int, messages: int, backend: str, build_s: float, elapsed: float, latencies: list[float]) -> str:
    ordered = sorted(latencies)
    total = len(ordered)
    p95 = ordered[min(total - 1, int(0.95 * total))]
    return "\n".join([
        f"loadtest: {users} users x {messages} messages = {total} updates, backend {backend}",
        f"(bot start-up incl. classifier build {build_s:.1f} s, not counted; emulator and users in a second process)",
        f"wall time      {elapsed:8.2f} s",
        f"throughput     {total / elapsed:8.1f} updates/s",
        f"latency p50    {statistics.median(ordered) * 1000:8.1f} ms",
        f"latency p95    {p95 * 1000:8.1f} ms",
        f"latency max    {ordered[-1] * 1000:8.1f} ms",
        "(latency: update queued in the emulator -> the bot's answer received by it, over HTTP)",
    ])
