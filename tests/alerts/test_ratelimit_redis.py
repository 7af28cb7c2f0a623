"""The alerts' rate limit shared by several sender processes (`SharedRate`), on a real
redis-server: together they stay under the cap, and a 429 met by one pauses them all."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.alerts.ratelimit import BURST_SECONDS, SharedRate, Throttle

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def redis_replicas() -> int:
    """Four connections to one Redis (`redis_stores`): four sender processes' worth. (Who gets
    a token is whoever asks first once it is due: the shares of the senders are not equal, their
    sum is the rate.)"""
    return 4


async def take_for(throttle: Throttle, seconds: float, paid: bool = False) -> list[float]:
    """The moments (loop time) this throttle gave a token, asking as fast as it allows."""
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    moments: list[float] = []
    while await throttle.acquire(paid, lambda: loop.time() < end):
        moments.append(loop.time())
    return moments


async def test_four_senders_sharing_the_bucket_send_the_rate_of_one_not_four(redis_stores):
    rate, seconds = 40.0, 2.0
    throttles = [Throttle(rate, 1000.0, shared=SharedRate(store)) for store in redis_stores]
    taken = await asyncio.gather(*(take_for(t, seconds) for t in throttles))
    total = sum(len(m) for m in taken)
    burst = rate * BURST_SECONDS
    assert total <= rate * seconds + burst + 1  # the cap, for all four together
    assert total >= 0.9 * rate * seconds  # and the rate is used, not wasted


async def test_no_second_of_the_shared_sending_holds_more_than_the_rate_and_its_burst(redis_stores):
    rate = 30.0
    throttles = [Throttle(rate, 1000.0, shared=SharedRate(store)) for store in redis_stores]
    moments = sorted(m for ms in await asyncio.gather(*(take_for(t, 2.5) for t in throttles)) for m in ms)
    busiest = max(sum(1 for m in moments if start <= m < start + 1.0) for start in moments)
    assert busiest <= rate + rate * BURST_SECONDS + 1  # 30/s + 6: never Telegram's 30 for long


def test_three_sender_processes_together_stay_under_the_cap(redis_url):
    """Real processes, each with its own connection, event loop and clock, for two seconds."""
    rate, seconds = 30.0, 2.0
    start = time.time() + 2.0  # after the three have imported and connected
    children = [subprocess.Popen(
        [sys.executable, "-m", "tests.alerts.ratelimit_child", redis_url, str(rate), str(start), str(start + seconds)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True) for _ in range(3)]
    answers = [child.communicate(timeout=60)[0].split() for child in children]
    assert all(child.returncode == 0 for child in children)
    counts = [int(taken) for taken, _ in answers]
    first = min(float(began) for _, began in answers)  # the busy machine may start them late
    assert sum(counts) <= rate * seconds + rate * BURST_SECONDS + 1
    assert sum(counts) >= 0.9 * rate * (start + seconds - first)


async def test_a_429_met_by_one_sender_pauses_every_sender(redis_stores):
    first, second = (Throttle(25.0, 1000.0, shared=SharedRate(store)) for store in redis_stores[:2])
    assert await first.acquire(False) and await second.acquire(True)
    first.pause(0.6)  # Telegram told the first "retry after": the second must wait too, paid or not
    assert first.paused
    loop = asyncio.get_running_loop()
    began = loop.time()
    await first.acquire(False)  # publishes the pause before taking
    assert await second.acquire(True)
    assert loop.time() - began >= 0.55
    assert not second.paused


async def test_a_sender_that_hears_of_another_s_pause_waits_it_out_and_reports_it(redis_stores):
    first, second = (Throttle(25.0, 1000.0, shared=SharedRate(store)) for store in redis_stores[:2])
    await SharedRate(redis_stores[0]).pause(0.5)
    assert await second._pause_left() > 0.3 and second.paused
    loop = asyncio.get_running_loop()
    began = loop.time()
    assert await first.wait_out_pause()
    assert loop.time() - began >= 0.4


async def test_a_shorter_429_does_not_shorten_a_longer_pause(redis_stores):
    shared = SharedRate(redis_stores[0])
    assert await shared.pause(5.0) == pytest.approx(5.0, abs=0.1)
    assert await shared.pause(1.0) == pytest.approx(5.0, abs=0.1)


async def test_a_stop_ends_the_wait_for_a_shared_pause_at_once(redis_stores):
    throttle = Throttle(25.0, 1000.0, shared=SharedRate(redis_stores[0]))
    await SharedRate(redis_stores[1]).pause(30.0)
    stop = asyncio.Event()
    asyncio.get_running_loop().call_later(0.1, stop.set)
    began = time.monotonic()
    assert await throttle.acquire(False, stop=stop) is False
    assert time.monotonic() - began < 2.0


async def test_when_redis_is_unreachable_a_sender_goes_on_at_its_own_rate_and_logs_it_once(caplog, unreachable_redis):
    throttle = Throttle(20.0, 1000.0, shared=SharedRate(unreachable_redis))
    with caplog.at_level(logging.ERROR, logger="bot.alerts.ratelimit"):
        moments = await take_for(throttle, 1.0)
    assert 15 <= len(moments) <= 20 + 4 + 1
    assert sum("shared rate limit unavailable" in r.getMessage() for r in caplog.records) == 1
