"""Fixtures of the alert tests: a real SQLite file per test, opened the way the bot opens it,
and the real aiogram Bot over HTTP against the local Bot API emulator. No stand-ins."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot

from bot.devtools.devserver import BotAPIEmulator
from bot.storage import Database


@pytest.fixture
async def db(tmp_path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "saqbol.db")
    yield database
    await database.close()


@pytest.fixture
async def emulator() -> AsyncIterator[BotAPIEmulator]:
    async with BotAPIEmulator() as emu:
        yield emu


@pytest.fixture
async def bot(emulator) -> AsyncIterator[Bot]:
    async with emulator.create_bot() as client:  # no RetryMiddleware: the engine sees every 429
        yield client
