"""`python -m bot bench-broadcast`: the delivery engine, timed against a Telegram of its own.

Two processes, as in production, where Telegram is not on the bot's machine (the engine's
modules are imported only in the second, which keeps the emulator process light):
- *Telegram* (a child process): the Bot API emulator with one chat per recipient, not
  recording requests, so that it holds no more than Telegram's side would.
- *the engine* (this process): a temporary SQLite database with the recipients and one
  approved national alert, a Bot without retries (as the engine's must be), the engine.

With a cap (default 25 msg/s) the run is cancelled after ``--seconds`` and the rate measured
over that window is compared with the cap. ``--uncapped`` shows the engine's own ceiling: the
run delivers to every recipient and the rate is measured over the whole of it, start to end.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import multiprocessing as mp
import tempfile
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path

from typing import TYPE_CHECKING

import aiosqlite
import psutil

from bot.config import Settings

if TYPE_CHECKING:
    from aiogram import Bot

FIRST_USER = 600_000_000
STARTUP_TIMEOUT = 300.0  # seconds for the emulator process to create its chats
BARE_SECONDS = 10.0
REGIONS = ("astana", "almaty_city", "shymkent", "karaganda", "turkestan", "mangystau")
LANGUAGES = ("kk", "ru", None)  # None: the user never chose; the engine sends Russian
TEXT_KK = "<b>Полиция ескертеді:</b> «банк қызметкерлері» SMS-кодты сұрайды. Кодты ешкімге айтпаңыз."
TEXT_RU = "<b>Полиция предупреждает:</b> «сотрудники банка» просят код из SMS. Никому не называйте код."


@dataclass(frozen=True)
class Measurement:
    recipients: int
    enqueue_s: float
    delivered: int
    cancelled: bool
    elapsed_s: float
    in_flight: int
    rss_at_start_mb: float  # the imports (aiogram, and the classifier's libraries through bot.storage)
    bare_rate: float | None  # uncapped only: the same Bot in a plain loop, without the engine


# --- Telegram (child process) -----------------------------------------------------------


async def _telegram_side(conn: Connection, recipients: int) -> None:
    from bot.devtools.devserver.emulator import BotAPIEmulator

    async with BotAPIEmulator(record_requests=False) as emulator:
        for user_id in range(FIRST_USER, FIRST_USER + recipients):
            emulator.add_user(user_id)
        conn.send((emulator.base_url, emulator.token))
        await asyncio.to_thread(conn.recv)  # the bench says when it is done


def _telegram_process(conn: Connection, recipients: int) -> None:
    asyncio.run(_telegram_side(conn, recipients))


# --- the engine (this process) ------------------------------------------------------------


async def _populate(conn: aiosqlite.Connection, recipients: int) -> int:
    """The subscribers (mixed languages and regions) and an approved national alert, in one
    transaction: this database is the bench's own, nothing else writes to it."""
    now = time.time()
    users = range(FIRST_USER, FIRST_USER + recipients)
    await conn.execute("BEGIN")
    await conn.executemany(
        "INSERT INTO users (id, language, region, subscribed, created_at, seen_at) VALUES (?, ?, ?, 1, ?, ?)",
        ((u, LANGUAGES[u % len(LANGUAGES)], REGIONS[u % len(REGIONS)], now, now) for u in users),
    )
    await conn.executemany(
        "INSERT INTO subscriptions (user_id, region) VALUES (?, ?)", ((u, REGIONS[u % len(REGIONS)]) for u in users)
    )
    async with conn.execute(
        "INSERT INTO broadcasts (author_id, text_kk, text_ru, regions, status, created_at) "
        "VALUES (1, ?, ?, 'national', 'approved', ?)",
        (TEXT_KK, TEXT_RU, now),
    ) as cur:
        broadcast_id = cur.lastrowid
    await conn.execute("COMMIT")
    return broadcast_id


async def _bare_aiogram_rate(bot: Bot, user_ids: range, concurrency: int) -> float:
    """What the same Bot does alone on this machine: ``bot.send_message`` in a plain loop with
    the engine's concurrency, no engine, no database: the machine's and aiogram's own pace in
    the same run, to read the engine's figure against. The engine can pass it: it encodes its
    form once per broadcast instead of per message (``bot.alerts.sending``)."""
    from bot.alerts.sending import NO_PREVIEW

    deadline = time.perf_counter() + BARE_SECONDS
    pending = iter(user_ids)
    sent = 0

    async def sender() -> None:
        nonlocal sent
        for user_id in pending:
            if time.perf_counter() > deadline:
                return
            await bot.send_message(user_id, TEXT_RU, parse_mode="HTML", link_preview_options=NO_PREVIEW)
            sent += 1

    started = time.perf_counter()
    await asyncio.gather(*(sender() for _ in range(concurrency)))
    return sent / (time.perf_counter() - started)


async def _measure(settings: Settings, db_path: Path, telegram: tuple[str, str], recipients: int, rate: float,
                   seconds: float) -> Measurement:
    from bot.app.dispatcher import create_bot
    from bot.alerts.engine import DeliveryEngine, in_flight_for
    from bot.storage import Database

    base_url, token = telegram
    rss_at_start = psutil.Process().memory_info().rss / 2**20
    db = await Database.open(db_path)
    bot = create_bot(settings, token, api_url=base_url, retry=False)
    try:
        broadcast_id = await _populate(db.conn, recipients)
        users = range(FIRST_USER, FIRST_USER + recipients)
        bare = await _bare_aiogram_rate(bot, users, in_flight_for(rate)) if math.isinf(rate) else None
        engine = DeliveryEngine(db, bot, rate=rate)
        started = time.perf_counter()
        total = await engine.enqueue(broadcast_id)
        enqueue_s = time.perf_counter() - started
        if not math.isinf(rate):
            asyncio.get_running_loop().call_later(seconds, engine.cancel, broadcast_id)
        started = time.perf_counter()
        progress = await engine.run(broadcast_id)
        elapsed = time.perf_counter() - started
    finally:
        await bot.session.close()
        await db.close()
    delivered = progress.total - progress.pending - progress.uncertain
    return Measurement(
        total, enqueue_s, delivered, progress.cancelled, elapsed, in_flight_for(rate), rss_at_start, bare
    )


def _address(ours: Connection, telegram: BaseProcess) -> tuple[str, str]:
    """The emulator's URL and token, or an error if its process died first."""
    if ours not in wait([ours, telegram.sentinel], timeout=STARTUP_TIMEOUT):
        raise RuntimeError(
            f"the emulator process did not start within {STARTUP_TIMEOUT:.0f} s "
            f"(exit code {telegram.exitcode}); its traceback is above: fix that, or try fewer --recipients"
        )
    return ours.recv()


def run_broadcast_bench(settings: Settings, *, recipients: int, rate: float, seconds: float) -> str:
    """Runs the bench and returns its report (a table)."""
    context = mp.get_context("spawn")
    ours, theirs = context.Pipe()
    telegram = context.Process(target=_telegram_process, args=(theirs, recipients), daemon=True)
    telegram.start()
    try:
        address = _address(ours, telegram)
        with tempfile.TemporaryDirectory() as tmp:
            measured = asyncio.run(_measure(settings, Path(tmp) / "bench.db", address, recipients, rate, seconds))
    finally:
        with contextlib.suppress(OSError):  # the emulator process may be gone already
            ours.send("done")
        telegram.join(timeout=10)
        if telegram.is_alive():
            telegram.kill()
    return report(measured, rate, seconds)


def report(m: Measurement, rate: float, seconds: float) -> str:
    from bot.devtools.benchmark import peak_rss_mb

    throughput = m.delivered / m.elapsed_s
    capped = not math.isinf(rate)
    ending = f"cancelled after {seconds:g} s" if m.cancelled else "all delivered"
    rows = [
        ("recipients", f"{m.recipients}", ""),
        ("enqueue", f"{m.enqueue_s:.2f}", "s (one transaction)"),
        ("delivered", f"{m.delivered}", ending),
        ("elapsed", f"{m.elapsed_s:.2f}", "s"),
        ("engine throughput", f"{throughput:.1f}", "msg/s"),
        ("rate cap", f"{rate:g}" if capped else "none", "msg/s" if capped else "(--uncapped)"),
    ]
    if capped:
        rows.append(("measured / cap", f"{throughput / rate:.4f}", f"({(throughput / rate - 1) * 100:+.2f} %)"))
    if m.bare_rate is not None:
        rows += [
            ("bare aiogram", f"{m.bare_rate:.1f}", f"msg/s: bot.send_message in a plain loop, no engine ({BARE_SECONDS:g} s)"),
            ("engine / bare", f"{throughput / m.bare_rate:.3f}", ""),
        ]
    rows += [
        ("in flight", f"{m.in_flight}", "sends at most"),
        ("peak RSS", f"{peak_rss_mb():.1f}", f"MB, engine process ({m.rss_at_start_mb:.0f} MB of it before the run)"),
    ]
    title = f"bench-broadcast: {m.recipients} recipients, " + (f"cap {rate:g} msg/s" if capped else "uncapped")
    lines = [f"{name:<18} {value:>10}  {note}".rstrip() for name, value, note in rows]
    footer = "(Telegram: the Bot API emulator in a second process; the engine, aiogram and SQLite in this one)"
    return "\n".join([title, "-" * len(footer), *lines, footer])
