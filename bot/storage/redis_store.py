"""The shared Redis, when ``REDIS_URL`` is set: what several bot processes must agree on.

One process keeps its dialogs, flood counters, the alerts' rate limit, the conversation
memory and the report offers in its own memory; replicas behind a load balancer cannot, since
each update may land on any of them. With ``REDIS_URL`` they keep them in one Redis instead
(`RedisStore`), and where a decision must be taken by one of them at a time (a flood count, a
token of the send rate) it is taken inside Redis by a Lua script, atomically, on the server's
clock (``TIME``), so the replicas' own clocks never matter.

Every key starts with `PREFIX`, so a Redis shared with another service can still be read.
The Lua scripts live next to the code they serve (throttling, the alerts' rate limit, the
conversation memory) and are registered here once per connection (`RedisStore.script`):
``EVALSHA`` with the script's hash, the source sent again only after a Redis restart.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

from redis.asyncio import Redis
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

PREFIX = "saqbol:"
CONNECT_TIMEOUT = 5.0  # seconds to reach Redis at start
COMMAND_TIMEOUT = 2.0  # seconds one command may take before the caller's fallback applies

REDIS_FAULTS: tuple[type[BaseException], ...] = (RedisError, OSError, TimeoutError)
"""What a call to Redis raises when Redis is down, restarting or too slow: the callers that
can go on without it (the flood gate lets the update through; the rate limit falls back to
this process's bucket) catch exactly these."""


class RedisDown(ConnectionError):
    """A Redis call failed mid-run, as the storage's callers see it: a ``ConnectionError`` (so
    an ``OSError``), which `bot.storage.database.STORAGE_FAULTS` already covers, so the answer
    path's `best_effort` answers without the conversation memory instead of failing."""


@contextlib.contextmanager
def as_storage_fault(where: str) -> Iterator[None]:
    """Redis's own errors turned into `RedisDown` for the code that treats storage faults."""
    try:
        yield
    except RedisError as exc:
        raise RedisDown(f"Redis at {where} failed: {type(exc).__name__}: {exc}") from exc


class RedisUnavailable(RuntimeError):
    """Redis could not be reached at start; the message says what to check."""


def _where(url: str) -> str:
    """The URL without its password, for messages and logs."""
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        rest = "***@" + rest.rsplit("@", 1)[1]
    return f"{scheme}{sep}{rest}"


class RedisStore:
    """One `redis.asyncio.Redis` client (a connection pool) and the scripts registered on it."""

    def __init__(self, redis: Redis, url: str = "") -> None:
        self.redis = redis
        self.where = _where(url) if url else "redis"
        self._scripts: dict[str, AsyncScript] = {}

    @classmethod
    async def open(cls, url: str) -> RedisStore:
        """Connect and check that Redis answers, or raise `RedisUnavailable` with advice: a bot
        whose replicas cannot share their state must not start as if it could."""
        redis = Redis.from_url(url, socket_connect_timeout=CONNECT_TIMEOUT, socket_timeout=COMMAND_TIMEOUT,
                               health_check_interval=30)
        store = cls(redis, url)
        try:
            await redis.ping()
        except REDIS_FAULTS as exc:
            await redis.aclose()
            raise RedisUnavailable(
                f"cannot reach Redis at {store.where} ({type(exc).__name__}: {exc}). Start it "
                "(`redis-server`, or the `redis` service of deploy/docker-compose.yml), check REDIS_URL, "
                "or unset REDIS_URL to keep everything in this one process's memory."
            ) from exc
        log.info("shared state in Redis at %s", store.where)
        return store

    def script(self, source: str) -> AsyncScript:
        """The script of this Lua source, registered once on this connection (called with
        ``await store.script(LUA)(keys=[...], args=[...])``)."""
        found = self._scripts.get(source)
        if found is None:
            found = self._scripts[source] = self.redis.register_script(source)
        return found

    async def ping(self) -> bool:
        """Whether Redis answers now (the readiness check)."""
        try:
            return bool(await self.redis.ping())
        except REDIS_FAULTS:
            return False

    async def close(self) -> None:
        await self.redis.aclose()


def key(*parts: Any) -> str:
    """``key("flood", 42)`` -> ``"saqbol:flood:42"``."""
    return PREFIX + ":".join(str(p) for p in parts)
