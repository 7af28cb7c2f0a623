"""`python -m bot bench-dashboard`: how fast the officers' overview page answers over HTTP on a
database of a million checks (issue 16: ≤ 300 ms p95 on 2 cores).

What is timed is what an officer waits for: a GET of /panel/?days=N through a real aiohttp
server on 127.0.0.1, signed in (the session and the role read from the database on every
request, as always), the page's counts read from `check_counts` and its two SVG charts and
tables rendered. The database is filled by `bot.devtools.dashboard_bench.fill_dashboard`
(90 days of checks over the schemes, regions and languages, users, reports, alerts, waves).
The client runs in this process, one request at a time, so a request's time is the page's
alone (with the client's own small share); each run's p50 and p95, and their medians over the
runs, are printed.
"""

from __future__ import annotations

import asyncio
import os
import re
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from aiohttp import ClientSession, CookieJar, web

from bot.alerts import BroadcastsRepo
from bot.devtools.dashboard_bench import OFFICERS, fill_dashboard
from bot.knowledge import load_knowledge
from bot.panel.app import Panel, add_panel_routes
from bot.services.signin import SignIn
from bot.storage import Database, Repositories

WARM_UP = 5  # requests before the timed ones: the first reads fill the engine's page cache


@dataclass(frozen=True)
class Run:
    p50: float
    p95: float
    max: float


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def _signed_in(http: ClientSession, url: str, signin: SignIn) -> None:
    token = signin.token(OFFICERS[0], "officer")
    async with http.post(f"{url}/panel/login", data={"t": token}) as response:
        if response.status != 200 or "svg" not in await response.text():
            raise RuntimeError(f"the bench could not sign in (HTTP {response.status}): is officer {OFFICERS[0]} "
                               "in the filled database?")


async def time_overview(db: Database, knowledge_dir: Path, *, requests: int, runs: int,
                        days: tuple[int, ...]) -> dict[int, list[Run]]:
    """Serves the dashboard over ``db`` and times ``runs`` × ``requests`` GETs of the overview
    for each period in ``days``."""
    repos = Repositories.of(db, superadmins=frozenset(), conversation_ttl=600)
    signin = SignIn(repos.panel, repos.roles, secret=os.urandom(32), base_url="http://127.0.0.1")
    panel = Panel(signin, repos, BroadcastsRepo(db), load_knowledge(knowledge_dir))
    app = web.Application()
    add_panel_routes(app, panel)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    results: dict[int, list[Run]] = {}
    try:
        async with ClientSession(cookie_jar=CookieJar(unsafe=True)) as http:
            await _signed_in(http, url, signin)
            for period in days:
                page = f"{url}/panel/?days={period}"
                for _ in range(WARM_UP):
                    async with http.get(page) as response:
                        await response.read()
                results[period] = []
                for _ in range(runs):
                    timings = []
                    for _ in range(requests):
                        began = time.perf_counter()
                        async with http.get(page) as response:
                            body = await response.text()
                        timings.append((time.perf_counter() - began) * 1000)
                        if response.status != 200 or len(re.findall(r'<svg class="chart"', body)) != 2:
                            raise RuntimeError(f"the overview answered {response.status} without its two charts")
                    results[period].append(Run(statistics.median(timings), _percentile(timings, 0.95), max(timings)))
    finally:
        await runner.cleanup()
    return results


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


async def _bench(knowledge_dir: Path, *, checks: int, requests: int, runs: int, days: tuple[int, ...],
                 postgresql: bool, path: Path | None) -> str:
    server = None
    with tempfile.TemporaryDirectory(prefix="saqbol-panel-bench-") as folder:
        if postgresql:
            from bot.devtools.servers import PostgresServer

            server = PostgresServer.start()
            target: Path | str = server.url(server.create_database(prefix="panel"))
        else:
            target = path or Path(folder) / "bench.db"
        try:
            db = await Database.open(target)
            try:
                began = time.perf_counter()
                filled = await fill_dashboard(db, checks)
                lines = [f"{db.engine}: {filled} ({time.perf_counter() - began:.0f} s)",
                         f"GET /panel/?days=N through aiohttp on 127.0.0.1, signed in, {runs} runs of {requests} "
                         f"requests after {WARM_UP} warm-up ones, on {_cores()} cores:"]
                results = await time_overview(db, knowledge_dir, requests=requests, runs=runs, days=days)
            finally:
                await db.close()
        finally:
            if server is not None:
                server.stop()
    for period, period_runs in results.items():
        each = ", ".join(f"{r.p50:.0f}/{r.p95:.0f}" for r in period_runs)
        p50 = statistics.median(r.p50 for r in period_runs)
        p95 = statistics.median(r.p95 for r in period_runs)
        verdict = "within" if p95 <= 300 else "OVER"
        lines.append(f"  {period:>2} days: p50 {p50:6.1f} ms   p95 {p95:6.1f} ms   "
                     f"(medians; each run p50/p95: {each} ms)   {verdict} the 300 ms p95 of issue 16")
    return "\n".join(lines)


def run_dashboard_bench(knowledge_dir: Path, *, checks: int = 1_000_000, requests: int = 50, runs: int = 5,
                        days: tuple[int, ...] = (7, 30, 90), postgresql: bool = False,
                        path: Path | None = None) -> str:
    """The report (see the module's doc); ``path`` keeps the SQLite file (it must not exist)."""
    if requests < 2 or runs < 1:
        raise ValueError("time at least 2 requests in at least 1 run (a p95 of one request says nothing)")
    return asyncio.run(_bench(knowledge_dir, checks=checks, requests=requests, runs=runs, days=days,
                              postgresql=postgresql, path=path))
