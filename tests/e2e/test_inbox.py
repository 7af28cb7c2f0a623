"""The inbox across a crash: `python -m bot run` (polling, as deployed) against the emulator,
killed with SIGKILL while answers are in flight, then started again. Every message is answered
exactly once: none of the unfinished ones is lost (the offset was never advanced past them),
none of the finished ones is answered twice (their ids were in the inbox)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import psutil

from bot.devserver.emulator import BotAPIEmulator

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 240.0  # the classifier process builds its model first; slow on a busy machine
STALLED = {5001: ("ru", "Здравствуйте, служба безопасности банка. Продиктуйте код из SMS, чтобы отменить операцию"),
           5002: ("kk", "Сәлеметсіз бе, банктің қауіпсіздік қызметі. Операцияны тоқтату үшін SMS-тағы кодты айтыңыз"),
           5003: ("ru", "Мама, я попал в аварию, срочно переведи деньги на эту карту"),
           5004: ("kk", "Апа, мен апатқа түстім, мына картаға тез ақша аудар")}
QUICK = {5011: ("ru", "Вы выиграли iPhone! Оплатите доставку по ссылке"),
         5012: ("kk", "Сіз iPhone ұтып алдыңыз! Жеткізуді сілтеме арқылы төлеңіз"),
         5013: ("ru", "Привет, завтра встречаемся в 7 у кинотеатра?"),
         5014: ("kk", "Сәлем, ертең сағат 7-де кинотеатрдың жанында кездесеміз бе?")}


def bot_env(tmp_path: Path, emulator: BotAPIEmulator, **extra: str) -> dict[str, str]:
    """`python -m bot run` in polling mode against the emulator, everything in ``tmp_path``."""
    env = {key: value for key, value in os.environ.items()
           if key not in {"WEBHOOK_URL", "WEBHOOK_SECRET", "ADMIN_IDS", "LOG_LEVEL"}}
    env.update(BOT_TOKEN=emulator.token, TELEGRAM_API_URL=emulator.base_url, BACKEND="lexical",
               DATABASE_PATH=str(tmp_path / "saqbol.db"), HEARTBEAT_PATH=str(tmp_path / "heartbeat"),
               OCR_TESSDATA=str(tmp_path), LOG_LEVEL="INFO", **extra)  # no Tesseract models there: no readers
    return env


async def start_bot(env: dict[str, str], log_path: Path) -> asyncio.subprocess.Process:
    log = log_path.open("ab")
    try:
        return await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "run", cwd=ROOT, env=env,
                                                    stdout=log, stderr=log)
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


def handled_ids(db: Path) -> int:
    try:
        with contextlib.closing(sqlite3.connect(db, timeout=5)) as conn:
            return conn.execute("SELECT count(*) FROM handled_updates").fetchone()[0]
    except sqlite3.OperationalError:  # not created yet
        return 0


async def test_a_bot_killed_mid_answer_answers_every_message_exactly_once_after_a_restart(tmp_path):
    async with BotAPIEmulator() as emulator:
        for user_id, (language, _) in (STALLED | QUICK).items():
            emulator.add_user(user_id, language_code=language)
        env = bot_env(tmp_path, emulator)
        async with reaped(await start_bot(env, tmp_path / "first.log")) as first:
            await emulator.wait_until(lambda: emulator.is_polling, timeout=START_TIMEOUT)
            for user_id in STALLED:  # their answers are held on the way to Telegram
                emulator.delay("sendMessage", 30.0, chat_id=user_id, in_transit=True)
            for user_id, (_, text) in (STALLED | QUICK).items():  # stalled first: the lowest update ids
                emulator.send_text(user_id, text)

            await emulator.wait_until(
                lambda: all(len(emulator.bot_messages(u)) == 1 for u in QUICK) and emulator.in_transit == len(STALLED),
                timeout=60)
            await until(lambda: handled_ids(tmp_path / "saqbol.db") == len(QUICK), 10, "quick answers recorded")
            # Answered or not, nothing was confirmed past the oldest unfinished update.
            assert emulator.pending_updates == len(STALLED) + len(QUICK)
            children = descendants(first.pid)
            assert children, "the classifier runs in a child process"

            first.send_signal(signal.SIGKILL)
            await first.wait()
            orphans = await all_gone(children, timeout=5)
            assert not orphans, f"left running after kill -9 of the bot: {[p.cmdline() for p in orphans]}"

        assert all(len(emulator.bot_messages(u)) == 0 for u in STALLED)  # their answers never arrived
        async with reaped(await start_bot(env, tmp_path / "second.log")) as second:
            await emulator.wait_until(
                lambda: all(len(emulator.bot_messages(u)) >= 1 for u in STALLED | QUICK), timeout=START_TIMEOUT)
            await emulator.wait_until(lambda: emulator.pending_updates == 0, timeout=30)
            await asyncio.sleep(0.5)  # a second answer, if one were coming, would be on its way

            received = {user_id: len(emulator.bot_messages(user_id)) for user_id in STALLED | QUICK}
            assert received == dict.fromkeys(STALLED | QUICK, 1)
            for user_id in STALLED:
                assert emulator.bot_messages(user_id)[0]["text"].startswith(("🔴", "🟠"))
            second.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(second.wait(), 15) == 0
        log = (tmp_path / "second.log").read_text()
        assert f"{len(QUICK)} updates answered before the restart came again: not answered twice" in log
