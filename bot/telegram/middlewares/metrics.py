"""Counts every update by its type in the bot's metrics (``saqbol_updates_total``).

Registered after the inbox (`bot.app.dispatcher.create_dispatcher`): an update Telegram sends
again after a crash, which the inbox answers with silence, is counted once, as it was handled
once; one the flood gate then turns away is still counted, as it did reach the bot. Only the
type is a label (aiogram's fixed list: message, callback_query, ...): never a user or a chat.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update
from aiogram.types.update import UpdateTypeLookupError

from bot.metrics import Metrics


class MetricsMiddleware(BaseMiddleware):
    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    async def __call__(self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
                       event: TelegramObject, data: dict[str, Any]) -> Any:
        if isinstance(event, Update):
            try:
                kind = event.event_type
            except UpdateTypeLookupError:  # a kind newer than this aiogram: still an update
                kind = "unknown"
            self.metrics.updated(kind)
        return await handler(event, data)
