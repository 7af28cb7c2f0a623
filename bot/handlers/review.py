"""/review for officers: the review queue, one item at a time.

A text item shows the text as stored (redacted, escaped), the verdict it got, why it is in the
queue and how many people asked about it; its buttons label it (a scheme, not fraud, a warning
about fraud) or skip it. An identifier item shows the identifier and the crowd's reports; its
buttons confirm it as a fraudster's, clear it, or skip it. After each decision the next item
comes, until "the queue is empty".

The role is checked on every command and every press (one filter on the router,
`restrict_router`); a citizen's /review or forged button goes on to the refusal router. A
button whose item is gone (another officer decided it, or /forget deleted its check) or whose
label is not in the knowledge base (forged) is "out of date", and the next item comes.
Telegram only: what a decision stores is ``bot.services.review.ReviewService``.
"""

from __future__ import annotations

import contextlib
import html

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.i18n import N_, current_lang
from bot.knowledge import FRAUD_WARNING, KnowledgeBase, Lang
from bot.knowledge.schema import NOT_FRAUD_LABEL
from bot.services.notices import notice_date
from bot.services.review import Item, ReviewService
from bot.storage.reviews import IdentifierItem, TextItem
from bot.telegram import keyboards
from bot.telegram.callbacks import ReviewCb
from bot.telegram.filters import restrict_router

MAX_SHOWN_CHARS = 3000  # of the text: the header, the question and the quote stay under Telegram's 4096

REASONS = {
    "disputed": N_("a user disagrees with the verdict"),
    "low_confidence": N_("the bot was not sure"),
    "reported": N_("users reported it as a fraudster's"),
}
KINDS = {
    "phone": N_("Identifier to review: a phone number"),
    "card": N_("Identifier to review: a card number"),
    "iban": N_("Identifier to review: a bank account (IBAN)"),
    "domain": N_("Identifier to review: a website"),
    "telegram": N_("Identifier to review: a Telegram account"),
    "instagram": N_("Identifier to review: an Instagram account"),
}


def label_title(label: str, knowledge: KnowledgeBase, lang: Lang) -> str:
    if label in knowledge.schemes:
        return knowledge.schemes[label].title.get(lang)
    if label == NOT_FRAUD_LABEL:
        return _("Not fraud")
    if label == FRAUD_WARNING:
        return _("A warning about fraud")
    return label


def _shown(text: str) -> str:
    return text if len(text) <= MAX_SHOWN_CHARS else text[:MAX_SHOWN_CHARS].rstrip() + "…"


def text_item_html(item: TextItem, pending: int, knowledge: KnowledgeBase, lang: Lang) -> str:
    risk = getattr(knowledge.replies.risk, item.risk, None)
    verdict = html.escape(risk.get(lang) if risk is not None else item.risk)
    if item.scheme:
        verdict += " " + _("Scheme: «{scheme}».").format(
            scheme=html.escape(label_title(item.scheme, knowledge, lang)))
    lines = [
        "<b>" + _("Review: {n} in the queue.").format(n=pending) + "</b>",
        _("Why it is here: {reason}.").format(reason=_(REASONS.get(item.reason, item.reason))),
        _("The bot answered: {verdict}").format(verdict=verdict),
        _("People who asked: {n}; the last time on {date}.").format(n=item.askers,
                                                                   date=notice_date(item.asked_at, lang)),
        "",
        f"<blockquote expandable>{html.escape(_shown(item.text_redacted))}</blockquote>",
        "",
        _("What is it? Choose a scheme, «Not fraud» or «A warning about fraud»."),
    ]
    return "\n".join(lines)


def identifier_item_html(item: IdentifierItem, pending: int, lang: Lang) -> str:
    standing = item.standing
    lines = [
        "<b>" + _("Review: {n} in the queue.").format(n=pending) + "</b>",
        _(KINDS.get(item.identifier.kind, "{kind}")).format(kind=item.identifier.kind),
        f"<code>{html.escape(item.identifier.value)}</code>",
        _("Reported by {n} people ({seasoned} of them with accounts older than a week).")
        .format(n=standing.reporters, seasoned=standing.seasoned_reporters),
    ]
    if standing.first_reported is not None and standing.last_reported is not None:
        lines.append(_("First report: {first}; the latest: {last}.").format(
            first=notice_date(standing.first_reported, lang), last=notice_date(standing.last_reported, lang)))
    lines += ["", _("Is it a fraudster's? Confirm it, or clear it.")]
    return "\n".join(lines)


async def show_next(message: Message, review: ReviewService, knowledge: KnowledgeBase, lang: Lang) -> None:
    """The next item with its buttons, or "the queue is empty"."""
    following = await review.next()
    item: Item | None = following.item
    if item is None:
        await message.answer(_("The review queue is empty. Thank you!"))
    elif isinstance(item, TextItem):
        await message.answer(text_item_html(item, following.pending, knowledge, lang),
                             reply_markup=keyboards.review_text_item(item.id, knowledge, lang))
    else:
        await message.answer(identifier_item_html(item, following.pending, lang),
                             reply_markup=keyboards.review_identifier_item(item.id))


async def review_command(message: Message, review: ReviewService, knowledge: KnowledgeBase, i18n: I18n) -> None:
    await show_next(message, review, knowledge, current_lang(i18n))


async def review_button(query: CallbackQuery, callback_data: ReviewCb, review: ReviewService,
                        knowledge: KnowledgeBase, i18n: I18n) -> None:
    lang = current_lang(i18n)
    officer, item_id = query.from_user.id, callback_data.item_id
    outcome: str | None = None
    match callback_data.action:
        case "label":
            labelled = await review.label(officer, item_id, callback_data.label)
            if labelled is not None:
                outcome = _("Labelled: {label}. People to be told: {n}.").format(
                    label=html.escape(label_title(labelled.label, knowledge, lang)), n=labelled.noticed)
        case "confirm" | "clear":
            decided = await review.decide(officer, item_id, "confirmed" if callback_data.action == "confirm"
                                          else "cleared")
            if decided is not None:
                outcome = (_("Confirmed as a fraudster's: {value}.") if callback_data.action == "confirm"
                           else _("Cleared: {value}.")).format(value=f"<code>{html.escape(decided.value)}</code>")
        case "skip":
            if await review.skip(officer, item_id):
                outcome = _("Skipped: it goes to the back of the queue.")
    if outcome is None:
        await query.answer(_("This item is out of date: another officer decided it, or the person deleted their data."),
                           show_alert=True)
    else:
        await query.answer()
    if query.message is None or not isinstance(query.message, Message):
        return  # a message too old to show: the next item needs a chat to go to
    original = query.message.html_text if query.message.text else ""
    ending = outcome if outcome is not None else _("Out of date.")
    with contextlib.suppress(TelegramBadRequest):  # an item message that cannot be edited any more
        await query.message.edit_text(f"{original}\n\n<b>{ending}</b>" if original else f"<b>{ending}</b>",
                                      reply_markup=None)
    await show_next(query.message, review, knowledge, lang)


def create_router() -> Router:
    """The officers' review router: the officer role is checked once, on the router, for the
    command and every button (`restrict_router`)."""
    router = restrict_router(Router(name="review"), "officer", commands=("review",),
                             button_prefixes=(ReviewCb.__prefix__ + ":",))
    router.message.register(review_command, Command("review"))
    router.callback_query.register(review_button, ReviewCb.filter())
    return router
