"""`python -m bot bench-dashboard`'s timing: the overview page GET through a real server over a
filled database, signed in as one of the generator's officers, both charts checked each time."""

from __future__ import annotations

from bot.devtools.dashboard_bench import fill_dashboard
from bot.devtools.panel_bench import time_overview
from bot.storage import Database


async def test_the_bench_times_the_overview_over_http_for_each_period(tmp_path, settings):
    db = await Database.open(tmp_path / "bench.db")
    try:
        await fill_dashboard(db, 3000)
        results = await time_overview(db, settings.classifier.knowledge_dir, requests=4, runs=2, days=(7, 90))
    finally:
        await db.close()
    assert set(results) == {7, 90} and all(len(runs) == 2 for runs in results.values())
    assert all(0 < run.p50 <= run.p95 <= run.max for runs in results.values() for run in runs)
