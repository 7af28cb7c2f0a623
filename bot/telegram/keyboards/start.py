"""The first steps: the language, then the region."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.knowledge import KnowledgeBase, Lang
from bot.telegram.callbacks import LanguageCb, RegionCb
from bot.telegram.keyboards.layout import phone_rows


def languages(onboarding: bool) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text="Қазақша", callback_data=LanguageCb(code="kk", onboarding=onboarding).pack()),
        InlineKeyboardButton(text="Русский", callback_data=LanguageCb(code="ru", onboarding=onboarding).pack()),
    ]])


def regions(knowledge: KnowledgeBase, lang: Lang, *, onboarding: bool = False) -> InlineKeyboardMarkup:
    """The regions in the knowledge base's order (cities first), laid out for a phone."""
    rows = phone_rows([
        InlineKeyboardButton(text=region.name.get(lang),
                             callback_data=RegionCb(region=region.id, onboarding=onboarding).pack())
        for region in knowledge.regions.values()
    ])
    rows.append([InlineKeyboardButton(text=_("Skip"), callback_data=RegionCb(region="-", onboarding=onboarding).pack())])
    return InlineKeyboardMarkup(inline_keyboard=rows)
