"""Role checks for admin commands and buttons, run on every call (never cached)."""

from __future__ import annotations

from aiogram.filters import Filter
from aiogram.types import CallbackQuery, Message

from bot.storage.roles import Role, RolesRepo

RANK: dict[Role, int] = {"citizen": 0, "officer": 1, "superadmin": 2}


class HasRole(Filter):
    """Passes when the sender has at least `role`; the handler then gets `role` too."""

    def __init__(self, role: Role) -> None:
        self.role = role

    async def __call__(self, event: Message | CallbackQuery, roles: RolesRepo) -> bool | dict[str, Role]:
        if event.from_user is None:
            return False
        actual = await roles.role_of(event.from_user.id)
        return {"role": actual} if RANK[actual] >= RANK[self.role] else False
