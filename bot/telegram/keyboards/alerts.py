"""The officers' alert dialog: target regions, a scheme tag, submit, approve or reject."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.knowledge import KnowledgeBase, Lang
from bot.telegram.callbacks import ApproveCb, BroadcastCb


def alert_regions(knowledge: KnowledgeBase, lang: Lang, chosen: list[str]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("🇰🇿 Whole country"), callback_data=BroadcastCb(action="national"))
    for region in knowledge.regions.values():
        mark = "✅ " if region.id in chosen else ""
        builder.button(text=mark + region.name.get(lang), callback_data=BroadcastCb(action="region", value=region.id))
    builder.adjust(1, *([2] * 10))
    builder.row(InlineKeyboardButton(text=_("Done"), callback_data=BroadcastCb(action="regions_done").pack()))
    return builder.as_markup()


def alert_schemes(knowledge: KnowledgeBase, lang: Lang) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for scheme in knowledge.schemes.values():
        builder.button(text=scheme.title.get(lang), callback_data=BroadcastCb(action="scheme", value=scheme.id))
    builder.button(text=_("No tag"), callback_data=BroadcastCb(action="scheme", value="-"))
    builder.adjust(1)
    return builder.as_markup()


def alert_decision(broadcast_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text=_("✅ Approve and send"),
                             callback_data=ApproveCb(broadcast_id=broadcast_id, approve=True).pack()),
        InlineKeyboardButton(text=_("✖️ Reject"),
                             callback_data=ApproveCb(broadcast_id=broadcast_id, approve=False).pack()),
    ]])


def alert_submit() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text=_("📨 Submit for approval"), callback_data=BroadcastCb(action="submit").pack()),
        InlineKeyboardButton(text=_("Cancel"), callback_data=BroadcastCb(action="cancel").pack()),
    ]])
