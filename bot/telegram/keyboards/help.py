"""The questions the bot answers (FAQ)."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.knowledge import KnowledgeBase, Lang
from bot.telegram.callbacks import FaqCb


def faq_list(knowledge: KnowledgeBase, lang: Lang) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for entry in knowledge.help.faq:
        builder.button(text=entry.button.get(lang), callback_data=FaqCb(faq=entry.id))
    builder.adjust(1)
    return builder.as_markup()


def back_to_faq() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text=_("« All questions"), callback_data=FaqCb(faq="-").pack()),
    ]])
