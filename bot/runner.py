"""`python -m bot run`: long polling, a webhook server, or the local demo.

- BOT_TOKEN set, WEBHOOK_URL unset: long polling against Telegram.
- BOT_TOKEN and WEBHOOK_URL set: an aiohttp server receives Telegram's POSTs.
- no BOT_TOKEN: the local Bot API emulator plus a web chat on http://127.0.0.1:8080, so
  anybody can try the bot in a browser without Telegram.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiogram import Bot, Dispatcher
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web

from bot.app import Deps, broadcasting, create_bot, create_dispatcher, heartbeat, open_deps, set_commands
from bot.config import Settings

log = logging.getLogger(__name__)

DEMO_TOKEN = "7000000001:SaqBol-local-demo-token-not-for-telegram"
WEBHOOK_PATH = "/telegram/webhook"


async def _serve_forever(runner: web.AppRunner, host: str, port: int) -> None:
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


async def _polling(bot: Bot, dp: Dispatcher) -> None:
    await bot.delete_webhook(drop_pending_updates=False)
    await dp.start_polling(bot, handle_signals=False, close_bot_session=False)


async def _webhook(bot: Bot, dp: Dispatcher, settings: Settings) -> None:
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    app = web.Application()
    SimpleRequestHandler(dispatcher=dp, bot=bot, secret_token=secret).register(app, path=WEBHOOK_PATH)
    setup_application(app, dp, bot=bot)
    await bot.set_webhook(settings.webhook_url, secret_token=secret, allowed_updates=dp.resolve_used_update_types())
    log.info("webhook server on %s:%d%s, Telegram posts to %s",
             settings.webhook_host, settings.webhook_port, WEBHOOK_PATH, settings.webhook_url)
    await _serve_forever(web.AppRunner(app), settings.webhook_host, settings.webhook_port)


async def _demo(settings: Settings, dp: Dispatcher, deps: Deps) -> None:
    from bot.devserver.demo import create_demo_app
    from bot.devserver.emulator import BotAPIEmulator

    async with BotAPIEmulator() as emulator:
        bot = create_bot(settings, DEMO_TOKEN, api_url=emulator.base_url)
        try:
            async with broadcasting(settings, deps, dp, bot, DEMO_TOKEN, emulator.base_url):
                await set_commands(bot, deps.i18n)
                page = asyncio.create_task(
                    _serve_forever(web.AppRunner(create_demo_app(emulator)), settings.demo_host, settings.demo_port))
                print(f"SaqBol demo: open http://{settings.demo_host}:{settings.demo_port} in a browser "
                      "(no BOT_TOKEN set, so the bot talks to a local Telegram emulator). Ctrl+C stops it.", flush=True)
                try:
                    await _polling(bot, dp)
                finally:
                    page.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await page
        finally:
            await bot.session.close()


async def run(settings: Settings) -> None:
    async with open_deps(settings) as deps:
        await deps.ocr.warm_up()  # the first picture should not wait for the readers to start
        dp = create_dispatcher(settings, deps)
        beat = asyncio.create_task(heartbeat(settings))
        try:
            if settings.bot_token is None:
                await _demo(settings, dp, deps)
                return
            token = settings.bot_token.get_secret_value()
            bot = create_bot(settings, token)
            try:
                async with broadcasting(settings, deps, dp, bot, token):
                    await set_commands(bot, deps.i18n)
                    if settings.webhook_url:
                        await _webhook(bot, dp, settings)
                    else:
                        await _polling(bot, dp)
            finally:
                await bot.session.close()
        finally:
            beat.cancel()
