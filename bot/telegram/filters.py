"""Filters of our own, next to aiogram's magic filters."""

from __future__ import annotations

from aiogram.filters import Filter
from aiogram.types import Message
from aiogram.utils.i18n import I18n

from bot.i18n import variants


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
