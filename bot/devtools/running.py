"""The bot against a local Bot API emulator: the one way the development tools start it.

In this process (`running_bot`: polling), or as real `python -m bot run` processes in webhook
mode behind the emulator's round-robin webhook (`bot_replicas`: several replicas, as behind a
load balancer; the replica tests and `python -m bot loadtest --replicas N`).

The demo run mode (`bot.devtools.demo_mode`), the load test (`bot.devtools.loadtest`) and the
end-to-end tests (`tests/support/livebot.py`) all go through `running_bot`, so what they exercise
is what `python -m bot run` runs against Telegram: the same `poll` (the offset advanced only
after handling, the handlers in flight drained on stop), the alert engine with its own Bot, the
command menu. Three copies of this used to live in those three places and had drifted apart
(the load test ran without the alert engine, the tests without the command menu).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from aiogram import Bot, Dispatcher

from bot.app.dispatcher import Deps, broadcasting, create_bot, noticing, set_commands
from bot.app.runner import poll, until_stopped
from bot.config import Settings

log = logging.getLogger(__name__)

EMULATOR_TOKEN = "7000000001:SaqBol-local-emulator-not-for-telegram"
"""A token of the shape the emulator accepts (its default bot id, 7000000001)."""


@dataclass
class RunningBot:
    bot: Bot
    polling: asyncio.Task[None]

    async def until(self, stop: asyncio.Event) -> None:
        """Until ``stop`` is set, or until polling fails (then its exception is raised here)."""
        await until_stopped(stop, self.polling)


@contextlib.asynccontextmanager
async def running_bot(settings: Settings, deps: Deps, dp: Dispatcher, api_url: str,
                      token: str = EMULATOR_TOKEN) -> AsyncIterator[RunningBot]:
    """``dp`` polling the Bot API at ``api_url`` (an emulator, in this process or another) with
    ``deps`` open by the caller. On exit polling stops, the handlers in flight get their grace,
    then the alert engine writes its sends in flight and stops."""
    bot = create_bot(settings, token, api_url=api_url)
    try:
        async with broadcasting(settings, deps, dp, bot, token, api_url), noticing(deps, bot):
            await set_commands(bot, deps.i18n)
            stop = asyncio.Event()
            polling = asyncio.create_task(poll(bot, dp, deps.inbox, stop), name="polling the emulator")
            try:
                yield RunningBot(bot, polling)
            finally:
                stop.set()
                with contextlib.suppress(asyncio.CancelledError):
                    await polling
                log.info("stopping the alert engine")
    finally:
        await bot.session.close()


# --- bot processes behind the emulator's webhook -------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
PUBLIC_WEBHOOK_URL = "https://saqbol.example/telegram/webhook"
"""What the replicas register with setWebhook: the load balancer's address, the same for all
(the emulator then POSTs to each replica's own URL, as the balancer would)."""
REPLICA_SECRET = "saqbol-replicas-secret"
START_TIMEOUT = 240.0  # seconds for a replica to be ready: the classifier process builds its model first
STOP_TIMEOUT = 20.0  # SIGTERM gives handlers 5 s and the alert engine 5 s; then it is killed
# Variables of the caller's environment a replica must not inherit: each gets its own.
OWN_VARIABLES = frozenset({"BOT_TOKEN", "TELEGRAM_API_URL", "WEBHOOK_URL", "WEBHOOK_SECRET", "WEBHOOK_HOST",
                           "WEBHOOK_PORT", "DATABASE_URL", "DATABASE_PATH", "REDIS_URL", "HEARTBEAT_PATH",
                           "ADMIN_IDS", "LOG_LEVEL", "BACKEND", "OCR_TESSDATA"})


def free_ports(count: int) -> list[int]:
    """``count`` distinct TCP ports free right now on 127.0.0.1."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


@dataclass
class Replica:
    """One `python -m bot run` process serving its webhook on 127.0.0.1:``port``."""

    index: int
    port: int
    log_path: Path
    process: asyncio.subprocess.Process | None = field(default=None, repr=False)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def webhook_url(self) -> str:
        """Where the load balancer (the emulator) posts this replica's share of the updates."""
        return f"{self.base_url}/telegram/webhook"

    def log_tail(self, chars: int = 3000) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return text[-chars:]


@dataclass
class ReplicaSet:
    """Bot processes that share one database (and Redis), each with its own port and log."""

    replicas: list[Replica]
    env: dict[str, str]
    command: tuple[str, ...] = ("-m", "bot", "run")  # after the interpreter; the echo bot has its own

    @property
    def webhook_urls(self) -> list[str]:
        """The replicas' own URLs: the emulator's ``webhook_replicas``."""
        return [replica.webhook_url for replica in self.replicas]

    async def start(self) -> None:
        for replica in self.replicas:
            env = {**self.env, "WEBHOOK_PORT": str(replica.port),
                   "HEARTBEAT_PATH": str(replica.log_path.with_suffix(".heartbeat"))}
            with replica.log_path.open("ab") as log_file:
                replica.process = await asyncio.create_subprocess_exec(
                    sys.executable, *self.command, cwd=ROOT, env=env, stdout=log_file, stderr=log_file)

    async def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        """Until every replica answers 200 on /readyz (its database, Redis and classifier answer);
        a replica that exits first raises with the end of its log."""
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http:
            for replica in self.replicas:
                while not await _ready(http, replica):
                    assert replica.process is not None
                    if replica.process.returncode is not None:
                        raise RuntimeError(f"bot replica {replica.index} exited with {replica.process.returncode} "
                                           f"before it was ready; its log ends:\n{replica.log_tail()}")
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"bot replica {replica.index} not ready after {timeout:.0f} s; its log "
                                           f"ends:\n{replica.log_tail()}")
                    await asyncio.sleep(0.2)

    async def stop(self, timeout: float = STOP_TIMEOUT) -> list[int | None]:
        """SIGTERM to every replica (a clean stop: handlers in flight finish), then kill what is
        left after ``timeout`` seconds. Returns their exit codes."""
        running = [r.process for r in self.replicas if r.process is not None and r.process.returncode is None]
        for process in running:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await asyncio.gather(*(process.wait() for process in running))
        for process in running:
            if process.returncode is None:
                log.warning("bot replica pid %d did not stop within %.0f s: killed", process.pid, timeout)
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
        return [r.process.returncode if r.process else None for r in self.replicas]


async def _ready(http: aiohttp.ClientSession, replica: Replica) -> bool:
    with contextlib.suppress(aiohttp.ClientError, TimeoutError):
        async with http.get(f"{replica.base_url}/readyz") as response:
            return response.status == 200
    return False


def replica_set(count: int, *, api_url: str, folder: Path, database: str, redis_url: str | None = None,
                token: str = EMULATOR_TOKEN, backend: str = "lexical", ports: Sequence[int] | None = None,
                extra_env: Mapping[str, str] | None = None,
                command: Sequence[str] = ("-m", "bot", "run")) -> ReplicaSet:
    """``count`` replicas (not started) of `python -m bot run` in webhook mode against the Bot API
    at ``api_url`` (an emulator whose ``webhook_replicas`` are then set to `ReplicaSet.webhook_urls`): ``database`` is a DATABASE_URL (``sqlite:///…`` or ``postgresql://…``),
    ``redis_url`` the shared Redis (None: each process keeps its own state, fine for one). Logs,
    heartbeats and the OCR data folder (left empty: no OCR readers are started) go to
    ``folder``. ``extra_env``: more settings (ADMIN_IDS, THROTTLE_MESSAGES…)."""
    folder.mkdir(parents=True, exist_ok=True)
    ports = list(ports) if ports is not None else free_ports(count)
    if len(ports) != count:
        raise ValueError(f"{count} replicas need {count} ports, not {len(ports)}")
    env = {key: value for key, value in os.environ.items() if key not in OWN_VARIABLES}
    sqlite_file = database.removeprefix("sqlite:///") if database.startswith("sqlite:///") else None
    env["DATABASE_PATH"] = sqlite_file or str(folder / "unused.db")  # never the project's data/ by default
    env.update(BOT_TOKEN=token, TELEGRAM_API_URL=api_url, BACKEND=backend, DATABASE_URL=database,
               WEBHOOK_URL=PUBLIC_WEBHOOK_URL, WEBHOOK_SECRET=REPLICA_SECRET, WEBHOOK_HOST="127.0.0.1",
               OCR_TESSDATA=str(folder), LOG_LEVEL="INFO", PYTHONUNBUFFERED="1")
    if redis_url:
        env["REDIS_URL"] = redis_url
    env.update(extra_env or {})
    return ReplicaSet([Replica(n, port, folder / f"replica-{n}.log") for n, port in enumerate(ports)], env,
                      tuple(command))


@contextlib.asynccontextmanager
async def bot_replicas(replicas: ReplicaSet, timeout: float = START_TIMEOUT) -> AsyncIterator[ReplicaSet]:
    """The replicas started and ready (all at once: they build their classifiers side by side),
    stopped with SIGTERM on exit, killed if they hang."""
    try:
        await replicas.start()
        await replicas.wait_ready(timeout)
        yield replicas
    finally:
        await replicas.stop()
