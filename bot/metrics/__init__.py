"""The Prometheus counters and gauges of one bot, in a registry of its own (`/metrics`).

Why a registry per `Metrics` instead of prometheus_client's global one: the global registry is
filled at import time and shared by everything in the process, so two bots in one process (the
tests start many; the load test starts several) would add to each other's counters, and a
second bot would fail to register the same names. Here `bot.app.dispatcher.open_deps` builds one
`Metrics` per bot, and nothing is registered before that.

What is counted, and why each label stays small (Prometheus keeps one series per value): the
update's type (aiogram's fixed list of update kinds); a check's risk (four values), scheme (the
knowledge base's scheme ids, 'none' without one, 'other' for an id it does not know, such as
a scheme removed since an officer's label) and language (kk, ru, mixed, other); a delivery's
status (the engine's few endings). No label holds a user id, a chat id or a text: the
endpoint holds no personal data.

The gauges (review queue, deliveries pending, subscribers, waves open) are read from the
database when Prometheus scrapes (`scrape`), not kept up to date on every change: another
replica changes them too, and a read at scrape time is right whoever changed them. A slow
database must not hang the scrape: each read has `SCRAPE_TIMEOUT` seconds, and one that fails
or runs out of time leaves its gauge NaN (unknown, rather than a stale number that looks
true) and counts in ``saqbol_scrape_errors_total{gauge=...}``.

Layer 1: prometheus_client and the standard library only; the readers of the gauges are
plain async callables built by the app (`bot.app.scraping`), which knows the repositories.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

log = logging.getLogger(__name__)

CONTENT_TYPE = CONTENT_TYPE_LATEST
"""The exposition format's media type, for the HTTP answer."""

RISKS = frozenset({"high", "medium", "low", "none"})
LANGUAGES = frozenset({"kk", "ru", "mixed", "other"})
DELIVERY_STATUSES = ("sent", "blocked", "not_found", "failed", "retried")
"""A delivery's endings, and 'retried': an answer that asked for another try (a 429, a 5xx, a
network error), after which the same delivery is sent again."""

CLASSIFY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
"""Seconds: about 1-2 ms a text with the lexical backend alone, tens of ms with the transformer,
more when texts queue behind a batch; above 5 s something is wrong whatever the backend."""

SCRAPE_TIMEOUT = 1.0  # seconds each gauge's read gets during a scrape; Prometheus waits 10 s by default

GAUGES = {
    "review_queue": "Items in the officers' review queue (a text counts once, however many asked it).",
    "deliveries_pending": "Deliveries of police alerts being sent that have not ended yet (pending or in flight).",
    "subscribers": "People subscribed to police alerts who have not blocked the bot.",
    "waves_open": "Waves (new scam patterns many people asked about) that are open.",
}
"""The gauges read from the database at scrape time, by name: ``saqbol_<name>``."""

Reader = Callable[[], Awaitable[float]]
"""Reads one gauge's value (from the database) when Prometheus scrapes."""


class Metrics:
    """One bot's counters and gauges, in its own `CollectorRegistry`.

    ``schemes``: the knowledge base's scheme ids, the only values the ``scheme`` label takes
    besides 'none' and 'other' (a label value is a series kept forever: it must come from a
    list we wrote, never from what a classifier or a person produced)."""

    def __init__(self, schemes: Iterable[str] = ()) -> None:
        self.registry = CollectorRegistry()
        self.schemes = frozenset(schemes)
        self.updates = Counter("saqbol_updates", "Updates received from Telegram, by type (message, callback_query, ...).",
                               ["type"], registry=self.registry)
        self.checks = Counter("saqbol_checks", "Texts checked and answered with a verdict, by risk, scheme and language.",
                              ["risk", "scheme", "language"], registry=self.registry)
        self.classify_seconds = Histogram("saqbol_classify_seconds",
                                          "Seconds from handing a text to the classifier to its verdict "
                                          "(the wait for a batch included).",
                                          buckets=CLASSIFY_BUCKETS, registry=self.registry)
        self.deliveries = Counter("saqbol_deliveries", "Police alert sends, by Telegram's answer: sent, blocked (403), "
                                  "not_found, failed, or retried (429, 5xx, network).", ["status"], registry=self.registry)
        self.waves_detected = Counter("saqbol_waves_detected", "Waves found: a new scam pattern reaching enough "
                                      "distinct people.", registry=self.registry)
        self.scrape_errors = Counter("saqbol_scrape_errors", "Gauges that could not be read during a scrape (their "
                                     "value is then NaN), by gauge.", ["gauge"], registry=self.registry)
        for status in DELIVERY_STATUSES:  # 0 from the start: a rate over a series that appears later misses its first
            self.deliveries.labels(status)
        self._gauges: dict[str, Gauge] = {}

    # --- events ---------------------------------------------------------------------------

    def updated(self, kind: str) -> None:
        """One update of ``kind`` (aiogram's `Update.event_type`: a fixed list of names)."""
        self.updates.labels(kind).inc()

    def checked(self, risk: str, scheme: str | None, language: str) -> None:
        """One verdict given; label values outside their small sets are counted as 'other'."""
        self.checks.labels(
            risk if risk in RISKS else "other",
            "none" if scheme is None else scheme if scheme in self.schemes else "other",
            language if language in LANGUAGES else "other",
        ).inc()

    @contextlib.contextmanager
    def classifying(self) -> Iterator[None]:
        """Times the block into ``saqbol_classify_seconds``; a call that raised (an empty text)
        is not a verdict and is left out."""
        started = time.perf_counter()
        yield
        self.classify_seconds.observe(time.perf_counter() - started)

    def delivered(self, status: str, count: int = 1) -> None:
        """``count`` sends that ended with ``status`` (one of `DELIVERY_STATUSES`)."""
        if status not in DELIVERY_STATUSES:
            raise ValueError(f"unknown delivery status {status!r}: use one of {', '.join(DELIVERY_STATUSES)}")
        self.deliveries.labels(status).inc(count)

    # --- scraping -------------------------------------------------------------------------

    def _gauge(self, name: str) -> Gauge:
        """The gauge ``saqbol_<name>``, registered the first time it has a reader (so a gauge
        nobody can read yet is absent rather than a misleading 0)."""
        gauge = self._gauges.get(name)
        if gauge is None:
            if name not in GAUGES:
                raise ValueError(f"no gauge {name!r}: add it to bot.metrics.GAUGES with its help text first")
            gauge = self._gauges[name] = Gauge(f"saqbol_{name}", GAUGES[name], registry=self.registry)
            self.scrape_errors.labels(name)  # 0 until its first failure
        return gauge

    async def collect(self, readers: Mapping[str, Reader], timeout: float = SCRAPE_TIMEOUT) -> None:
        """Reads every gauge at once, each within ``timeout`` seconds; one that fails or is late
        is NaN and counted in ``saqbol_scrape_errors_total``, with one log line."""
        gauges = {name: self._gauge(name) for name in readers}

        async def read(name: str) -> None:
            try:
                async with asyncio.timeout(timeout):
                    value = float(await readers[name]())
            except Exception as exc:  # noqa: BLE001 - any failure means "unknown", the scrape goes on
                reason = f"no answer within {timeout:g} s" if isinstance(exc, TimeoutError) else f"{type(exc).__name__}: {exc}"
                log.warning("/metrics: gauge %s not read (%s); it is NaN in this scrape", name, reason)
                self.scrape_errors.labels(name).inc()
                value = math.nan
            gauges[name].set(value)

        await asyncio.gather(*(read(name) for name in readers))

    def exposition(self) -> bytes:
        """The registry in Prometheus' text format, as it stands now."""
        return generate_latest(self.registry)

    async def scrape(self, readers: Mapping[str, Reader], timeout: float = SCRAPE_TIMEOUT) -> bytes:
        """What GET /metrics answers: the gauges read now, then every series."""
        await self.collect(readers, timeout)
        return self.exposition()
