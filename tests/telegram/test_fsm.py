"""Dialogs in Redis (bot/telegram/fsm.py): aiogram's RedisStorage and its per-chat lock shared by
the replicas, on a real redis-server, and failing open when Redis cannot be reached."""

from __future__ import annotations

import asyncio
import logging

import pytest
from aiogram.fsm.storage.base import StorageKey

from bot.telegram.fsm import DIALOG_TTL, SharedStorage

KEY = StorageKey(bot_id=7000000001, chat_id=8401, user_id=8401)


async def test_a_state_set_on_one_replica_is_read_on_the_other_and_expires_with_the_dialog(redis_stores):
    first, second = (SharedStorage(store) for store in redis_stores)
    await first.set_state(KEY, "ReportFlow:waiting")
    await first.set_data(KEY, {"text_kk": "Полиция ескертуі", "text_ru": "Предупреждение полиции"})
    assert await second.get_state(KEY) == "ReportFlow:waiting"
    assert await second.get_data(KEY) == {"text_kk": "Полиция ескертуі", "text_ru": "Предупреждение полиции"}
    ttls = [await redis_stores[0].redis.ttl(k) for k in await redis_stores[0].redis.keys("saqbol:fsm:*")]
    assert len(ttls) == 2 and all(0 < ttl <= DIALOG_TTL for ttl in ttls)


async def test_one_update_of_a_chat_at_a_time_across_replicas(redis_stores):
    first, second = (SharedStorage(store).create_isolation() for store in redis_stores)
    order: list[str] = []

    async def handle(isolation, name: str) -> None:
        async with isolation.lock(KEY):
            order.append(f"{name} in")
            await asyncio.sleep(0.2)
            order.append(f"{name} out")

    await asyncio.gather(handle(first, "a"), handle(second, "b"))
    assert order in (["a in", "a out", "b in", "b out"], ["b in", "b out", "a in", "a out"])


async def test_closing_the_dispatchers_storage_leaves_the_shared_connection_open(redis_stores):
    await SharedStorage(redis_stores[0]).close()
    assert await redis_stores[0].redis.ping()


async def test_without_redis_an_update_is_handled_outside_any_dialog_and_the_outage_logged_once(caplog,
                                                                                              unreachable_redis):
    storage = SharedStorage(unreachable_redis)
    isolation = storage.create_isolation()
    with caplog.at_level(logging.ERROR, logger="bot.telegram.fsm"):
        for _ in range(3):
            async with isolation.lock(KEY):
                assert await storage.get_state(KEY) is None
                assert await storage.get_data(KEY) == {}
    assert sum("without Redis" in r.getMessage() for r in caplog.records) == 2  # the state, the lock: once each
