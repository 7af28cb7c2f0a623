"""`python -m bot loadtest`: many simulated users at once, through the real stack.

With ``--replicas 1 2 3`` (`run_replica_loadtest`): the bot as deployed with replicas, N
`python -m bot run` processes in webhook mode on PostgreSQL + Redis behind the emulator's
round-robin webhook, beside SaqBol on SQLite in one process and an echo bot through the same
stack (`bot.devtools.echobot`), in one run and one table.

Without it, two processes, as in production, where Telegram is not on the bot's machine:
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
import os
import statistics
import tempfile
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import Backend, Settings

if TYPE_CHECKING:
    from bot.devtools.servers import PostgresServer, RedisServer

TOKEN = "7000000001:SaqBol-loadtest"
FIRST_USER = 500_000_000


def _texts(settings: Settings, count: int) -> list[str]:
    """A mix of scam and everyday texts from the knowledge base, as people would send them to be
    checked: those the intent reader sends to a check, a message or a story ("I already paid",
    "how are you" or a question is answered without a verdict, and the soak counts verdicts),
    whatever the bot's last verdict to that person was: a user sends several in a row, and a
    line read as a check on its own can be a follow-up after a verdict."""
    from bot.classifier.intents import IntentReader
    from bot.knowledge import BENIGN, load_knowledge

    knowledge = load_knowledge(settings.classifier.knowledge_dir)
    reader = IntentReader(knowledge)
    contexts = [None, BENIGN, *knowledge.schemes]
    pool = [ex.text for _, ex in knowledge.labelled_examples()
            if all(reader.read(ex.text, previous).intent in ("message", "story") for previous in contexts)]
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


# --- replicas: `python -m bot loadtest --replicas 1 2 3` -----------------------------------

ECHO_COMMAND = ("-m", "bot.devtools.echobot")
START_TIMEOUT = 300.0  # the replicas build their classifiers side by side on a small machine


@dataclass(frozen=True)
class StackResult:
    """One configuration's run: its label, how many bot processes, and the figures (or why none)."""

    label: str
    processes: int
    updates: int = 0
    elapsed: float = 0.0
    latencies: tuple[float, ...] = ()
    failed: str | None = None
    cpu: tuple[float, float, float] = (0.0, 0.0, 0.0)  # CPU seconds: the bot processes, this one, the servers

    @property
    def per_second(self) -> float:
        return self.updates / self.elapsed if self.elapsed else 0.0

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0

    def line(self) -> str:
        if self.failed:
            return f"{self.label:<37}{self.processes:>3}   not run: {self.failed}"
        per_update = "".join(f"{seconds / self.updates * 1000:>6.1f}" for seconds in self.cpu)
        return (f"{self.label:<37}{self.processes:>3}{self.per_second:>12.1f}{self.percentile(0.5) * 1000:>10.1f}"
                f"{self.percentile(0.95) * 1000:>10.1f}{max(self.latencies) * 1000:>10.1f}   {per_update}")


def _own_cpu_seconds() -> float:
    """This process alone (its children are the bots, counted apart)."""
    times = os.times()
    return times.user + times.system


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes and all their descendants, so far."""
    import psutil

    total = 0.0
    for pid in pids:
        try:
            root = psutil.Process(pid)
            family = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            continue
        for process in family:
            try:
                times = process.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += times.user + times.system
    return total


def _server_pids(servers: list[PostgresServer | RedisServer]) -> list[int]:
    """The PostgreSQL postmaster (its backends are its children) and redis-server processes."""
    import psutil

    from bot.devtools.servers import RedisServer

    pids = [server.process.pid for server in servers if isinstance(server, RedisServer)]
    folders = [str(server.folder) for server in servers if not isinstance(server, RedisServer)]
    for process in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if folders and any(f"{folder}/data" in cmdline for folder in folders) and "pg_ctl" not in cmdline:
            pids.append(process.pid)
    return pids


async def _measure_stack(label: str, count: int, *, folder: Path, database: str, redis_url: str | None,
                         users: int, messages: int, texts: list[str], backend: Backend, env: dict[str, str],
                         command: tuple[str, ...] = ("-m", "bot", "run"), server_pids: list[int] = ()) -> StackResult:
    """``count`` processes behind the emulator's round-robin webhook; the users (kk and ru in
    turn) each send their messages one after the other, waiting for each answer. A warm-up round
    (two texts per process, not counted) goes first: each process's first answers load what it
    loads lazily."""
    from bot.devtools.devserver.emulator import BotAPIEmulator
    from bot.devtools.running import bot_replicas, replica_set

    async with BotAPIEmulator(record_requests=False) as emulator:
        replicas = replica_set(count, api_url=emulator.base_url, folder=folder, database=database,
                               redis_url=redis_url, token=TOKEN, backend=backend, extra_env=env, command=command)
        emulator.webhook_replicas = replicas.webhook_urls
        async with bot_replicas(replicas, timeout=START_TIMEOUT):
            await emulator.wait_until(lambda: emulator.webhook is not None, timeout=60)
            warm_up = FIRST_USER + users
            await asyncio.gather(*(_user(emulator, warm_up + n, texts[n:n + 1], []) for n in range(2 * count)))
            for n in range(users):
                emulator.add_user(FIRST_USER + n, language_code="ru" if n % 2 else "kk")
            latencies: list[float] = []
            bots = [replica.process.pid for replica in replicas.replicas if replica.process is not None]
            cpu_before = (_cpu_seconds(bots), _own_cpu_seconds(), _cpu_seconds(list(server_pids)))
            started = time.perf_counter()
            await asyncio.gather(*(_user(emulator, FIRST_USER + n, texts[n * messages:(n + 1) * messages], latencies)
                                   for n in range(users)))
            elapsed = time.perf_counter() - started
            cpu_after = (_cpu_seconds(bots), _own_cpu_seconds(), _cpu_seconds(list(server_pids)))
    cpu = tuple(after - before for before, after in zip(cpu_before, cpu_after, strict=True))
    return StackResult(label, count, len(latencies), elapsed, tuple(latencies), cpu=cpu)  # type: ignore[arg-type]


def run_replica_loadtest(settings: Settings, *, replicas: list[int], users: int, messages: int,
                         backend: Backend = "lexical", postgres: PostgresServer | None = None,
                         redis: RedisServer | None = None) -> str:
    """One run, one table: an echo bot through the same stack (the ceiling), SaqBol on SQLite in
    one process, then SaqBol on PostgreSQL + Redis with each number of ``replicas``. Every
    configuration runs as real processes (`python -m bot run` in webhook mode) behind the
    emulator's round-robin webhook, with a fresh database. PostgreSQL and Redis are started in a
    temporary folder (`bot.devtools.servers`) unless given; where they are not installed, their
    rows say so and the others still run."""
    from bot.devtools.servers import PostgresServer, RedisServer, ServerMissing

    texts = _texts(settings, users * messages + 2 * max([1, *replicas]))
    env = {"CACHE_DIR": str(settings.classifier.cache_dir), "MODELS_DIR": str(settings.classifier.models_dir),
           "THROTTLE_MESSAGES": str(max(settings.telegram.throttle_messages, messages + 1)), "LOG_LEVEL": "WARNING"}
    results: list[StackResult] = []
    own: list[PostgresServer | RedisServer] = []
    servers_missing: str | None = None
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)

        def measure(label: str, count: int, **kwargs: object) -> None:
            run = folder / f"run-{len(results)}"
            try:
                results.append(asyncio.run(_measure_stack(label, count, folder=run, users=users, messages=messages,
                                                          texts=texts, backend=backend, env=env, **kwargs)))
            except (RuntimeError, TimeoutError) as exc:
                results.append(StackResult(label, count, failed=str(exc).splitlines()[0]))

        measure("echo bot (aiogram, HTTP, emulator)", 1, database=f"sqlite:///{folder / 'echo.db'}", redis_url=None,
                command=ECHO_COMMAND)
        measure("SaqBol, SQLite", 1, database=f"sqlite:///{folder / 'saqbol.db'}", redis_url=None)
        try:
            if postgres is None:
                postgres = PostgresServer.start()
                own.append(postgres)
            if redis is None:
                redis = RedisServer.start()
                own.append(redis)
        except ServerMissing as exc:
            servers_missing = str(exc)
        try:
            for count in replicas:
                label = "SaqBol, PostgreSQL + Redis"
                if postgres is None or redis is None:
                    results.append(StackResult(label, count, failed=servers_missing or "no servers"))
                    continue
                database = postgres.create_database(prefix="loadtest")
                redis.flush(0)
                try:
                    measure(label, count, database=postgres.url(database), redis_url=redis.url(0),
                            server_pids=_server_pids([postgres, redis]))
                finally:
                    postgres.drop_database(database)
        finally:
            for server in own:
                server.stop()
    return _replica_report(users, messages, backend, results)


def _replica_report(users: int, messages: int, backend: str, results: list[StackResult]) -> str:
    return "\n".join([
        f"loadtest: {users} users x {messages} messages = {users * messages} updates per row, backend {backend}, "
        f"{os.cpu_count()} CPU cores shared by everything below",
        f"{'':<37}{'':>3}{'':>12}{'':>10}{'':>10}{'':>10}   CPU ms per update",
        f"{'stack':<37}{'proc':>3}{'updates/s':>12}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}   {'bots':>6}"
        f"{'emu':>6}{'pg+rd':>6}",
        *(result.line() for result in results),
        "(webhook mode: the emulator POSTs round-robin to the processes, up to 40 at once and one per chat;",
        " latency: the update queued -> the bot's answer received, queueing included (users x messages in flight);",
        " CPU: the bot processes with their classifier children / this process (emulator and users) / the",
        " PostgreSQL and Redis servers, during the measured part)",
    ])
