"""The buttons of a report: "report the fraudster" under a risky verdict or a lookup, then one
button per candidate (its masked form), one row each so a long number is never cut."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.classifier.identifiers import Identifier
from bot.telegram.callbacks import ReportCb


def report_button(offer_id: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=_("Report the fraudster"),
                                callback_data=ReportCb(action="open", offer=offer_id).pack())


def report_offer(offer_id: int) -> InlineKeyboardMarkup:
    """The one button, alone (under a lookup, or a verdict whose check could not be stored)."""
    return InlineKeyboardMarkup(inline_keyboard=[[report_button(offer_id)]])


def report_candidates(offer_id: int, candidates: Sequence[Identifier]) -> InlineKeyboardMarkup:
    """One button per identifier found, in the order of the text."""
    return InlineKeyboardMarkup(inline_keyboard=[
        [InlineKeyboardButton(text=ident.shown, callback_data=ReportCb(action="pick", offer=offer_id, index=n).pack())]
        for n, ident in enumerate(candidates)
    ])
