"""A flood from one user is slowed down without touching anybody else.

A sliding window per user: more than `limit` updates in `window` seconds and the rest are
not processed. The user gets one notice per window (so the notice is not a flood of its
own) and is told to send the important message again once it is over. Checked first, so a
flood costs no database or classifier work.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update, User
from aiogram.utils.i18n import I18n

from bot.i18n import both

_PRUNE_EVERY = 10_000  # decisions between sweeps of users who went quiet
Decision = Literal["handle", "notify", "drop"]


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


class ThrottlingMiddleware(BaseMiddleware):
    def __init__(self, i18n: I18n, limit: int, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.i18n = i18n
        self.gate = FloodGate(limit, window)
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
