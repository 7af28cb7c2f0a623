"""Police alerts for citizens: subscribing, and the regions they come for."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.knowledge import KnowledgeBase, Lang
from bot.telegram.callbacks import SubscribeCb
from bot.telegram.keyboards.layout import phone_rows


def subscribe_offer() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text=_("🔔 Yes, send alerts"), callback_data=SubscribeCb(action="yes").pack()),
        InlineKeyboardButton(text=_("No, thanks"), callback_data=SubscribeCb(action="no").pack()),
    ]])


def subscription_menu() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text=_("Choose regions"), callback_data=SubscribeCb(action="pick").pack()),
    ]])


def subscription_regions(knowledge: KnowledgeBase, lang: Lang, chosen: set[str]) -> InlineKeyboardMarkup:
    """Regions as toggles: a tick on the ones the user gets alerts for, laid out for a phone."""
    rows = phone_rows([
        InlineKeyboardButton(text=("✅ " if region.id in chosen else "") + region.name.get(lang),
                             callback_data=SubscribeCb(action="toggle", region=region.id).pack())
        for region in knowledge.regions.values()
    ])
    rows.append([InlineKeyboardButton(text=_("Done"), callback_data=SubscribeCb(action="done").pack())])
    return InlineKeyboardMarkup(inline_keyboard=rows)
