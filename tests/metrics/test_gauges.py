"""The gauges of /metrics read at scrape time from the database, on both engines, and a slow
database: its gauge is NaN and a scrape error is counted, the scrape answers within its timeout."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import asyncpg
import pytest

from bot.alerts import BroadcastsRepo
from bot.app.dispatcher import Deps, open_deps
from tests.storage.engines import ENGINES
from tests.support.scrape import metrics_server

SUBSCRIBERS = (5813402701, 5813402702, 5813402703)


@pytest.fixture(params=ENGINES)
async def deps(request, settings, classifier, tmp_path) -> AsyncIterator[Deps]:
    """The bot's parts, opened as `python -m bot run` opens them, on a fresh database of the engine."""
    target = ({"database_path": tmp_path / "saqbol.db"} if request.param == "sqlite"
              else {"database_url": request.getfixturevalue("postgres_url")})
    async with open_deps(settings.with_values(backend="lexical", **target), classifier) as opened:
        yield opened


async def add_subscribers(deps: Deps) -> None:
    now = time.time()
    for user_id, lang in zip(SUBSCRIBERS, ("kk", "ru", "ru"), strict=True):
        await deps.db.execute("INSERT INTO users (id, language, region, subscribed, created_at, seen_at) "
                              "VALUES (?, ?, 'kostanay', 1, ?, ?)", (user_id, lang, now, now))
        await deps.db.execute("INSERT INTO subscriptions (user_id, region) VALUES (?, 'national')", (user_id,))


async def test_each_gauge_reads_the_database_at_the_moment_of_the_scrape(deps):
    async with metrics_server(deps) as scraper:
        empty = await scraper.scrape()
        await add_subscribers(deps)
        repo = BroadcastsRepo(deps.db)
        broadcast_id = await repo.submit(9001, "Кодты ешкімге айтпаңыз!", "Никому не называйте код!", ("national",), None)
        await repo.decide(broadcast_id, 9002, approve=True)
        await repo.enqueue(broadcast_id, time.time())  # no engine runs here: all three stay pending
        check_id = await deps.repos.checks.add(SUBSCRIBERS[0], "Кодты айтыңыз", "text",
                                               await deps.checker.check("Кодты айтыңыз"))
        await deps.repos.reviews.enqueue_check(check_id, "disputed")
        filled = await scraper.scrape()
    for gauge in ("review_queue", "deliveries_pending", "subscribers", "waves_open"):
        assert empty.value(f"saqbol_{gauge}") == 0, gauge
        assert empty.value("saqbol_scrape_errors_total", gauge=gauge) == 0, gauge
    assert filled.value("saqbol_subscribers") == 3
    assert filled.value("saqbol_deliveries_pending") == 3
    assert filled.value("saqbol_review_queue") == 1
    assert filled.total("saqbol_scrape_errors_total") == 0


async def test_a_database_that_holds_a_gauge_up_makes_it_nan_and_counts_a_scrape_error_without_hanging(
        settings, classifier, postgres_url):
    """A real slow database: another session holds the review queue's table locked, so the
    count waits; the scrape answers within its timeout with the other gauges read."""
    async with open_deps(settings.with_values(backend="lexical", database_url=postgres_url), classifier) as deps, \
            metrics_server(deps, timeout=0.3) as scraper:
        await add_subscribers(deps)
        locker = await asyncpg.connect(postgres_url)
        try:
            async with locker.transaction():
                await locker.execute("LOCK TABLE review_items IN ACCESS EXCLUSIVE MODE")
                started = asyncio.get_running_loop().time()
                held = await scraper.scrape()
                took = asyncio.get_running_loop().time() - started
        finally:
            await locker.close()
        freed = await scraper.scrape()
    assert took < 2.0
    assert held.is_nan("saqbol_review_queue")
    assert held.value("saqbol_scrape_errors_total", gauge="review_queue") == 1
    assert held.value("saqbol_subscribers") == 3 and held.value("saqbol_scrape_errors_total", gauge="subscribers") == 0
    assert freed.value("saqbol_review_queue") == 0  # read again once the lock is gone
    assert freed.value("saqbol_scrape_errors_total", gauge="review_queue") == 1
