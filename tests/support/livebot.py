"""The whole bot, running: its polling loop over HTTP against the local Bot API emulator."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from bot.app.dispatcher import Deps, broadcasting, create_bot, create_dispatcher, open_deps
from bot.classifier.intents import IntentReader
from bot.config import Settings
from bot.devtools.devserver.emulator import BotAPIEmulator
from bot.knowledge import load_knowledge
from bot.app.runner import poll

TOKEN = "7000000001:SaqBol-e2e-tests"


@dataclass
class LiveBot:
    emulator: BotAPIEmulator
    deps: Deps
    settings: Settings

    @property
    def db_path(self) -> Path:
        return self.settings.database_path

    async def reply_to(self, user_id: int, text: str, timeout: float = 10.0) -> dict:
        """Send a text as the user and return the bot's next message to them."""
        self.emulator.send_text(user_id, text)
        return await self.emulator.next_message(user_id, timeout=timeout)

    async def rows(self, sql: str, *params: object) -> list[tuple]:
        async with self.deps.db.conn.execute(sql, params) as cur:
            return [tuple(r) for r in await cur.fetchall()]


@functools.cache
def intent_reader(knowledge_dir: Path) -> IntentReader:
    """One intent reader per test session, as one classifier: fitting it takes seconds."""
    return IntentReader(load_knowledge(knowledge_dir))


@contextlib.asynccontextmanager
async def live_bot(settings: Settings, classifier, **overrides: object) -> AsyncIterator[LiveBot]:
    settings = settings.model_copy(update=overrides)
    async with BotAPIEmulator() as emulator, \
            open_deps(settings, classifier, intent_reader(settings.knowledge_dir)) as deps:
        dp = create_dispatcher(settings, deps)
        bot = create_bot(settings, TOKEN, api_url=emulator.base_url)
        async with broadcasting(settings, deps, dp, bot, TOKEN, emulator.base_url):
            stop = asyncio.Event()
            polling = asyncio.create_task(poll(bot, dp, deps.inbox, stop))  # as `python -m bot run` polls
            try:
                yield LiveBot(emulator, deps, settings)
            finally:
                stop.set()
                with contextlib.suppress(asyncio.CancelledError):
                    await polling
                await bot.session.close()
