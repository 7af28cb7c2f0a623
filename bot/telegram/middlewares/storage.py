"""Hands the repositories to handlers and loads the user's stored settings.

Handlers declare `repos: Repositories` or `user_record: UserRecord | None` as parameters
(`bot/telegram/context.py` lists every name); nothing reaches for a global connection.

Storage must never cost the answer: when `users.touch` fails (a locked database, a full
disk, a read-only file) the update is handled with `user_record` None after one log line.
Only people who talk to the bot in a private chat are stored: a group's members are not its
users. Text with lone surrogates is cleaned here first (`sanitize`), before anything stores
or sends it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.middlewares.user_context import EVENT_CHAT_KEY, EVENT_FROM_USER_KEY, UserContextMiddleware
from aiogram.enums import ChatType
from aiogram.types import Chat, TelegramObject, Update, User

from bot.storage import Repositories
from bot.storage.database import best_effort
from bot.telegram.middlewares.sanitize import sanitized


class StorageMiddleware(BaseMiddleware):
    def __init__(self, repos: Repositories) -> None:
        self.repos = repos

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        data["repos"] = self.repos
        if isinstance(event, Update):
            clean = sanitized(event, data.get("bot"))
            if clean is not event:
                event = clean
                context = UserContextMiddleware.resolve_event_context(clean)
                data[EVENT_FROM_USER_KEY], data[EVENT_CHAT_KEY] = context.user, context.chat
        user: User | None = data.get(EVENT_FROM_USER_KEY)
        chat: Chat | None = data.get(EVENT_CHAT_KEY)
        data["user_record"] = None
        if user is not None and not user.is_bot and (chat is None or chat.type == ChatType.PRIVATE):
            data["user_record"] = await best_effort(self.repos.users.touch(user.id), f"touch of user {user.id}")
        return await handler(event, data)
