"""Buttons that can no longer work get a polite "this button has expired".

Two kinds: a button under a message Telegram no longer shows the bot (an InaccessibleMessage,
e.g. a very old one, which cannot be edited or answered under), and a press whose data no
handler takes: a button from an older version of the bot, or forged data such as an id too
large for the database. Without this the first raised AttributeError or OverflowError, and
the second left the button spinning.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Filter
from aiogram.types import CallbackQuery, InaccessibleMessage
from aiogram.utils.i18n import gettext as _


class UnderInaccessibleMessage(Filter):
    async def __call__(self, query: CallbackQuery) -> bool:
        return query.message is None or isinstance(query.message, InaccessibleMessage)


async def expired_button(query: CallbackQuery) -> None:
    await query.answer(_("This button is out of date. Send /help."), show_alert=True)


def create_router() -> Router:
    """Before every other router: no handler has to cope with a message it cannot edit."""
    router = Router(name="expired-buttons")
    router.callback_query.register(expired_button, UnderInaccessibleMessage())
    return router


def create_fallback_router() -> Router:
    """After every other router: a press nobody took."""
    router = Router(name="unknown-buttons")
    router.callback_query.register(expired_button)
    return router
