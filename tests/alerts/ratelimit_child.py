"""One sender process of the shared rate test: takes tokens from the Redis bucket between two
moments of the wall clock, as fast as it is given them, and prints how many it got and when it began."""

from __future__ import annotations

import asyncio
import sys
import time

from bot.alerts.ratelimit import SharedRate, Throttle
from bot.storage.redis_store import RedisStore


async def main(url: str, rate: float, start: float, end: float) -> tuple[int, float]:
    store = await RedisStore.open(url)
    throttle = Throttle(rate, 1000.0, shared=SharedRate(store))
    await asyncio.sleep(max(0.0, start - time.time()))
    began = time.time()  # later than ``start`` on a machine too busy to import in time
    taken = 0
    while await throttle.acquire(False, lambda: time.time() < end):
        taken += 1
    await store.close()
    return taken, began


if __name__ == "__main__":
    url, rate, start, end = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
    taken, began = asyncio.run(main(url, rate, start, end))
    print(taken, began)
