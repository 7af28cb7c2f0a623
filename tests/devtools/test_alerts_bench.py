"""The broadcast bench's own parts (bot/devtools/alerts_bench.py): the recipients it writes on
either engine, and the rate it reads from Telegram's side. The bench itself runs for a minute
against real servers and is run by hand (docs/broadcast.md, "Measuring it")."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.alerts.repository import BroadcastsRepo, BroadcastStatus
from bot.devtools.alerts_bench import FIRST_USER, LANGUAGES, REGIONS, _populate, steady_rate
from bot.storage import Database


@pytest.fixture(params=["sqlite", "postgresql"])
async def db(request, tmp_path) -> AsyncIterator[Database]:
    target = tmp_path / "bench.db" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    database = await Database.open(target)
    yield database
    await database.close()


async def test_the_bench_writes_its_subscribers_and_an_approved_national_alert_on_either_engine(db):
    broadcast_id = await _populate(db, 1000)

    rows = await db.fetchall("SELECT id, language, region FROM users ORDER BY id")
    assert [row[0] for row in rows] == list(range(FIRST_USER, FIRST_USER + 1000))
    assert {row[1] for row in rows} == set(LANGUAGES)  # Kazakh, Russian, and never chosen (Russian is sent)
    assert all(row[2] == REGIONS[row[0] % len(REGIONS)] for row in rows)
    assert await db.fetchval("SELECT count(*) FROM subscriptions") == 1000
    alert = await BroadcastsRepo(db).get(broadcast_id)
    assert (alert.status, alert.regions) == (BroadcastStatus.APPROVED, ("national",))
    assert await BroadcastsRepo(db).audience(alert.regions) == 1000


def test_the_steady_rate_leaves_out_the_first_burst_and_the_tail():
    burst = [0.0] * 30  # saved-up tokens, all at once
    steady = [1.0 + n / 30 for n in range(900)]  # 30 a second for 30 s
    tail = [31.0 + n for n in range(40)]  # the last rows, slowly
    assert steady_rate(burst + steady + tail) == pytest.approx(30, rel=0.01)
    with pytest.raises(ValueError, match="run longer"):
        steady_rate([1.0, 1.0])
