"""The inbox across a crash: `python -m bot run` (polling, as deployed) against the emulator,
killed with SIGKILL while answers are in flight, then started again. Every message is answered
exactly once: none of the unfinished ones is lost (the offset was never advanced past them),
none of the finished ones is answered twice (their ids were in the inbox)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sqlite3
from pathlib import Path

from bot.devtools.devserver.emulator import BotAPIEmulator
from tests.support.botprocess import START_TIMEOUT, all_gone, bot_env, descendants, reaped, start_bot, until

STALLED = {5001: ("ru", "Здравствуйте, служба безопасности банка. Продиктуйте код из SMS, чтобы отменить операцию"),
           5002: ("kk", "Сәлеметсіз бе, банктің қауіпсіздік қызметі. Операцияны тоқтату үшін SMS-тағы кодты айтыңыз"),
           5003: ("ru", "Мама, я попал в аварию, срочно переведи деньги на эту карту"),
           5004: ("kk", "Апа, мен апатқа түстім, мына картаға тез ақша аудар")}
QUICK = {5011: ("ru", "Вы выиграли iPhone! Оплатите доставку по ссылке"),
         5012: ("kk", "Сіз iPhone ұтып алдыңыз! Жеткізуді сілтеме арқылы төлеңіз"),
         5013: ("ru", "Привет, завтра встречаемся в 7 у кинотеатра?"),
         5014: ("kk", "Сәлем, ертең сағат 7-де кинотеатрдың жанында кездесеміз бе?")}


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
