"""The whole bot, end to end: real aiogram polling over HTTP against the local Bot API
emulator, a fresh SQLite file per test, the session's lexical classifier."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.e2e.livebot import LiveBot, live_bot


@pytest.fixture
async def live(settings, classifier, tmp_path) -> AsyncIterator[LiveBot]:
    async with live_bot(settings, classifier, database_path=tmp_path / "saqbol.db",
                        heartbeat_path=tmp_path / "heartbeat") as running:
        yield running
