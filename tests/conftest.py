"""Shared fixtures: the real knowledge base, a lexical classifier and Tesseract, once per session."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Iterator

import pytest
from redis.asyncio import Redis

from bot.classifier import Classifier
from bot.config import Settings
from bot.knowledge import KnowledgeBase, load_knowledge
from bot.ocr import TesseractMissing, find_tesseract
from bot.devtools.screenshots import FontMissing, font_path
from bot.ocr.tesseract import Installation
from bot.replies.verdict import ReplyRenderer
from bot.storage.redis_store import RedisStore
from tests.support.livebot import LiveBot, live_bot
from tests.support.servers import (PostgresServer, RedisServer, free_port, fresh_database, migrated_template,
                                  running)


@pytest.fixture(autouse=True)
def root_logging_restored() -> Iterator[None]:
    """A test that runs the command line in this process (`bot.cli.main`) configures logging as
    the bot does: a handler on stderr, which for a test is pytest's capture of that one test,
    closed after it. Left in place, that handler fails every later log line of the session and
    its level changes what later tests see; so the root logger is put back after each test."""
    root = logging.getLogger()
    handlers, level, filters = list(root.handlers), root.level, list(root.filters)
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    root.filters[:] = filters


@pytest.fixture(scope="session")
def knowledge() -> KnowledgeBase:
    return load_knowledge()


@pytest.fixture(scope="session")
def settings(tmp_path_factory) -> Settings:
    return Settings(cache_dir=tmp_path_factory.mktemp("cache"), models_dir=tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="session")
def classifier(knowledge, settings) -> Classifier:
    return Classifier.build(knowledge, settings.classifier, "lexical")


@pytest.fixture(scope="session")
def renderer(knowledge) -> ReplyRenderer:
    return ReplyRenderer(knowledge)


@pytest.fixture(scope="session")
def tesseract() -> Installation:
    """Tesseract's kaz/rus/eng models and the DejaVu font (`make setup` installs them). CI
    must have them, so there a missing one fails the run; a developer's machine without them
    skips the picture tests, saying what to install."""
    try:
        font_path()
        return find_tesseract()
    except (TesseractMissing, FontMissing) as exc:
        message = f"screenshots cannot be read here: {exc}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
async def live(settings, classifier, tmp_path) -> AsyncIterator[LiveBot]:
    """The whole bot, end to end: real aiogram polling over HTTP against the local Bot API
    emulator, a fresh SQLite file per test, the session's lexical classifier."""
    async with live_bot(settings, classifier, database_path=tmp_path / "saqbol.db",
                        heartbeat_path=tmp_path / "heartbeat") as running:
        yield running


# Real PostgreSQL and Redis (tests/support/servers.py): each started once per session, on the
# first test that needs it, from the installed binaries in a temporary folder; a missing binary
# skips those tests saying what to install (fails them under CI).
@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    with running(PostgresServer) as server:
        yield server


@pytest.fixture(scope="session")
def postgres_template(postgres_server) -> str:
    """A database migrated to the latest version once, copied for each test."""
    return migrated_template(postgres_server)


@pytest.fixture
def postgres_url(postgres_server, postgres_template) -> Iterator[str]:
    """A fresh PostgreSQL database of its own for this test, already migrated (a copy of the
    template: milliseconds), dropped after it."""
    with fresh_database(postgres_server, template=postgres_template) as name:
        yield postgres_server.url(name)


@pytest.fixture
def postgres_empty_url(postgres_server) -> Iterator[str]:
    """A fresh PostgreSQL database with nothing in it, not even the schema: for the migration tests."""
    with fresh_database(postgres_server) as name:
        yield postgres_server.url(name)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    with running(RedisServer) as server:
        yield server


@pytest.fixture
def redis_url(redis_server) -> str:
    """The session's Redis, database 0 emptied (FLUSHDB) for this test."""
    redis_server.flush(0)
    return redis_server.url(0)


@pytest.fixture
def redis_replicas() -> int:
    """How many connections `redis_stores` opens: two replicas of the bot, unless a test module
    says otherwise with a fixture of this name."""
    return 2


@pytest.fixture
async def redis_stores(redis_url, redis_replicas) -> AsyncIterator[list[RedisStore]]:
    """Connections to one Redis (the session's, emptied), one per replica of the bot (or sender
    process): what one replica writes, the others must see. Closed after the test."""
    opened = [await RedisStore.open(redis_url) for _ in range(redis_replicas)]
    try:
        yield opened
    finally:
        for store in opened:
            await store.close()


@pytest.fixture
async def unreachable_redis() -> AsyncIterator[RedisStore]:
    """A Redis that is gone: a real connection refused (nothing listens on its port), not a
    stand-in, given up on within a second. For the tests of what a replica does when Redis fails."""
    gone = RedisStore(Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=1))
    try:
        yield gone
    finally:
        await gone.close()
