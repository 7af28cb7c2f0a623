"""The token bucket of the broadcast engine, on a clock the tests move by hand; and the
throttle's waits, which a stop must end at once."""

from __future__ import annotations

import asyncio
import math
import time

import pytest

from bot.alerts.ratelimit import Throttle, TokenBucket


def drain(bucket: TokenBucket, now: float) -> int:
    """How many tokens can be taken at this instant."""
    taken = 0
    while bucket.take(now) == 0.0:
        taken += 1
    return taken


def sends_over(bucket: TokenBucket, seconds: float, start: float = 0.0) -> list[float]:
    """The moments of every send when a sender takes each token as soon as it is due."""
    now, moments = start, []
    while now < start + seconds:
        wait = bucket.take(now)
        if wait == 0.0:
            moments.append(now)
        else:
            now += wait
    return moments


def test_a_new_bucket_gives_one_token_then_the_steady_rate():
    bucket = TokenBucket(25.0)
    assert drain(bucket, 0.0) == 1
    assert bucket.take(0.0) == pytest.approx(1 / 25)


def test_an_idle_bucket_gives_its_burst_at_once_then_waits():
    bucket = TokenBucket(25.0)
    assert drain(bucket, 60.0) == 5  # 0.2 s worth at 25/s
    assert bucket.take(60.0) == pytest.approx(1 / 25)


def test_the_burst_is_never_more_than_one_second_worth():
    for rate in (0.5, 1.0, 25.0, 1000.0):
        bucket = TokenBucket(rate)
        assert drain(bucket, 0.0) <= max(1.0, rate)
        assert drain(bucket, 3600.0) <= max(1.0, rate)  # an hour idle saves no more


def test_a_burst_over_one_second_worth_is_refused():
    with pytest.raises(ValueError, match="1 s worth"):
        TokenBucket(25.0, burst=26.0)


@pytest.mark.parametrize("rate", [0.0, -1.0, math.nan])
def test_a_rate_that_is_not_positive_is_refused(rate):
    with pytest.raises(ValueError, match="above 0"):
        TokenBucket(rate)


@pytest.mark.parametrize("rate", [1.0, 20.0, 25.0, 1000.0])
def test_the_steady_rate_is_the_rate(rate):
    moments = sends_over(TokenBucket(rate), seconds=10.0)
    measured = (len(moments) - 1) / (moments[-1] - moments[0])
    assert measured == pytest.approx(rate, rel=1e-6)


def test_no_one_second_window_holds_more_than_rate_plus_burst():
    bucket = TokenBucket(25.0)
    moments = sends_over(bucket, seconds=5.0, start=60.0)  # after an idle minute: a full burst first
    most = max(sum(1 for m in moments if start <= m < start + 1.0) for start in moments)
    assert most <= 25 + bucket.burst
    assert most <= 30  # Telegram's limit for a bot


def test_tokens_accrue_while_idle_up_to_the_burst():
    bucket = TokenBucket(10.0, burst=4.0)
    drain(bucket, 0.0)
    assert drain(bucket, 0.2) == 2
    assert drain(bucket, 10.0) == 4


def test_the_wait_is_exactly_until_the_next_token():
    bucket = TokenBucket(4.0, burst=1.0)
    assert bucket.take(0.0) == 0.0
    wait = bucket.take(0.1)
    assert wait == pytest.approx(0.15)
    assert bucket.take(0.1 + wait) == 0.0


def test_a_pause_holds_every_token_until_it_ends():
    bucket = TokenBucket(25.0)
    bucket.pause_until(2.0)
    assert bucket.take(0.0) == pytest.approx(2.0 + 1 / 25)
    assert bucket.take(1.999) == pytest.approx(0.001 + 1 / 25)
    assert bucket.take(2.0 + 1 / 25) == 0.0


def test_after_a_pause_nothing_is_saved_up_the_refused_call_goes_first():
    bucket = TokenBucket(25.0)
    drain(bucket, 0.0)
    bucket.pause_until(5.0)  # five seconds would otherwise save up a full burst
    assert bucket.take(5.0) == pytest.approx(1 / 25)  # the refused call resends on its own token
    assert drain(bucket, 5.0 + 1 / 25) == 1


def test_a_shorter_pause_does_not_cut_a_longer_one():
    bucket = TokenBucket(25.0)
    bucket.pause_until(3.0)
    bucket.pause_until(1.0)
    assert bucket.take(2.0) == pytest.approx(1.0 + 1 / 25)


def test_an_unlimited_bucket_never_waits_but_honours_a_pause():
    bucket = TokenBucket(math.inf)
    assert all(bucket.take(0.0) == 0.0 for _ in range(10_000))
    bucket.pause_until(1.0)
    assert bucket.take(0.5) == pytest.approx(0.5)
    assert all(bucket.take(1.0) == 0.0 for _ in range(10_000))


async def test_a_stop_ends_a_wait_for_a_token_during_a_long_pause_without_taking_one():
    """A shutdown (SIGTERM, docker stop's 10 s) must not sit out a 30 s 429 pause."""
    throttle = Throttle(25.0, 1000.0)
    throttle.pause(30.0)
    stop = asyncio.Event()
    waiting = asyncio.create_task(throttle.acquire(False, stop=stop))
    queued = asyncio.create_task(throttle.acquire(False, stop=stop))  # behind it on the lock
    await asyncio.sleep(0.05)
    assert not waiting.done() and not queued.done()

    started = time.monotonic()
    stop.set()

    assert await asyncio.wait_for(asyncio.gather(waiting, queued), 1.0) == [False, False]
    assert time.monotonic() - started < 0.5
    assert throttle.paused


async def test_waiting_out_a_pause_returns_true_when_it_ends_and_false_when_stopped():
    throttle = Throttle(25.0, 1000.0)
    throttle.pause(0.1)
    started = time.monotonic()
    assert await throttle.wait_out_pause(asyncio.Event()) is True
    assert time.monotonic() - started >= 0.09 and not throttle.paused

    throttle.pause(30.0)
    stopped = asyncio.Event()
    stopped.set()
    assert await throttle.wait_out_pause(stopped) is False
