"""Dialogs shared by the replicas: aiogram's own `RedisStorage` and `RedisEventIsolation`, on the
connection `open_deps` opened (REDIS_URL), failing open when Redis fails mid-run.

Why fail open: every update passes through the FSM (its state is read, under a per-chat lock,
before any handler). With Redis down, aiogram's classes would fail every update, and the bot
would answer nobody, although a text to check needs no dialog at all. So, as the flood gate
does, reading the state and taking the lock go on without Redis (logged once until it is back):
the update is handled as outside any dialog, without the per-chat lock. Writing a state still
raises: a handler in the middle of a dialog then says "try again" (the dispatcher's on_error).

The storage does not close the connection: `open_deps` owns it and closes it last, after the
alert engine's last sends, which aiogram's shutdown (closing the FSM storage) comes before.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncGenerator
from typing import Any

from aiogram.fsm.storage.base import DefaultKeyBuilder, StorageKey
from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage
from redis.asyncio.lock import Lock

from bot.storage.redis_store import PREFIX, REDIS_FAULTS, RedisStore

log = logging.getLogger(__name__)

DIALOG_TTL = 3600
"""Seconds a dialog step waits in Redis: an abandoned dialog, or /forget's mark for the next
text, does not stay keyed by the person's id."""


class _Outage:
    """Logs a Redis outage once, and its end once."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.failing = False

    def failed(self, exc: BaseException) -> None:
        if not self.failing:
            self.failing = True
            log.error("%s without Redis (%s: %s) until it answers again", self.what, type(exc).__name__, exc)

    def ok(self) -> None:
        if self.failing:
            self.failing = False
            log.warning("%s in Redis again", self.what)


class SharedStorage(RedisStorage):
    """`RedisStorage` whose reads fail open (no state, no data) and which leaves the connection open."""

    def __init__(self, store: RedisStore, **kwargs: Any) -> None:
        kwargs.setdefault("key_builder", DefaultKeyBuilder(prefix=PREFIX + "fsm", with_bot_id=True))
        kwargs.setdefault("state_ttl", DIALOG_TTL)
        kwargs.setdefault("data_ttl", DIALOG_TTL)
        super().__init__(store.redis, **kwargs)
        self._outage = _Outage("dialogs: updates are handled as outside any dialog")

    async def get_state(self, key: StorageKey) -> str | None:
        try:
            state = await super().get_state(key)
        except REDIS_FAULTS as exc:
            self._outage.failed(exc)
            return None
        self._outage.ok()
        return state

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        try:
            return await super().get_data(key)
        except REDIS_FAULTS as exc:
            self._outage.failed(exc)
            return {}

    def create_isolation(self, **kwargs: Any) -> SharedIsolation:
        return SharedIsolation(self.redis, key_builder=self.key_builder, **kwargs)

    async def close(self) -> None:
        return None  # open_deps closes the connection, last


class SharedIsolation(RedisEventIsolation):
    """One update of a chat at a time across all replicas (a Redis lock, aiogram's); without the
    lock while Redis cannot be reached."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._outage = _Outage("per-chat update lock: updates are handled")

    @contextlib.asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncGenerator[None, None]:
        lock = self.redis.lock(name=self.key_builder.build(key, "lock"), **self.lock_kwargs, lock_class=Lock)
        try:
            held = bool(await lock.acquire())
        except REDIS_FAULTS as exc:
            self._outage.failed(exc)
            held = False
        else:
            self._outage.ok()
        try:
            yield None
        finally:
            if held:
                with contextlib.suppress(*REDIS_FAULTS):  # expired meanwhile (a very slow update), or Redis gone
                    await lock.release()
