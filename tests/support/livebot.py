"""The whole bot, running: its polling loop over HTTP against the local Bot API emulator."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from aiogram import Bot, Dispatcher

from bot.app.dispatcher import Deps, create_dispatcher, open_deps
from bot.classifier.intents import IntentReader
from bot.config import Settings
from bot.devtools.devserver.emulator import BotAPIEmulator
from bot.devtools.running import running_bot
from bot.knowledge import load_knowledge

TOKEN = "7000000001:SaqBol-e2e-tests"


@dataclass
class LiveBot:
    emulator: BotAPIEmulator
    deps: Deps
    settings: Settings
    dp: Dispatcher | None = None  # its workflow data holds the services started with the bot (alerts)
    bot: Bot | None = None

    @property
    def db_path(self) -> Path:
        return self.settings.storage.database_path

    async def reply_to(self, user_id: int, text: str, timeout: float = 10.0) -> dict:
        """Send a text as the user and return the bot's next message to them."""
        self.emulator.send_text(user_id, text)
        return await self.emulator.next_message(user_id, timeout=timeout)

    async def rows(self, sql: str, *params: object) -> list[tuple]:
        return [tuple(r) for r in await self.deps.db.fetchall(sql, params)]


@functools.cache
def intent_reader(knowledge_dir: Path) -> IntentReader:
    """One intent reader per test session, as one classifier: fitting it takes seconds."""
    return IntentReader(load_knowledge(knowledge_dir))


@contextlib.asynccontextmanager
async def live_bot(settings: Settings, classifier, **overrides: object) -> AsyncIterator[LiveBot]:
    """``settings`` with ``overrides``, the session's classifier and intent reader, the bot
    started as the demo and the load test start it (`running_bot`)."""
    settings = settings.with_values(**overrides)
    async with BotAPIEmulator() as emulator, \
            open_deps(settings, classifier, intent_reader(settings.classifier.knowledge_dir)) as deps:
        dp = create_dispatcher(settings, deps)
        async with running_bot(settings, deps, dp, emulator.base_url, TOKEN) as running:
            yield LiveBot(emulator, deps, settings, dp, running.bot)
