"""The flood limit shared by replicas (`RedisFloodGate`), on a real redis-server: the count is
one for all processes, the decisions are `FloodGate`'s, and a Redis outage lets users through."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter

import pytest

from bot.storage.redis_store import RedisStore, RedisUnavailable
from bot.telegram.middlewares.throttling import FloodGate, RedisFloodGate
from tests.support.servers import free_port


async def test_two_replicas_let_one_user_through_twenty_times_per_ten_seconds_in_all_not_forty(redis_stores):
    first, second = (RedisFloodGate(store, limit=20, window=10) for store in redis_stores)
    decisions = [await (first if i % 2 else second).decide(7) for i in range(60)]
    assert decisions == ["handle"] * 20 + ["notify"] + ["drop"] * 39


async def test_concurrent_updates_on_both_replicas_are_counted_exactly(redis_stores):
    """Sixty updates at once, thirty through each replica: the script is atomic, so exactly twenty pass."""
    gates = [RedisFloodGate(store, limit=20, window=10) for store in redis_stores]
    decisions = await asyncio.gather(*(gates[i % 2].decide(8) for i in range(60)))
    assert Counter(decisions) == {"handle": 20, "notify": 1, "drop": 39}


async def test_a_flooding_user_does_not_slow_down_another_on_the_other_replica(redis_stores):
    first, second = (RedisFloodGate(store, limit=2, window=10) for store in redis_stores)
    for _ in range(5):
        await first.decide(1)
    assert await second.decide(2) == "handle"
    assert await second.decide(1) == "drop"


async def test_the_shared_window_slides_like_the_in_memory_one(redis_stores):
    """The same pattern through both gates: FloodGate on chosen times, Redis on its own clock."""
    window = 0.4
    shared = RedisFloodGate(redis_stores[0], limit=2, window=window)
    local = FloodGate(limit=2, window=window)
    loop = asyncio.get_running_loop()
    start = loop.time()
    got, expected = [], []
    for pause in (0, 0.05, 0.05, 0.05, 0.5, 0.01):  # 3rd over the limit, 4th a repeat, 5th after the window
        await asyncio.sleep(pause)
        got.append(await shared.decide(3))
        expected.append(local.decide(3, loop.time() - start))
    assert got == expected == ["handle", "handle", "notify", "drop", "handle", "handle"]


async def test_one_notice_per_window_across_replicas(redis_stores):
    first, second = (RedisFloodGate(store, limit=1, window=0.3) for store in redis_stores)
    assert [await first.decide(4), await second.decide(4), await first.decide(4)] == ["handle", "notify", "drop"]
    await asyncio.sleep(0.35)
    assert [await second.decide(4), await first.decide(4), await second.decide(4)] == ["handle", "notify", "drop"]


async def test_quiet_users_leave_no_keys_behind(redis_stores, redis_url):
    gate = RedisFloodGate(redis_stores[0], limit=1, window=0.2)
    for _ in range(3):
        await gate.decide(5)
    await asyncio.sleep(0.3)
    assert await redis_stores[0].redis.keys("saqbol:flood:*") == []


async def test_when_redis_fails_mid_run_updates_are_let_through_and_it_is_logged_once(caplog, unreachable_redis):
    """A real connection refused (nothing listens on the port), not a stand-in."""
    gate = RedisFloodGate(unreachable_redis, limit=1, window=10)
    with caplog.at_level(logging.ERROR, logger="bot.telegram.middlewares.throttling"):
        decisions = [await gate.decide(6) for _ in range(5)]
    assert decisions == ["handle"] * 5
    assert sum("flood limit off" in r.getMessage() for r in caplog.records) == 1


async def test_a_bot_told_to_use_an_unreachable_redis_refuses_to_start_and_says_what_to_do():
    with pytest.raises(RedisUnavailable, match="unset REDIS_URL"):
        await RedisStore.open(f"redis://:secret@127.0.0.1:{free_port()}/0")


async def test_the_password_of_the_redis_url_is_never_shown():
    with pytest.raises(RedisUnavailable) as exc:
        await RedisStore.open(f"redis://:hunter2@127.0.0.1:{free_port()}/0")
    assert "hunter2" not in str(exc.value) and "***@127.0.0.1" in str(exc.value)
