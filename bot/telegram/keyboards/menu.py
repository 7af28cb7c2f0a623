"""The main menu under the input field, and the settings buttons it leads to."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.i18n import N_
from bot.telegram.callbacks import SettingsCb

# The main menu, as message ids; handlers recognise a press in either language.
MENU_CHECK = N_("🔍 Check a message")
MENU_PAID = N_("🚨 I already sent money")
MENU_HELP = N_("❓ Questions and help")
MENU_SETTINGS = N_("⚙️ Language and region")


def main_menu() -> ReplyKeyboardMarkup:
    """Always under the input field: four big buttons, two per row."""
    return ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=_(MENU_CHECK)), KeyboardButton(text=_(MENU_PAID))],
            [KeyboardButton(text=_(MENU_HELP)), KeyboardButton(text=_(MENU_SETTINGS))],
        ],
        resize_keyboard=True,
        is_persistent=True,
        input_field_placeholder=_("Paste or forward a suspicious message"),
    )


def settings() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text=_("Change language"), callback_data=SettingsCb(what="language").pack()),
        InlineKeyboardButton(text=_("Change region"), callback_data=SettingsCb(what="region").pack()),
    ]])
