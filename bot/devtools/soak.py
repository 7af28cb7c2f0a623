"""`python -m bot soak`: many users for minutes, Telegram misbehaving, and one kill -9 of the bot.

Three processes, as in production plus a hand on the power switch:
- the *Telegram side* (a spawned child): the local Bot API emulator with N simulated users and
  random faults on a share of all Bot API calls (429 with retry_after, 502, the connection
  dropped before or after the call is carried out, delays up to 2 s). Each user sends a
  message, waits for its answer, pauses like a person, sends the next one.
- the *bot*: ``python -m bot run`` in polling mode against the emulator, exactly as deployed.
- this process: it starts both, kills the bot with SIGKILL half-way, starts it again at once,
  and at the end stops it with SIGTERM as ``docker stop`` would.

It prints the messages sent, answered, duplicated and lost. A message is *answered* when the
bot sent that user a verdict (a message with its buttons) for it; *duplicated* counts answers
beyond one per message (a crash between the answer and its record, or a retry after a
response lost on the way: Telegram carried out both); *lost* is messages never answered.
Users write one message at a time and wait for an answer, so the answers that arrive between
two messages of a user belong to the first of them (a late duplicate of the previous message
arriving after the user wrote again is the one case this counts wrong, and it needs a
retry slower than the user's pause).
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing as mp
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from bot.config import ROOT, Settings
from bot.devtools.loadtest import FIRST_USER, _texts

ANSWER_TIMEOUT = 240.0  # seconds a user waits for one answer (a restart included) before giving up
THINK = (0.5, 1.5)  # seconds a user pauses between an answer and the next message
SETTLE = 3.0  # seconds to wait after the last answer for late duplicates
START_TIMEOUT = 600.0  # seconds for the bot's first getUpdates (the classifier is built first)


@dataclass
class SoakResult:
    users: int
    seconds: float
    fault_rate: float
    sent: int = 0
    answered: int = 0
    duplicated: int = 0
    lost: int = 0
    latencies: list[float] = field(default_factory=list)
    faults: dict[str, int] = field(default_factory=dict)
    killed_at: float | None = None
    orphans_after_kill: int | None = None
    stop_code: int | None = None
    stop_s: float | None = None
    bot_exits: int = 0  # exits of the bot nobody asked for (it was started again)

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.answered == self.sent and self.sent > 0

    def report(self) -> str:
        ordered = sorted(self.latencies) or [0.0]
        p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
        faults = ", ".join(f"{kind} {count}" for kind, count in sorted(self.faults.items())) or "none"
        lines = [
            f"soak: {self.users} users for {self.seconds / 60:.1f} min, random faults on {self.fault_rate:.0%} "
            "of the bot's Bot API calls" + (", one kill -9 of the bot" if self.killed_at is not None else ""),
            f"messages sent   {self.sent:7d}",
            f"answered        {self.answered:7d}",
            f"duplicated      {self.duplicated:7d}   (a second answer to one message)",
            f"lost            {self.lost:7d}",
            f"answer latency  p50 {statistics.median(ordered):.2f} s, p95 {p95:.2f} s, max {ordered[-1]:.2f} s",
            f"faults injected {faults}",
        ]
        if self.killed_at is not None:
            lines.append(f"kill -9 of the bot at {self.killed_at:.0f} s, started again at once; its child processes "
                         f"still running 5 s after the kill: {self.orphans_after_kill}")
        if self.bot_exits:
            lines.append(f"the bot exited {self.bot_exits} times by itself (started again)")
        if self.stop_code is not None:
            lines.append(f"SIGTERM at the end: exit code {self.stop_code} after {self.stop_s:.1f} s")
        lines.append("verdict: " + ("OK, answered = sent, nothing lost" if self.ok else "FAILED: messages lost"))
        return "\n".join(lines)


# --- the Telegram side (a child process) -------------------------------------------------------

def _answers(chat: Any) -> int:
    """The bot's verdicts in a chat: its messages that carry buttons (a verdict's last part, a
    FAQ answer); error and flood notices carry none."""
    return sum(1 for message in chat.sent if message.get("reply_markup"))


async def _user(emulator: Any, user_id: int, texts: list[str], deadline: float, seed: int,
                marks: dict[int, list[int]], latencies: list[float]) -> None:
    """Sends, waits for an answer, thinks, again. ``marks[user_id]`` gets the chat's answer count
    at each send: the answers that arrive between two sends are the first message's."""
    rng = random.Random(seed)
    chat = emulator.chat_state(user_id)
    while time.monotonic() < deadline:
        before = _answers(chat)
        marks[user_id].append(before)
        emulator.send_text(user_id, texts[(user_id + len(marks[user_id])) % len(texts)])
        started = time.monotonic()
        if await chat.changed.wait_for(lambda: _answers(chat) > before, ANSWER_TIMEOUT):
            latencies.append(time.monotonic() - started)
        await asyncio.sleep(rng.uniform(*THINK))


def _per_message(marks: list[int], final: int) -> list[int]:
    """How many answers each message got: those that came between its send and the next one."""
    bounds = [*marks, final]
    return [bounds[n + 1] - bounds[n] for n in range(len(marks))]


async def _telegram_side(conn: Connection, users: int, seconds: float, rate: float, seed: int,
                         texts: list[str]) -> None:
    from bot.devtools.devserver.emulator import BotAPIEmulator

    async with BotAPIEmulator(record_requests=False) as emulator:
        user_ids = [FIRST_USER + n for n in range(users)]
        for n, user_id in enumerate(user_ids):
            emulator.add_user(user_id, language_code="ru" if n % 2 else "kk")
        conn.send((emulator.base_url, emulator.token))
        await emulator.wait_until(lambda: emulator.is_polling, timeout=START_TIMEOUT)
        plan = emulator.chaos(rate, seed=seed) if rate > 0 else None
        conn.send("started")
        marks: dict[int, list[int]] = {user_id: [] for user_id in user_ids}
        latencies: list[float] = []
        deadline = time.monotonic() + seconds
        await asyncio.gather(*(_user(emulator, user_id, texts, deadline, seed + user_id, marks, latencies)
                               for user_id in user_ids))

        def all_answered() -> bool:  # the last message of each user has its answer
            return all(not marks[u] or _answers(emulator.chat_state(u)) > marks[u][-1] for u in user_ids)

        with contextlib.suppress(TimeoutError):
            await emulator.wait_until(all_answered, timeout=ANSWER_TIMEOUT)
        await asyncio.sleep(SETTLE)
        counts = [n for u in user_ids for n in _per_message(marks[u], _answers(emulator.chat_state(u)))]
        conn.send({
            "sent": len(counts),
            "answered": sum(1 for n in counts if n >= 1),
            "duplicated": sum(n - 1 for n in counts if n > 1),
            "lost": sum(1 for n in counts if n == 0),
            "latencies": latencies,
            "faults": dict(plan.counts) if plan else {},
        })
        conn.recv()  # the bot has stopped: the emulator may go


def _telegram_process(conn: Connection, users: int, seconds: float, rate: float, seed: int, texts: list[str]) -> None:
    asyncio.run(_telegram_side(conn, users, seconds, rate, seed, texts))


# --- the bot, and the hand on its power switch ------------------------------------------------

class _Bot:
    """``python -m bot run`` against the emulator, its output appended to ``log``."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=ROOT, env=self.env,
                                            stdout=out, stderr=subprocess.STDOUT)

    def children(self) -> list[Any]:
        import psutil

        assert self.process is not None
        with contextlib.suppress(psutil.NoSuchProcess):
            return psutil.Process(self.process.pid).children(recursive=True)
        return []

    def kill(self) -> int:
        """SIGKILL; returns how many of its child processes are still running 5 s later."""
        import psutil

        assert self.process is not None
        children = self.children()
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        deadline = time.monotonic() + 5.0
        while True:
            alive = [c for c in children if _running(c, psutil)]
            if not alive or time.monotonic() > deadline:
                return len(alive)
            time.sleep(0.1)

    def stop(self, timeout: float = 30.0) -> tuple[int, float]:
        """SIGTERM, as ``docker stop``: the exit code and the seconds it took."""
        assert self.process is not None
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        return code, time.monotonic() - started

    def exited(self) -> bool:
        return self.process is not None and self.process.poll() is not None


def _running(process: Any, psutil: Any) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _bot_env(settings: Settings, base_url: str, token: str, tmp: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in {"WEBHOOK_URL", "WEBHOOK_SECRET"}}
    env.update(BOT_TOKEN=token, TELEGRAM_API_URL=base_url, BACKEND=settings.classifier.backend,
               DATABASE_PATH=str(tmp / "soak.db"), HEARTBEAT_PATH=str(tmp / "heartbeat"),
               THROTTLE_MESSAGES="1000",  # flood control is not what is measured here
               OCR_TESSDATA=str(tmp), LOG_LEVEL=os.environ.get("LOG_LEVEL", "WARNING"))  # texts only: no readers
    return env


def _wait_for(conn: Connection, bot: _Bot, result: SoakResult, until: float | None = None) -> Any:
    """The next message from the Telegram side (None when ``until`` passes first); a bot that
    exited by itself meanwhile is counted and started again."""
    while until is None or time.monotonic() < until:
        step = 0.5 if until is None else max(0.0, min(0.5, until - time.monotonic()))
        if conn.poll(step):
            return conn.recv()
        if bot.exited():
            result.bot_exits += 1
            bot.start()
    return None


def run_soak(settings: Settings, *, users: int, minutes: float, fault_rate: float = 0.1, kill: bool = True,
             seed: int = 1, log_path: Path | None = None) -> SoakResult:
    seconds = minutes * 60
    result = SoakResult(users, seconds, fault_rate)
    texts = _texts(settings, 200)
    context = mp.get_context("spawn")
    with tempfile.TemporaryDirectory(prefix="saqbol-soak-") as tmp:
        ours, theirs = context.Pipe()
        telegram = context.Process(target=_telegram_process, args=(theirs, users, seconds, fault_rate, seed, texts),
                                   daemon=True)
        telegram.start()
        bot: _Bot | None = None
        try:
            base_url, token = ours.recv()
            bot = _Bot(_bot_env(settings, base_url, token, Path(tmp)), log_path or Path(tmp) / "bot.log")
            bot.start()
            while _wait_for(ours, bot, result) != "started":
                pass
            began = time.monotonic()
            outcome = None
            if kill:
                outcome = _wait_for(ours, bot, result, until=began + seconds / 2)
                if outcome is None:
                    result.killed_at = time.monotonic() - began
                    result.orphans_after_kill = bot.kill()
                    bot.start()
            while not isinstance(outcome, dict):
                outcome = _wait_for(ours, bot, result)
            for key in ("sent", "answered", "duplicated", "lost", "latencies", "faults"):
                setattr(result, key, outcome[key])
            result.stop_code, result.stop_s = bot.stop()
            ours.send("done")
        finally:
            if bot is not None and not bot.exited() and bot.process is not None:
                bot.process.kill()
                bot.process.wait()
            telegram.join(timeout=15)
            if telegram.is_alive():
                telegram.kill()
            if log_path is None and not result.ok and bot is not None and bot.log.exists():
                tail = bot.log.read_text(errors="replace").splitlines()[-40:]
                print("the bot's last log lines:\n" + "\n".join(tail), file=sys.stderr)
    return result

