"""Hands the repositories to handlers and loads the user's stored settings.

Handlers declare `users: UsersRepo`, `checks: ChecksRepo` or `user_record: UserRecord | None`
as parameters; nothing reaches for a global connection.

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

from bot.telegram.middlewares.sanitize import sanitized

from bot.storage import ChecksRepo, Database, UsersRepo
from bot.alerts.repository import BroadcastsRepo
from bot.storage.database import best_effort
from bot.storage.roles import RolesRepo
from bot.storage.stats import StatsRepo
from bot.storage.subscriptions import SubscriptionsRepo


class StorageMiddleware(BaseMiddleware):
    def __init__(self, db: Database, superadmins: frozenset[int]) -> None:
        self.users = UsersRepo(db)
        self.checks = ChecksRepo(db)
        self.roles = RolesRepo(db, superadmins)
        self.subscriptions = SubscriptionsRepo(db)
        self.broadcasts = BroadcastsRepo(db)
        self.stats = StatsRepo(db)

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        data["users"] = self.users
        data["checks"] = self.checks
        data["roles"] = self.roles
        data["subscriptions"] = self.subscriptions
        data["broadcasts"] = self.broadcasts
        data["stats_repo"] = self.stats
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
            data["user_record"] = await best_effort(self.users.touch(user.id), f"touch of user {user.id}")
        return await handler(event, data)
