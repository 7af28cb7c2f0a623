"""`python -m bot run` without a BOT_TOKEN: the local demo.

The local Bot API emulator plus a web chat on http://127.0.0.1:8080 (DEMO_HOST, DEMO_PORT), so
anybody can try the bot in a browser without Telegram, and the officers' dashboard on
http://127.0.0.1:8082/panel/ (PANEL_HOST, PANEL_PORT; an officer of the demo, e.g. an id of
ADMIN_IDS, sends /panel in the chat for the link). Everything else is the deployed bot:
`bot.app.runner.run` opens the same services, heartbeat and clean stop, and the bot polls the
emulator through `running_bot`. This lives in `bot.devtools` because the emulator and the page
are development tools the product never imports; `bot.cli` imports this module only when there
is no token.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiogram import Dispatcher
from aiohttp import web

from bot.app.dispatcher import Deps
from bot.app.runner import run, web_server
from bot.config import Settings
from bot.devtools.devserver.demo import create_demo_app
from bot.devtools.devserver.emulator import BotAPIEmulator
from bot.devtools.running import running_bot

DEMO_TOKEN = "7000000001:SaqBol-local-demo-token-not-for-telegram"


@contextlib.asynccontextmanager
async def demo_page(emulator: BotAPIEmulator, host: str, port: int) -> AsyncIterator[None]:
    """The web chat on ``host:port`` while inside."""
    runner = web.AppRunner(create_demo_app(emulator), shutdown_timeout=1.0)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        yield
    finally:
        await runner.cleanup()


async def serve_demo(settings: Settings, dp: Dispatcher, deps: Deps, stop: asyncio.Event) -> None:
    """The emulator, the page and the bot polling the emulator, until ``stop``."""
    host, port = settings.telegram.demo_host, settings.telegram.demo_port
    async with BotAPIEmulator() as emulator, demo_page(emulator, host, port), \
            running_bot(settings, deps, dp, emulator.base_url, DEMO_TOKEN) as bot, \
            web_server(settings, deps, dp, bot.bot, required=False) as panel:
        print(f"SaqBol demo: open http://{host}:{port} in a browser "
              "(no BOT_TOKEN set, so the bot talks to a local Telegram emulator). Ctrl+C stops it.", flush=True)
        if panel:
            print(f"Officers' dashboard: {panel}/panel/ (an officer sends /panel in the chat for a sign-in link)",
                  flush=True)
        await bot.until(stop)


async def run_demo(settings: Settings) -> None:
    """The demo until SIGTERM or SIGINT (or until cancelled), stopping as the deployed bot does."""
    await run(settings, serve_demo)
