"""The buttons under the message that tells an officer of a new wave: an alert draft from it,
its texts to the review queue. Built for a background sender (the wave detector), which has no
update and so no current locale: the language is given."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import I18n

from bot.i18n import N_
from bot.knowledge import Lang
from bot.telegram.callbacks import WaveCb
from bot.telegram.keyboards.layout import phone_rows

ALERT_DRAFT = N_("📝 Alert draft")
TO_REVIEW = N_("🗂 To the review queue")


def wave_actions(wave_id: int, i18n: I18n, lang: Lang) -> InlineKeyboardMarkup:
    """Two to a row where both fit half a phone's width, else one each (`phone_rows`)."""
    return InlineKeyboardMarkup(inline_keyboard=phone_rows([
        InlineKeyboardButton(text=i18n.gettext(ALERT_DRAFT, locale=lang),
                             callback_data=WaveCb(wave_id=wave_id, action="draft").pack()),
        InlineKeyboardButton(text=i18n.gettext(TO_REVIEW, locale=lang),
                             callback_data=WaveCb(wave_id=wave_id, action="review").pack()),
    ]))
