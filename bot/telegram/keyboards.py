"""Keyboards, in the current user's language (texts go through gettext)."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.telegram.callbacks import CheckCb, DetailCb, FaqCb, ForgetCb, LanguageCb, RegionCb, SettingsCb, SubscribeCb
from bot.i18n import Lang, N_
from bot.knowledge import KnowledgeBase

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


def languages(onboarding: bool) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text="Қазақша", callback_data=LanguageCb(code="kk", onboarding=onboarding).pack()),
        InlineKeyboardButton(text="Русский", callback_data=LanguageCb(code="ru", onboarding=onboarding).pack()),
    ]])


# A half-width inline button on a 412-px-wide phone shows about 20 characters; a longer label
# is wrapped or cut inside a word ("Карагандинс|кая"). A full-width button holds about twice that.
HALF_ROW_CHARS = 20


def phone_rows(buttons: list[InlineKeyboardButton]) -> list[list[InlineKeyboardButton]]:
    """Short labels two to a row, a label too long for half a phone's width alone on its row,
    in the given order, so no label breaks inside a word."""
    rows: list[list[InlineKeyboardButton]] = []
    waiting: InlineKeyboardButton | None = None
    for button in buttons:
        if len(button.text) > HALF_ROW_CHARS:
            if waiting:
                rows.append([waiting])
                waiting = None
            rows.append([button])
        elif waiting:
            rows.append([waiting, button])
            waiting = None
        else:
            waiting = button
    if waiting:
        rows.append([waiting])
    return rows


def regions(knowledge: KnowledgeBase, lang: Lang, *, onboarding: bool = False) -> InlineKeyboardMarkup:
    """The regions in the knowledge base's order (cities first), laid out for a phone."""
    rows = phone_rows([
        InlineKeyboardButton(text=region.name.get(lang),
                             callback_data=RegionCb(region=region.id, onboarding=onboarding).pack())
        for region in knowledge.regions.values()
    ])
    rows.append([InlineKeyboardButton(text=_("Skip"), callback_data=RegionCb(region="-", onboarding=onboarding).pack())])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def check_actions(check_id: int, looks_like_scam: bool) -> InlineKeyboardMarkup:
    """Under every verdict. Under a scam, the details its short answer leaves out come first
    ("what to do", "where to report", "why I think so"); then the urgent steps for someone whose
    money is already gone; the last button lets the user disagree, either way."""
    rows: list[list[InlineKeyboardButton]] = []
    if looks_like_scam:
        rows.append([
            InlineKeyboardButton(text=_("What to do"), callback_data=DetailCb(what="todo", check_id=check_id).pack()),
            InlineKeyboardButton(text=_("Where to report"),
                                 callback_data=DetailCb(what="report", check_id=check_id).pack()),
        ])
        rows.append([InlineKeyboardButton(text=_("Why I think so"),
                                          callback_data=DetailCb(what="why", check_id=check_id).pack())])
    rows.append([InlineKeyboardButton(text=_("The money is already gone"),
                                      callback_data=CheckCb(action="paid", check_id=check_id).pack())])
    if not looks_like_scam:
        rows.append([InlineKeyboardButton(text=_("How to report"),
                                          callback_data=CheckCb(action="report", check_id=check_id).pack())])
    disagree = CheckCb(action="not_scam" if looks_like_scam else "is_scam", check_id=check_id)
    rows.append([InlineKeyboardButton(text=_("This is not fraud") if looks_like_scam else _("This is fraud"),
                                      callback_data=disagree.pack())])
    return InlineKeyboardMarkup(inline_keyboard=rows)


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


def forget_confirm() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text=_("Yes, delete"), callback_data=ForgetCb(confirm=True).pack()),
        InlineKeyboardButton(text=_("No, keep"), callback_data=ForgetCb(confirm=False).pack()),
    ]])


def settings() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text=_("Change language"), callback_data=SettingsCb(what="language").pack()),
        InlineKeyboardButton(text=_("Change region"), callback_data=SettingsCb(what="region").pack()),
    ]])


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
