"""Fixtures of the alert tests: a real database per test, opened the way the bot opens it, on
both engines (``db`` runs each test on a SQLite file and on a fresh PostgreSQL database of the
session's real server, tests/support/servers.py), and the real aiogram Bot over HTTP against
the local Bot API emulator. No stand-ins."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiogram import Bot

from bot.devtools.devserver import BotAPIEmulator
from bot.storage import Database

ENGINES = ["sqlite", "postgresql"]


@pytest.fixture(params=ENGINES)
def db_target(request, tmp_path) -> Path | str:
    """Where the test's database is: a SQLite file, or a fresh, migrated PostgreSQL database's
    URL (skipped, saying what to install, where PostgreSQL is not; failing under CI). What a
    sender process of the test opens too."""
    return tmp_path / "saqbol.db" if request.param == "sqlite" else request.getfixturevalue("postgres_url")


@pytest.fixture
async def db(db_target) -> AsyncIterator[Database]:
    database = await Database.open(db_target)
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
