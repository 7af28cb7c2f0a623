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

``--senders N``: replicas instead. A temporary PostgreSQL and Redis (started from the installed
binaries, `bot.devtools.servers`), and N sender processes, each with its own engine on the
same broadcast, sharing the token's rate limit in Redis, set off together. With a cap,
Telegram's side keeps the time of each delivery and the rate is measured there, over the
steady part (`steady_rate`): what the bot token is held to, whatever the number of senders.
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

import psutil

from bot.config import Settings

if TYPE_CHECKING:
    from aiogram import Bot

    from bot.storage import Database

FIRST_USER = 600_000_000
STARTUP_TIMEOUT = 300.0  # seconds for the emulator process to create its chats
BARE_SECONDS = 10.0
STEADY = (0.05, 0.95)  # the share of deliveries between which Telegram's side measures the rate
SENDER_TIMEOUT = 120.0  # seconds for a sender process to import, connect and say it is ready
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


async def _telegram_side(conn: Connection, recipients: int, record: bool) -> None:
    """With ``record``, the emulator keeps its request log, and the times it received each
    delivery go back to the bench at the end (a capped run: a few thousand)."""
    from bot.devtools.devserver.emulator import BotAPIEmulator

    async with BotAPIEmulator(record_requests=record) as emulator:
        for user_id in range(FIRST_USER, FIRST_USER + recipients):
            emulator.add_user(user_id)
        conn.send((emulator.base_url, emulator.token))
        await asyncio.to_thread(conn.recv)  # the bench says when it is done
        conn.send([r.time for r in emulator.requests if r.method == "sendMessage" and r.status == 200])


def _telegram_process(conn: Connection, recipients: int, record: bool = False) -> None:
    asyncio.run(_telegram_side(conn, recipients, record))


# --- the engine (this process) ------------------------------------------------------------


async def _populate(db: Database, recipients: int) -> int:
    """The subscribers (mixed languages and regions) and an approved national alert, in a few
    statements that number the users themselves, on either engine: this database is the
    bench's own, nothing else writes to it."""
    now = time.time()
    languages = " ".join(f"WHEN {i} THEN {'NULL' if lang is None else repr(lang)}" for i, lang in enumerate(LANGUAGES))
    regions = " ".join(f"WHEN {i} THEN '{region}'" for i, region in enumerate(REGIONS))
    await db.execute(
        "WITH RECURSIVE n(i) AS (SELECT CAST(?1 AS BIGINT) UNION ALL SELECT i + 1 FROM n WHERE i < ?2) "
        "INSERT INTO users (id, language, region, subscribed, created_at, seen_at) "
        f"SELECT i, CASE i % {len(LANGUAGES)} {languages} END, CASE i % {len(REGIONS)} {regions} END, 1, ?3, ?3 "
        "FROM n", (FIRST_USER, FIRST_USER + recipients - 1, now))
    await db.execute("INSERT INTO subscriptions (user_id, region) SELECT id, region FROM users")
    return int(await db.fetchval(
        "INSERT INTO broadcasts (author_id, text_kk, text_ru, regions, status, created_at) "
        "VALUES (1, ?, ?, 'national', 'approved', ?) RETURNING id",
        (TEXT_KK, TEXT_RU, now),
    ))


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
        broadcast_id = await _populate(db, recipients)
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


def run_broadcast_bench(settings: Settings, *, recipients: int, rate: float, seconds: float,
                        senders: int | None = None) -> str:
    """Runs the bench and returns its report (a table); with ``senders``, the replicas' bench
    (`run_senders_bench`)."""
    if senders is not None:
        return run_senders_bench(recipients=recipients, rate=rate, seconds=seconds, senders=senders)
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


# --- replicas: N sender processes on PostgreSQL and Redis ----------------------------------


@dataclass(frozen=True)
class SendersMeasurement:
    senders: int
    recipients: int
    delivered: int
    uncertain: int
    cancelled: bool
    elapsed_s: float
    telegram_times: list[float]  # when Telegram received each delivery (capped runs)


def steady_rate(times: list[float], steady: tuple[float, float] = STEADY) -> float:
    """Deliveries a second between two shares of them (5 % and 95 %): the first burst of
    saved-up tokens and the senders' start, and the tail or the cut, are left out."""
    times = sorted(times)
    first, last = int(len(times) * steady[0]), int(len(times) * steady[1]) - 1
    if last <= first or times[last] <= times[first]:
        raise ValueError(f"{len(times)} deliveries are too few to measure a rate: run longer (--seconds)")
    return (last - first) / (times[last] - times[first])


async def _sender_side(conn: Connection, database_url: str, redis_url: str, telegram: tuple[str, str],
                       rate: float, broadcast_id: int) -> None:
    """One replica's engine: connected, then ready, then sending when told, until the broadcast
    has ended (delivered, or cancelled by the bench); its final Progress goes back."""
    import dataclasses

    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer

    from bot.alerts.engine import DeliveryEngine
    from bot.alerts.ratelimit import SharedRate
    from bot.storage import Database
    from bot.storage.redis_store import RedisStore

    base_url, token = telegram
    db = await Database.open(database_url)
    store = await RedisStore.open(redis_url)
    bot = Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(base_url)))  # no retries: the engine's
    try:
        engine = DeliveryEngine(db, bot, rate=rate, shared_rate=SharedRate(store))
        conn.send("ready")
        await asyncio.to_thread(conn.recv)
        progress = await engine.run(broadcast_id)
        conn.send(dataclasses.asdict(progress))
    finally:
        await bot.session.close()
        await store.close()
        await db.close()


def _sender_process(conn: Connection, database_url: str, redis_url: str, telegram: tuple[str, str], rate: float,
                    broadcast_id: int) -> None:
    asyncio.run(_sender_side(conn, database_url, redis_url, telegram, rate, broadcast_id))


async def _prepare(database_url: str, recipients: int) -> int:
    """The bench's database: migrated, populated, the alert queued ('sending')."""
    from bot.alerts.engine import DeliveryEngine
    from bot.storage import Database

    db = await Database.open(database_url)
    try:
        broadcast_id = await _populate(db, recipients)
        await DeliveryEngine(db, None).enqueue(broadcast_id)  # type: ignore[arg-type]  # enqueue sends nothing
        return broadcast_id
    finally:
        await db.close()


async def _end(database_url: str, broadcast_id: int, cancel: bool) -> tuple[int, int]:
    """Cancels the broadcast (the senders then find nothing to claim and stop), or just reads
    it: (delivered, uncertain)."""
    from bot.alerts.repository import BroadcastsRepo, BroadcastStatus, DeliveryStatus
    from bot.storage import Database

    db = await Database.open(database_url)
    try:
        repo = BroadcastsRepo(db)
        if cancel:
            await repo.finish(broadcast_id, BroadcastStatus.CANCELLED, time.time())
            return 0, 0
        counts = await repo.counts(broadcast_id)
        return counts[DeliveryStatus.SENT], counts[DeliveryStatus.SENDING]
    finally:
        await db.close()


def run_senders_bench(*, recipients: int, rate: float, seconds: float, senders: int) -> str:
    """``senders`` engines in processes of their own, one PostgreSQL, one Redis, one Telegram."""
    from bot.devtools.servers import PostgresServer, RedisServer

    if senders < 1:
        raise ValueError(f"--senders must be at least 1, got {senders}")
    capped = not math.isinf(rate)
    context = mp.get_context("spawn")
    postgres, redis = PostgresServer.start(), None
    processes: list[BaseProcess] = []
    try:
        redis = RedisServer.start()
        database_url = postgres.url(postgres.create_database(prefix="bench"))
        broadcast_id = asyncio.run(_prepare(database_url, recipients))
        ours, theirs = context.Pipe()
        telegram = context.Process(target=_telegram_process, args=(theirs, recipients, capped), daemon=True)
        processes.append(telegram)
        telegram.start()
        address = _address(ours, telegram)
        pipes = []
        for _ in range(senders):
            mine, its = context.Pipe()
            sender = context.Process(target=_sender_process, daemon=True,
                                     args=(its, database_url, redis.url(), address, rate, broadcast_id))
            processes.append(sender)
            sender.start()
            pipes.append(mine)
        for mine, sender in zip(pipes, processes[1:]):
            if mine not in wait([mine, sender.sentinel], timeout=SENDER_TIMEOUT) or mine.recv() != "ready":
                raise RuntimeError(f"a sender process did not start within {SENDER_TIMEOUT:.0f} s "
                                   f"(exit code {sender.exitcode}); its traceback is above")
        started = time.perf_counter()
        for mine in pipes:
            mine.send("go")
        if capped:
            time.sleep(seconds)
            asyncio.run(_end(database_url, broadcast_id, cancel=True))
        finals = [mine.recv() for mine in pipes]
        elapsed = time.perf_counter() - started
        delivered, uncertain = asyncio.run(_end(database_url, broadcast_id, cancel=False))
        ours.send("done")
        times = ours.recv()
    finally:
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
        if redis is not None:
            redis.stop()
        postgres.stop()
    measured = SendersMeasurement(senders, recipients, delivered, uncertain,
                                  any(final["cancelled"] for final in finals), elapsed, times)
    return senders_report(measured, rate, seconds)


Row = tuple[str, str, str]  # a report's line: name, value, note


def _ending(cancelled: bool, seconds: float) -> str:
    return f"cancelled after {seconds:g} s" if cancelled else "all delivered"


def _against_cap(measured: float, rate: float) -> Row:
    return ("measured / cap", f"{measured / rate:.4f}", f"({(measured / rate - 1) * 100:+.2f} %)")


def _table(title: str, rows: list[Row], footer: str, name_width: int) -> str:
    """Both benches' reports: the title, a rule as long as the footer, a line a row (names
    left, values right-aligned), the footer saying what ran where."""
    lines = [f"{name:<{name_width}} {value:>10}  {note}".rstrip() for name, value, note in rows]
    return "\n".join([title, "-" * len(footer), *lines, footer])


def senders_report(m: SendersMeasurement, rate: float, seconds: float) -> str:
    capped = not math.isinf(rate)
    rows = [
        ("senders", f"{m.senders}", "processes, one engine each, one broadcast"),
        ("recipients", f"{m.recipients}", ""),
        ("delivered", f"{m.delivered}", _ending(m.cancelled, seconds)),
        ("uncertain", f"{m.uncertain}", "left 'sending' (0: nobody killed)"),
        ("elapsed", f"{m.elapsed_s:.2f}", "s"),
        ("throughput", f"{m.delivered / m.elapsed_s:.1f}", "msg/s, all senders, start to end"),
    ]
    if capped:
        measured = steady_rate(m.telegram_times)
        rows += [
            ("rate cap", f"{rate:g}", "msg/s, shared in Redis"),
            ("Telegram saw", f"{measured:.2f}", f"msg/s over the steady part ({STEADY[0]:.0%}-{STEADY[1]:.0%} of "
                                                 f"{len(m.telegram_times)} deliveries)"),
            _against_cap(measured, rate),
        ]
    title = (f"bench-broadcast: {m.senders} senders, {m.recipients} recipients, "
             + (f"cap {rate:g} msg/s" if capped else "uncapped"))
    footer = "(PostgreSQL and Redis started for the run; Telegram: the Bot API emulator in a process of its own)"
    return _table(title, rows, footer, name_width=16)


def report(m: Measurement, rate: float, seconds: float) -> str:
    from bot.devtools.benchmark import peak_rss_mb

    throughput = m.delivered / m.elapsed_s
    capped = not math.isinf(rate)
    rows = [
        ("recipients", f"{m.recipients}", ""),
        ("enqueue", f"{m.enqueue_s:.2f}", "s (one INSERT … SELECT, one UPDATE)"),
        ("delivered", f"{m.delivered}", _ending(m.cancelled, seconds)),
        ("elapsed", f"{m.elapsed_s:.2f}", "s"),
        ("engine throughput", f"{throughput:.1f}", "msg/s"),
        ("rate cap", f"{rate:g}" if capped else "none", "msg/s" if capped else "(--uncapped)"),
    ]
    if capped:
        rows.append(_against_cap(throughput, rate))
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
    footer = "(Telegram: the Bot API emulator in a second process; the engine, aiogram and SQLite in this one)"
    return _table(title, rows, footer, name_width=18)
