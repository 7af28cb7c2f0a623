"""/forget asks before it deletes."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.telegram.callbacks import ForgetCb


def forget_confirm() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text=_("Yes, delete"), callback_data=ForgetCb(confirm=True).pack()),
        InlineKeyboardButton(text=_("No, keep"), callback_data=ForgetCb(confirm=False).pack()),
    ]])
