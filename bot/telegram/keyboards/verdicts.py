"""The buttons under a verdict."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.telegram.callbacks import CheckCb, DetailCb
from bot.telegram.keyboards.reports import report_button


def check_actions(check_id: int, looks_like_scam: bool, report_offer: int | None = None) -> InlineKeyboardMarkup:
    """Under every verdict. Under a scam, the details its short answer leaves out come first
    ("what to do", "where to report", "why I think so"), then "report the fraudster" when the
    text holds a number, card or link to report (``report_offer``); then the urgent steps for
    someone whose money is already gone; the last button lets the user disagree, either way:
    "this is not fraud" under a scam, "I think this is fraud" under a calm verdict (a dispute:
    both send the check to the officers' review)."""
    rows: list[list[InlineKeyboardButton]] = []
    if looks_like_scam:
        rows.append([
            InlineKeyboardButton(text=_("What to do"), callback_data=DetailCb(what="todo", check_id=check_id).pack()),
            InlineKeyboardButton(text=_("Where to report"),
                                 callback_data=DetailCb(what="report", check_id=check_id).pack()),
        ])
        rows.append([InlineKeyboardButton(text=_("Why I think so"),
                                          callback_data=DetailCb(what="why", check_id=check_id).pack())])
    if report_offer is not None:
        rows.append([report_button(report_offer)])
    rows.append([InlineKeyboardButton(text=_("The money is already gone"),
                                      callback_data=CheckCb(action="paid", check_id=check_id).pack())])
    if not looks_like_scam:
        rows.append([InlineKeyboardButton(text=_("How to report"),
                                          callback_data=CheckCb(action="report", check_id=check_id).pack())])
    disagree = CheckCb(action="not_scam" if looks_like_scam else "is_scam", check_id=check_id)
    rows.append([InlineKeyboardButton(text=_("This is not fraud") if looks_like_scam else _("I think this is fraud"),
                                      callback_data=disagree.pack())])
    return InlineKeyboardMarkup(inline_keyboard=rows)
