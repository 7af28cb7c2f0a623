"""Fixtures of the review and notice use cases: a real database with two users who chose their
language, one Kazakh and one Russian, so every test can say the same thing in both. Each test
runs on both engines: ``[sqlite]`` on a fresh file, ``[postgresql]`` on a fresh database of the
session's real server (skipped, saying what to install, where PostgreSQL is not installed;
failing under CI): the use cases rest on the schema's triggers, written once per engine."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.storage import Database, Repositories
from tests.storage.engines import ENGINES, database_on

KK_USER, RU_USER = 7001, 7002


@pytest.fixture(params=ENGINES)
async def engine_db(request, tmp_path) -> AsyncIterator[Database]:
    """A fresh, migrated database on one engine."""
    async with database_on(request, tmp_path / "saqbol.db") as db:
        yield db


@pytest.fixture
async def repos(engine_db) -> Repositories:
    """Every repository on a fresh database holding KK_USER (kk) and RU_USER (ru)."""
    repositories = Repositories.of(engine_db, superadmins=frozenset(), conversation_ttl=60)
    for user, lang in ((KK_USER, "kk"), (RU_USER, "ru")):
        await repositories.users.touch(user)
        await repositories.users.set_language(user, lang)
    return repositories
