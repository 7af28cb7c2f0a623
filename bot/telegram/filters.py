"""Filters of our own, next to aiogram's magic filters: a main-menu button, and a role.

`HasRole` guards the officers' routers: set once on the router (`restrict_router`, which calls
`router.message.filter(...)` and `router.callback_query.filter(...)`), as in Latand's
tgbot_template_v3, so no handler of an officers' router can be registered without it. The
role is read on every call, never cached: a revoked officer loses access at once.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, Filter, StateFilter, or_f
from aiogram.fsm.state import StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n

from bot.i18n import variants
from bot.storage import Repositories
from bot.storage.roles import Role

RANK: dict[Role, int] = {"citizen": 0, "officer": 1, "superadmin": 2}


class MenuButton(Filter):
    """A press of a main-menu button, in either language: a user who switched languages may
    still have the old keyboard on screen."""

    def __init__(self, msgid: str) -> None:
        self.msgid = msgid
        self._texts: frozenset[str] | None = None  # the catalogues do not change while running

    async def __call__(self, message: Message, i18n: I18n) -> bool:
        if self._texts is None:
            self._texts = variants(i18n, self.msgid)
        return message.text is not None and message.text in self._texts


class HasRole(Filter):
    """Passes when the sender has at least `role`; the handler then gets `role` too."""

    def __init__(self, role: Role) -> None:
        self.role = role

    async def __call__(self, event: Message | CallbackQuery, repos: Repositories) -> bool | dict[str, Role]:
        if event.from_user is None:
            return False
        actual = await repos.roles.role_of(event.from_user.id)
        return {"role": actual} if RANK[actual] >= RANK[self.role] else False


def restrict_router(router: Router, role: Role, *, commands: tuple[str, ...],
                    button_prefixes: tuple[str, ...] = (), states: tuple[type[StatesGroup], ...] = ()) -> Router:
    """Only senders with at least ``role`` reach the router's handlers, and only for its own
    ``commands``, the messages sent in one of its dialogs' ``states``, and its buttons
    (callback data starting with one of ``button_prefixes``).

    A router's filters run for every update that reaches it, whether or not any handler would
    take it; the cheap test of the command or the button data comes first, so the role is read
    from the database only for the router's own updates, not for every text a citizen sends.
    What a router refuses goes on to the next ones (the refusal router answers it)."""
    own_message = or_f(Command(*commands), StateFilter(*states)) if states else Command(*commands)
    router.message.filter(own_message, HasRole(role))
    router.callback_query.filter(F.data.startswith(button_prefixes), HasRole(role))
    return router
