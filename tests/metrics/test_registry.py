"""`Metrics` itself: a registry per instance, label values from fixed lists only, and the
failures a caller can make said plainly."""

from __future__ import annotations

import asyncio

import pytest

from bot.metrics import Metrics
from tests.support.scrape import Scrape


def scrape(metrics: Metrics) -> Scrape:
    return Scrape.parse(metrics.exposition().decode())


def test_two_metrics_never_share_a_counter():
    first, second = Metrics({"bank_security_call"}), Metrics({"bank_security_call"})
    first.checked("high", "bank_security_call", "kk")
    first.updated("message")
    assert first.registry is not second.registry
    assert scrape(first).value("saqbol_checks_total", risk="high", scheme="bank_security_call", language="kk") == 1
    assert scrape(second).total("saqbol_checks_total") == 0 and scrape(second).total("saqbol_updates_total") == 0


def test_a_scheme_or_language_outside_the_fixed_lists_is_counted_as_other_never_as_itself():
    metrics = Metrics({"bank_security_call"})
    metrics.checked("high", "a_scheme_removed_since", "kk")
    metrics.checked("medium", None, "ru")
    metrics.checked("high", "bank_security_call", "Здравствуйте, продиктуйте код")
    got = scrape(metrics)
    assert got.value("saqbol_checks_total", risk="high", scheme="other", language="kk") == 1
    assert got.value("saqbol_checks_total", risk="medium", scheme="none", language="ru") == 1
    assert got.value("saqbol_checks_total", risk="high", scheme="bank_security_call", language="other") == 1
    assert "a_scheme_removed_since" not in got.text and "Здравствуйте" not in got.text


def test_an_unknown_delivery_status_is_refused_naming_the_ones_to_use():
    with pytest.raises(ValueError, match="sent, blocked, not_found, failed, retried"):
        Metrics().delivered("sending")


def test_a_classifier_call_that_raised_is_not_timed_as_a_verdict():
    metrics = Metrics()
    with metrics.classifying():
        pass
    with pytest.raises(ValueError), metrics.classifying():
        raise ValueError("nothing to check")
    assert scrape(metrics).value("saqbol_classify_seconds_count") == 1


def test_a_gauge_without_a_reader_is_absent_and_one_that_fails_is_nan_with_a_scrape_error():
    metrics = Metrics()

    async def queue() -> float:
        return 4

    async def broken() -> float:
        raise ConnectionResetError("the database went away")

    asyncio.run(metrics.collect({"review_queue": queue, "subscribers": broken}, timeout=0.5))
    got = scrape(metrics)
    assert got.value("saqbol_review_queue") == 4
    assert got.is_nan("saqbol_subscribers") and got.value("saqbol_scrape_errors_total", gauge="subscribers") == 1
    assert not got.has("saqbol_waves_open")  # nobody reads it: absent, not a 0 that looks true
    with pytest.raises(ValueError, match="bot.metrics.GAUGES"):
        asyncio.run(metrics.collect({"queue_of_everything": queue}))
