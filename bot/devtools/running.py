"""The bot polling a local Bot API emulator: the one way the development tools start it.

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
from collections.abc import AsyncIterator
from dataclasses import dataclass

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
