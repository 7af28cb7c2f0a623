"""The dashboard bench's generator (bot/devtools/dashboard_bench.py): a small fill on each engine
ends with the rollup equal to a GROUP BY over the checks, with the spread it promises (days,
growth, schemes of the knowledge base, the regions, Kazakh and Russian), synthetic redacted
texts only, and it refuses a database that already holds someone's data."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.devtools.dashboard_bench import fill_dashboard, per_day, rollup_matches
from bot.knowledge.loader import load_knowledge
from bot.privacy.redaction import redact
from bot.storage.database import Database, kz_day
from tests.storage.engines import ENGINES, database_on

NOW = 1_764_000_000.0


@pytest.fixture(params=ENGINES)
async def db(request, tmp_path) -> AsyncIterator[Database]:
    async with database_on(request, tmp_path / "bench.db") as database:
        yield database


@pytest.fixture(scope="module")
def knowledge():
    return load_knowledge()


async def test_a_small_fill_ends_with_the_rollup_equal_to_the_checks_and_the_promised_spread(db, knowledge):
    filled = await fill_dashboard(db, 6000, now=NOW, knowledge=knowledge, batch=1000)
    assert filled.checks == 6000 == await db.fetchval("SELECT count(*) FROM checks")
    assert await rollup_matches(db)
    assert await db.fetchval("SELECT sum(n) FROM check_counts WHERE dimension = 'risk'") == 6000

    days = {row[0]: int(row[1]) for row in await db.fetchall(
        "SELECT kz_day(created_at), count(*) FROM checks GROUP BY 1")}
    assert min(days) == kz_day(NOW) - 89 and max(days) == kz_day(NOW) and len(days) == 90
    first_weeks = sum(n for day, n in days.items() if day < min(days) + 14)
    last_weeks = sum(n for day, n in days.items() if day > max(days) - 14)
    assert last_weeks > 2 * first_weeks  # growing
    assert await db.fetchval("SELECT max(created_at) FROM checks") <= NOW

    schemes = {row[0] for row in await db.fetchall("SELECT DISTINCT scheme FROM checks WHERE scheme IS NOT NULL")}
    assert schemes == set(knowledge.schemes)
    regions = {row[0] for row in await db.fetchall("SELECT DISTINCT region FROM checks")}
    assert regions - {None} == set(knowledge.regions) and None in regions
    languages = dict(await db.fetchall("SELECT language, count(*) FROM checks GROUP BY language"))
    assert set(languages) == {"kk", "ru", "mixed"} and min(languages["kk"], languages["ru"]) > 2000
    risks = {row[0] for row in await db.fetchall("SELECT DISTINCT risk FROM checks")}
    assert risks == {"high", "medium", "low", "none"}
    assert await db.fetchval("SELECT count(*) FROM checks WHERE novel = 1") > 0

    assert filled.users == await db.fetchval("SELECT count(*) FROM users") > 0
    assert filled.reports == await db.fetchval("SELECT count(*) FROM reports") > 0
    assert await db.fetchval("SELECT count(*) FROM deliveries") == filled.deliveries > 0
    statuses = {row[0] for row in await db.fetchall("SELECT DISTINCT status FROM broadcasts")}
    assert {"done", "draft", "pending"} <= statuses
    # A check's region is its asker's.
    assert await db.fetchval("SELECT count(*) FROM checks AS c JOIN users AS u ON u.id = c.user_id "
                             "WHERE c.region IS DISTINCT FROM u.region") == 0


async def test_the_texts_are_synthetic_and_redacted_looking(db, knowledge):
    await fill_dashboard(db, 1500, now=NOW, knowledge=knowledge)
    texts = [row[0] for row in await db.fetchall("SELECT DISTINCT text_redacted FROM checks")]
    assert texts and [t for t in texts if redact(t) != t] == []  # as stored: redaction finds nothing more
    assert any("[код]" in t or "[карта]" in t or "[телефон]" in t for t in texts)


async def test_enough_checks_on_the_last_day_make_open_waves(db, knowledge):
    filled = await fill_dashboard(db, 10_000, now=NOW, knowledge=knowledge, days=3)
    assert filled.waves >= 1 and await rollup_matches(db)
    [wave] = await db.fetchall("SELECT users, status, representative FROM waves ORDER BY users DESC LIMIT 1")
    assert wave["users"] >= 5 and wave["status"] == "open" and wave["representative"]


async def test_a_database_holding_users_is_refused(db, knowledge):
    await db.execute("INSERT INTO users (id, created_at, seen_at) VALUES (1, 1.0, 1.0)")
    with pytest.raises(RuntimeError, match="fill an empty database"):
        await fill_dashboard(db, 100, now=NOW, knowledge=knowledge)


def test_the_days_add_up_to_the_total_and_grow():
    plan = per_day(1_000_000, 90, 20_416)
    assert sum(n for _, n in plan) == 1_000_000 and len(plan) == 90 and plan[-1][0] == 20_416
    assert 2.5 < plan[-1][1] / plan[0][1] < 3.6
