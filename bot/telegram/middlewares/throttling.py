"""A flood from one user is slowed down without touching anybody else.

A sliding window per user: more than `limit` updates in `window` seconds and the rest are
not processed. The user gets one notice per window (so the notice is not a flood of its
own) and is told to send the important message again once it is over. Checked first, so a
flood costs no database or classifier work.

Two gates take the same decisions: `FloodGate`, in this process's memory (one process), and
`RedisFloodGate`, when ``REDIS_URL`` is set: the count is shared by every replica, so a user
whose updates the load balancer spreads over three processes still gets 20 per 10 s, not 60.
Its whole decision is one Lua script (`FLOOD_LUA`), atomic in Redis and timed by Redis's own
clock. If Redis fails mid-run, the update is let through (logged once until Redis is back):
losing the flood limit for a while is better than dropping every user's messages.
"""

from __future__ import annotations

import itertools
import logging
import os
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update, User
from aiogram.utils.i18n import I18n

from bot.i18n import both
from bot.storage.redis_store import REDIS_FAULTS, RedisStore, key

log = logging.getLogger(__name__)

_PRUNE_EVERY = 10_000  # decisions between sweeps of users who went quiet
Decision = Literal["handle", "notify", "drop"]
DECISIONS: tuple[Decision, ...] = ("handle", "notify", "drop")


class FloodGate:
    """The counting, apart from Telegram: per user, a sliding window, one notice per window."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._hits: dict[int, deque[float]] = {}
        self._notified_at: dict[int, float] = {}
        self._decisions = 0

    def decide(self, user_id: int, now: float) -> Decision:
        self._decisions += 1
        if self._decisions % _PRUNE_EVERY == 0:
            self._prune(now)
        hits = self._hits.setdefault(user_id, deque())
        while hits and now - hits[0] >= self.window:
            hits.popleft()
        if len(hits) < self.limit:
            hits.append(now)
            return "handle"
        if now - self._notified_at.get(user_id, -self.window) >= self.window:
            self._notified_at[user_id] = now
            return "notify"
        return "drop"

    def _prune(self, now: float) -> None:
        stale = [uid for uid, hits in self._hits.items() if not hits or now - hits[-1] >= self.window]
        for uid in stale:
            del self._hits[uid]
            self._notified_at.pop(uid, None)


FLOOD_LUA = """
-- KEYS[1]: the user's hits (sorted set, score = microseconds of Redis's clock)
-- KEYS[2]: the user's notice mark; ARGV: limit, window (microseconds), a unique member
-- Returns 0 handle, 1 notify, 2 drop: FloodGate's decision, taken once for all replicas.
redis.replicate_commands()
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local window_ms = math.ceil(window / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window_ms)
  return 0
end
if redis.call('SET', KEYS[2], '1', 'PX', window_ms, 'NX') then
  return 1
end
return 2
"""


class RedisFloodGate:
    """`FloodGate` shared by every process through Redis: the same window, limit and one notice
    per window, counted on Redis's clock (``TIME``), so replicas whose clocks differ still agree.

    A hit older than ``window`` is out (as in `FloodGate`: ``now - hit >= window``); each user's
    keys expire one window after their last hit, so quiet users cost Redis nothing."""

    def __init__(self, store: RedisStore, limit: int, window: float) -> None:
        self.store = store
        self.limit = limit
        self.window = window
        self._script = store.script(FLOOD_LUA)
        self._member = f"{os.getpid()}-{id(self):x}-"  # + a counter: members never collide across replicas
        self._counter = itertools.count()
        self._failing = False

    async def decide(self, user_id: int) -> Decision:
        """The decision for one more update of ``user_id``; "handle" when Redis cannot be asked."""
        tag = f"{{{user_id}}}"  # both keys in one hash slot (Redis Cluster runs the script then too)
        try:
            code = await self._script(
                keys=[key("flood", tag, "hits"), key("flood", tag, "notice")],
                args=[self.limit, round(self.window * 1_000_000), f"{self._member}{next(self._counter)}"],
            )
        except REDIS_FAULTS as exc:
            if not self._failing:
                self._failing = True
                log.error("flood limit off: Redis at %s failed (%s: %s); updates are let through until it "
                          "answers again", self.store.where, type(exc).__name__, exc)
            return "handle"
        if self._failing:
            self._failing = False
            log.warning("flood limit on again: Redis at %s answers", self.store.where)
        return DECISIONS[int(code)]


class ThrottlingMiddleware(BaseMiddleware):
    """Asks the flood gate about every update that has a user: ``shared`` (Redis, all replicas)
    when given, else this process's `FloodGate` on ``clock``."""

    def __init__(self, i18n: I18n, limit: int, window: float, clock: Callable[[], float] = time.monotonic,
                 shared: RedisFloodGate | None = None) -> None:
        self.i18n = i18n
        self.gate = FloodGate(limit, window)
        self.shared = shared
        self.clock = clock

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None or not isinstance(event, Update):
            return await handler(event, data)
        if self.shared is not None:
            decision = await self.shared.decide(user.id)
        else:
            decision = self.gate.decide(user.id, self.clock())
        if decision == "handle":
            return await handler(event, data)
        if decision == "notify":
            await self._notify(event)
        return None

    async def _notify(self, update: Update) -> None:
        text = both(self.i18n, "You are sending too many messages in a row. Wait a few seconds "
                               "and send the most important one again.")
        if update.callback_query:
            await update.callback_query.answer(text[:200], show_alert=True)
        elif update.message:
            await update.message.answer(text)
