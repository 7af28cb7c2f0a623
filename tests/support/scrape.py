"""GET /metrics of a bot, read back as numbers: what Prometheus would store from one scrape."""

from __future__ import annotations

import contextlib
import math
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from bot.app.dispatcher import Deps
from bot.app.scraping import METRICS_PATH, add_metrics_route


@dataclass(frozen=True)
class Scrape:
    """One scrape's samples: ``value(name, **labels)`` is the sample of that name whose labels
    include ``labels`` (0 when there is none: a counter not moved yet has no series)."""

    text: str
    samples: tuple[tuple[str, dict[str, str], float], ...]

    @classmethod
    def parse(cls, text: str) -> Scrape:
        samples = tuple((s.name, dict(s.labels), s.value)
                        for family in text_string_to_metric_families(text) for s in family.samples)
        return cls(text, samples)

    def value(self, name: str, **labels: str) -> float:
        found = [v for n, ls, v in self.samples if n == name and all(ls.get(k) == w for k, w in labels.items())]
        assert len(found) <= 1, f"{name}{labels} matches {len(found)} series: name every label"
        return found[0] if found else 0.0

    def total(self, name: str, **labels: str) -> float:
        """The sum over every series of ``name`` whose labels include ``labels``."""
        return sum(v for n, ls, v in self.samples if n == name and all(ls.get(k) == w for k, w in labels.items()))

    def has(self, name: str) -> bool:
        return any(n == name for n, _, _ in self.samples)

    def is_nan(self, name: str) -> bool:
        return math.isnan(self.value(name))


@dataclass
class MetricsClient:
    """A client of a real HTTP server serving the bot's /metrics."""

    http: aiohttp.ClientSession
    url: str

    async def scrape(self) -> Scrape:
        async with self.http.get(METRICS_PATH) as response:
            assert response.status == 200, await response.text()
            assert response.content_type == "text/plain", response.headers
            return Scrape.parse(await response.text())


@contextlib.asynccontextmanager
async def metrics_server(deps: Deps, *, timeout: float | None = None) -> AsyncIterator[MetricsClient]:
    """``deps``' /metrics on a real aiohttp server on a free port, as the bot serves it."""
    app = web.Application()
    if timeout is None:
        add_metrics_route(app, deps)
    else:
        add_metrics_route(app, deps, timeout=timeout)
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        host, port = runner.addresses[0][:2]
        url = f"http://{host}:{port}"
        async with aiohttp.ClientSession(url) as http:
            yield MetricsClient(http, url)
    finally:
        await runner.cleanup()
