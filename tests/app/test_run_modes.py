"""`python -m bot run` as deployed: the webhook mode against a Bot API server, and the
local demo (no BOT_TOKEN) answering through its web page's API. Both build the classifier
in its own process, as in production, so these are the slowest tests."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator

import aiohttp
from pydantic import SecretStr

from bot.app.runner import run
from bot.devtools.demo_mode import run_demo
from bot.devtools.devserver.emulator import BotAPIEmulator
from tests.handlers.test_odd_updates_polling import odd_updates

SCAM = "Здравствуйте, служба безопасности банка. Продиктуйте код из SMS, чтобы отменить операцию"
USER = 31337


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.asynccontextmanager
async def running(settings, main=run) -> AsyncIterator[asyncio.Task]:
    """``main`` (`run`, or `run_demo` for the mode without a token) as a task, cancelled on exit."""
    task = asyncio.create_task(main(settings))
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def deployed(settings, tmp_path, **overrides):
    return settings.with_values(backend="lexical", database_path=tmp_path / "saqbol.db",
                                heartbeat_path=tmp_path / "heartbeat", **overrides)


def webhook_deployed(settings, tmp_path, emulator: BotAPIEmulator, port: int):
    """The bot as deployed behind a webhook on ``port`` of this machine, Telegram being ``emulator``."""
    return deployed(settings, tmp_path, bot_token=SecretStr(emulator.token), telegram_api_url=emulator.base_url,
                    webhook_url=f"http://127.0.0.1:{port}/telegram/webhook", webhook_host="127.0.0.1",
                    webhook_port=port, webhook_secret=SecretStr("s3cret-token"))


async def test_webhook_mode_skips_updates_that_do_not_parse_and_answers_the_others(settings, tmp_path):
    port = free_port()
    async with BotAPIEmulator() as emulator:
        config = webhook_deployed(settings, tmp_path, emulator, port)
        async with running(config):
            await emulator.wait_until(lambda: emulator.webhook_url is not None, timeout=120)
            assert emulator.webhook_url == config.telegram.webhook_url
            emulator.add_user(USER, language_code="ru")
            odd_updates(emulator)  # aiogram would answer Telegram 500 for each, which then retries for ever
            emulator.send_text(USER, SCAM)
            answer = await emulator.next_message(USER, timeout=30)
            await emulator.wait_until(lambda: emulator.pending_updates == 0, timeout=10)
            async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as http:  # the webhook server's other routes
                async with http.get("/panel/", allow_redirects=False) as dashboard:
                    assert dashboard.status == 401  # the officers' dashboard, asking to sign in through the bot
                async with http.get("/healthz") as health:
                    assert health.status == 200
    assert answer["text"].startswith(("🔴", "🟠"))
    assert "службы безопасности банка" in answer["text"]
    assert (tmp_path / "heartbeat").exists()


async def test_without_a_token_the_demo_page_talks_to_the_bot(settings, tmp_path):
    port, panel_port = free_port(), free_port()
    config = deployed(settings, tmp_path, bot_token=None, demo_port=port, panel_port=panel_port)
    async with running(config, run_demo), aiohttp.ClientSession(f"http://127.0.0.1:{port}") as http:
        deadline = time.monotonic() + 120
        while True:  # the page comes up once the classifier process is ready
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get("/") as page:
                    if page.status == 200:
                        break
            assert time.monotonic() < deadline, "the demo page never came up"
            await asyncio.sleep(0.5)
        async with http.post("/api/send", json={"user_id": USER, "text": SCAM, "language_code": "ru"}) as sent:
            assert sent.status == 200
        since, texts = 0, []
        while not any(t.startswith(("🔴", "🟠")) for t in texts):
            async with http.get("/api/messages", params={"user_id": USER, "since": since}) as got:
                changes = await got.json()
            since = changes["version"]
            texts += [m.get("text", "") for m in changes["messages"]]
            assert time.monotonic() < deadline, texts
        async with http.get(f"http://127.0.0.1:{panel_port}/panel/", allow_redirects=False) as dashboard:
            assert dashboard.status == 401  # the officers' dashboard beside the demo, asking to sign in
    assert any("службы безопасности банка" in t for t in texts)
