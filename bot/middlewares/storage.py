"""Hands the repositories to handlers and loads the user's stored settings.

Handlers declare `users: UsersRepo`, `checks: ChecksRepo` or `user_record: UserRecord | None`
as parameters; nothing reaches for a global connection.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User

from bot.storage import ChecksRepo, Database, UsersRepo
from bot.storage.broadcasts import BroadcastsRepo
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
        user: User | None = data.get("event_from_user")
        if user is not None and not user.is_bot:
            data["user_record"] = await self.users.touch(user.id)
        else:
            data["user_record"] = None
        return await handler(event, data)
