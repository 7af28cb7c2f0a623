"""Fixtures of the review and notice use cases: a real SQLite file with two users who chose
their language, one Kazakh and one Russian, so every test can say the same thing in both."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.storage import Database, Repositories

KK_USER, RU_USER = 7001, 7002


@pytest.fixture
async def repos(tmp_path) -> AsyncIterator[Repositories]:
    """Every repository on a fresh database file holding KK_USER (kk) and RU_USER (ru)."""
    db = await Database.open(tmp_path / "saqbol.db")
    try:
        repositories = Repositories.of(db, superadmins=frozenset(), conversation_ttl=60)
        for user, lang in ((KK_USER, "kk"), (RU_USER, "ru")):
            await repositories.users.touch(user)
            await repositories.users.set_language(user, lang)
        yield repositories
    finally:
        await db.close()
