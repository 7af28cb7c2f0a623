"""GET /metrics: the bot's counters and gauges for Prometheus (`bot.metrics`).

Every replica serves its own numbers and Prometheus scrapes each replica directly, inside the
private network; the public nginx in front of the webhooks refuses /metrics
(deploy/nginx.conf), although nothing in it is personal: counts by type, risk, scheme,
language and status, and queue sizes, never a user id or a text. The gauges are read from the
database at each scrape (`gauge_readers`), each within `bot.metrics.SCRAPE_TIMEOUT` seconds, so a
slow database makes a gauge NaN and counts a scrape error instead of hanging the scrape.

`add_metrics_route` is called wherever the bot serves HTTP: the webhook server
(`bot.app.runner`), and the server of polling mode and of the demo.
"""

from __future__ import annotations

from aiohttp import web

from bot.alerts import BroadcastsRepo
from bot.app.dispatcher import Deps
from bot.metrics import CONTENT_TYPE, SCRAPE_TIMEOUT, Reader

METRICS_PATH = "/metrics"


def gauge_readers(deps: Deps) -> dict[str, Reader]:
    """How each gauge of `bot.metrics.GAUGES` is read from this bot's database."""
    broadcasts = BroadcastsRepo(deps.db)

    async def subscribers() -> float:
        return sum(count for _, _, count in await deps.repos.stats.subscribers())

    return {
        "review_queue": deps.repos.reviews.pending,
        "deliveries_pending": broadcasts.unsent,
        "subscribers": subscribers,
        "waves_open": deps.repos.waves.count_open,
    }


def add_metrics_route(app: web.Application, deps: Deps, *, timeout: float = SCRAPE_TIMEOUT) -> None:
    """GET `METRICS_PATH` on ``app``: Prometheus' text format, the gauges read just before."""
    readers = gauge_readers(deps)

    async def metrics(request: web.Request) -> web.Response:
        body = await deps.metrics.scrape(readers, timeout)
        response = web.Response(body=body)
        response.headers["Content-Type"] = CONTENT_TYPE  # carries its own version parameter
        return response

    app.router.add_get(METRICS_PATH, metrics)
