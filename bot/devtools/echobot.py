"""An echo bot through SaqBol's own stack, for the load test's ceiling: `python -m bot.devtools.echobot`.

The same aiogram, the same Bot session (`create_bot`: aiohttp, the retry middleware), the same
webhook server (`SafeRequestHandler`, answering only after handling, /healthz and /readyz), the
same emulator and webhook delivery in front, read from the same environment as `python -m bot
run` (BOT_TOKEN, TELEGRAM_API_URL, WEBHOOK_URL, WEBHOOK_SECRET, WEBHOOK_PORT); but no
middlewares, no database, no Redis, no classifier: each text is sent straight back. What
SaqBol answers per second is measured against what this one does on the same machine.
"""

from __future__ import annotations

import asyncio
import logging

from aiogram import Dispatcher
from aiogram.types import Message
from aiogram.webhook.aiohttp_server import setup_application
from aiohttp import web

from bot.app.dispatcher import create_bot
from bot.app.runner import WEBHOOK_PATH, add_health_routes, stop_on_signals
from bot.config import Settings, load_settings
from bot.telegram.inbox import SafeRequestHandler

log = logging.getLogger(__name__)


def echo_dispatcher() -> Dispatcher:
    dp = Dispatcher()

    @dp.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "…", parse_mode=None)

    return dp


async def serve_echo(settings: Settings) -> None:
    """Serves the webhook until SIGTERM or SIGINT."""
    if settings.telegram.token is None or not settings.telegram.webhook_url:
        raise SystemExit("the echo bot needs BOT_TOKEN and WEBHOOK_URL (it runs as a webhook, like the replicas)")
    secret = settings.telegram.webhook_secret.get_secret_value() if settings.telegram.webhook_secret else None
    bot = create_bot(settings, settings.telegram.token.get_secret_value())
    dp = echo_dispatcher()
    app = web.Application()
    SafeRequestHandler(dp, bot, secret_token=secret).register(app, path=WEBHOOK_PATH)
    setup_application(app, dp, bot=bot)
    add_health_routes(app, {})  # nothing behind it to be ready
    runner = web.AppRunner(app)  # as the bot's own webhook server: its access log included
    await runner.setup()
    stop = asyncio.Event()
    try:
        with stop_on_signals(stop):
            await web.TCPSite(runner, settings.telegram.webhook_host, settings.telegram.webhook_port).start()
            await bot.set_webhook(settings.telegram.webhook_url, secret_token=secret,
                                  allowed_updates=dp.resolve_used_update_types())
            log.info("echo bot on %s:%d", settings.telegram.webhook_host, settings.telegram.webhook_port)
            await stop.wait()
    finally:
        await runner.cleanup()
        await bot.session.close()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    asyncio.run(serve_echo(load_settings()))
