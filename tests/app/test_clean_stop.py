"""`docker stop` (SIGTERM) or Ctrl+C (SIGINT) on the deployed bot: `python -m bot run` (the demo,
no BOT_TOKEN) gets the signal while it answers users and resumes a police alert. It must exit 0 within docker's 10 s, leave no
child process running (classifier, OCR readers, the multiprocessing resource tracker), and leave
no alert delivery 'sending' (sends in flight are finished and recorded, the rest wait)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sqlite3
import time
from pathlib import Path

import aiohttp
import pytest

from bot.alerts import DeliveryEngine
from bot.storage import Database
from tests.support.botprocess import START_TIMEOUT, all_gone, bot_env_demo, descendants, reaped, start_bot, until
from tests.app.test_run_modes import free_port

RECIPIENTS = 600  # at 25 alerts a second: still sending when the stop comes
USER_RU, USER_KK = 31001, 31002
SCAM_RU = "Здравствуйте, служба безопасности банка. Продиктуйте код из SMS, чтобы отменить операцию"
SCAM_KK = "Сәлеметсіз бе, банктің қауіпсіздік қызметі. Операцияны тоқтату үшін SMS-тағы кодты айтыңыз"


async def prepare_alert(db_path: Path) -> int:
    """A national alert approved and queued for RECIPIENTS subscribers, as a crash would leave it:
    the bot resumes it as soon as it starts."""
    db = await Database.open(db_path)
    try:
        now = time.time()
        await db.conn.executemany(
            "INSERT INTO users (id, language, region, subscribed, created_at, seen_at) VALUES (?, ?, 'astana', 1, ?, ?)",
            [(900_000 + n, "kk" if n % 2 else "ru", now, now) for n in range(RECIPIENTS)])
        await db.conn.executemany("INSERT INTO subscriptions (user_id, region) VALUES (?, 'national')",
                                  [(900_000 + n,) for n in range(RECIPIENTS)])
        async with db.conn.execute(
            "INSERT INTO broadcasts (author_id, text_kk, text_ru, regions, status, created_at) "
            "VALUES (1, 'Назар аударыңыз!', 'Внимание!', 'national', 'approved', ?)", (now,)) as cur:
            broadcast_id = cur.lastrowid
        await DeliveryEngine(db, None).enqueue(broadcast_id)  # type: ignore[arg-type]  # enqueue sends nothing
        return broadcast_id
    finally:
        await db.close()


def delivery_counts(db_path: Path) -> dict[str, int]:
    with contextlib.closing(sqlite3.connect(db_path, timeout=5)) as conn:
        return dict(conn.execute("SELECT status, count(*) FROM deliveries GROUP BY status").fetchall())


async def answer_via_page(http: aiohttp.ClientSession, user_id: int, text: str, language: str) -> str:
    async with http.post("/api/send", json={"user_id": user_id, "text": text, "language_code": language}) as sent:
        assert sent.status == 200
    since, deadline = 0, time.monotonic() + 60
    while time.monotonic() < deadline:
        async with http.get("/api/messages", params={"user_id": user_id, "since": since}) as got:
            changes = await got.json()
        since = changes["version"]
        for message in changes["messages"]:
            if message.get("text", "").startswith(("🔴", "🟠")):
                return message["text"]
    raise TimeoutError(f"no verdict for user {user_id}")


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_a_stop_signal_ends_the_bot_within_ten_seconds_leaving_no_process_and_no_sending_alert(
        tmp_path, stop_signal):
    port = free_port()
    db_path = tmp_path / "saqbol.db"
    await prepare_alert(db_path)
    env = bot_env_demo(tmp_path, port)
    async with reaped(await start_bot(env, tmp_path / "bot.log")) as bot, \
            aiohttp.ClientSession(f"http://127.0.0.1:{port}") as http:
        deadline = time.monotonic() + START_TIMEOUT
        while True:  # the page comes up once the classifier process is ready
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get("/") as page:
                    if page.status == 200:
                        break
            assert bot.returncode is None and time.monotonic() < deadline, "the demo never came up"
            await asyncio.sleep(0.5)
        verdicts = await asyncio.gather(answer_via_page(http, USER_RU, SCAM_RU, "ru"),
                                        answer_via_page(http, USER_KK, SCAM_KK, "kk"))
        assert "банка" in verdicts[0] and "банк" in verdicts[1]
        await until(lambda: sum(n for s, n in delivery_counts(db_path).items() if s not in ("pending", "sending")) > 0,
                    30, "the alert is being sent")
        children = descendants(bot.pid)
        assert len(children) >= 2, [c.cmdline() for c in children]  # the classifier and the resource tracker

        bot.send_signal(stop_signal)
        stopped_at = time.monotonic()
        code = await asyncio.wait_for(bot.wait(), 15)
        took = time.monotonic() - stopped_at

    assert code == 0, (tmp_path / "bot.log").read_text()[-3000:]
    assert took < 10, f"stopped in {took:.1f} s"
    orphans = await all_gone(children, timeout=3)
    assert not orphans, f"left running: {[p.cmdline() for p in orphans]}"
    counts = delivery_counts(db_path)
    assert counts.get("sending", 0) == 0, counts
    assert counts.get("pending", 0) > 0, counts  # stopped mid-way: the rest waits for the next start
    log = (tmp_path / "bot.log").read_text()
    assert f"{stop_signal.name}: stopping" in log and "INFO bot.app.runner: stopped" in log
