"""The officers' review queue: a label for a text, or a decision on an identifier; skip."""

from __future__ import annotations

import re

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.knowledge import FRAUD_WARNING, KnowledgeBase, Lang, Scheme
from bot.knowledge.schema import NOT_FRAUD_LABEL
from bot.telegram.callbacks import ReviewCb
from bot.telegram.keyboards.layout import phone_rows


def short_title(scheme: Scheme, lang: Lang) -> str:
    """The scheme's button name: its `short_title` (at most 20 characters, two buttons to a
    phone's row), else its title up to the first colon or comma ("Фальшивая посылка: Казпочта,
    курьер, таможня" → "Фальшивая посылка"), which may need a row of its own."""
    if scheme.short_title is not None:
        return scheme.short_title.get(lang)
    title = scheme.title.get(lang)
    return re.split(r"[:,]", title, maxsplit=1)[0].strip() or title


def review_text_item(item_id: int, knowledge: KnowledgeBase, lang: Lang) -> InlineKeyboardMarkup:
    """Each scheme (short titles, two to a row), then not fraud, a warning about fraud, and skip."""
    schemes = [InlineKeyboardButton(text=short_title(scheme, lang),
                                    callback_data=ReviewCb(item_id=item_id, action="label", label=scheme.id).pack())
               for scheme in knowledge.schemes.values()]
    rows = phone_rows(schemes)
    for text, label in ((_("Not fraud"), NOT_FRAUD_LABEL), (_("A warning about fraud"), FRAUD_WARNING)):
        rows.append([InlineKeyboardButton(text=text, callback_data=ReviewCb(item_id=item_id, action="label",
                                                                            label=label).pack())])
    rows.append([_skip(item_id)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def review_identifier_item(item_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[
        [InlineKeyboardButton(text=_("🚫 Confirm: the fraudster's"),
                              callback_data=ReviewCb(item_id=item_id, action="confirm").pack())],
        [InlineKeyboardButton(text=_("✅ Clear: not a fraudster's"),
                              callback_data=ReviewCb(item_id=item_id, action="clear").pack())],
        [_skip(item_id)],
    ])


def _skip(item_id: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=_("Skip"), callback_data=ReviewCb(item_id=item_id, action="skip").pack())
