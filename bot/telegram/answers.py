"""Answers more than one router sends: a verdict with its buttons and what is known of its
numbers and links, a conversation's reply, the language question, the urgent steps and the FAQ
list.

Telegram-side only: what the text says comes from the services and `bot/replies`; here it is
split to Telegram's limit, given its buttons, and sent in the answer's language.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
from collections.abc import AsyncIterator, Callable

from aiogram.enums import ChatAction
from aiogram.exceptions import TelegramAPIError
from aiogram.types import (
    InlineKeyboardMarkup,
    Message,
    MessageOriginChannel,
    MessageOriginChat,
    MessageOriginHiddenUser,
    MessageOriginUser,
)
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.classifier import EmptyText, Verdict
from bot.i18n import Lang, both, current_lang
from bot.replies.reputation import ReputationReplies
from bot.replies.verdict import ReplyRenderer
from bot.services.conversation import Reply
from bot.services.verdicts import Checked, Verdicts
from bot.storage.checks import Medium
from bot.telegram import keyboards
from bot.telegram.text import split_message

log = logging.getLogger(__name__)

TYPING_AFTER = 1.0  # seconds; a quick check needs no "typing…", a slow model does

Notes = Callable[[], list[str]]
"""The paragraphs before a verdict; called in the answer's language, once it is known."""


def origin_note(message: Message) -> str | None:
    """What the forward's origin tells the user, in the current language (HTML)."""
    origin = message.forward_origin
    match origin:
        case MessageOriginUser():
            name = html.escape(origin.sender_user.full_name, quote=False)
            return _("This message was forwarded from {name}. If someone you know suddenly asks for money or a "
                     "code, call them yourself on the number you know: their account may have been hacked."
                     ).format(name=name)
        case MessageOriginHiddenUser():
            name = html.escape(origin.sender_user_name, quote=False)
            return _("The author of this message ({name}) hides their account: there is no way to check who it is. "
                     "Be extra careful.").format(name=name)
        case MessageOriginChannel():
            title = html.escape(origin.chat.title or "", quote=False)
            return _("This message comes from the channel «{title}». Anyone can create a channel: look for the "
                     "official channel of a bank or a state body only through the link on its website."
                     ).format(title=title)
        case MessageOriginChat():
            title = html.escape(origin.sender_chat.title or "", quote=False)
            return _("This message comes from the group «{title}».").format(title=title)
    return None


def origin_notes(message: Message) -> list[str]:
    """The forward's origin note as a paragraph of the answer, or nothing."""
    note = origin_note(message)
    return [f"ℹ️ {note}"] if note else []


def medium_of(message: Message) -> Medium:
    """How a text message reached the bot (a picture's own text is "picture", set by its handler)."""
    if message.forward_origin is not None:
        return "forward"
    return "text" if message.text is not None else "caption"


async def _typing_after_a_while(message: Message) -> None:
    await asyncio.sleep(TYPING_AFTER)
    try:
        await message.bot.send_chat_action(message.chat.id, ChatAction.TYPING)
    except TelegramAPIError as exc:
        log.debug("chat action failed: %s", exc)


@contextlib.asynccontextmanager
async def typing_if_slow(message: Message) -> AsyncIterator[None]:
    """Show "typing…" only when the work inside takes a while; a failure must never cost the answer."""
    typing = asyncio.create_task(_typing_after_a_while(message))
    try:
        yield
    finally:
        typing.cancel()


def compose(verdict: Verdict, lang: Lang, renderer: ReplyRenderer, notes: list[str], known: str | None = None) -> str:
    """The notes, the verdict, then what is known of the text's numbers and links (``known``)."""
    parts = [*notes, renderer.render(verdict, lang, html=True)]
    if known:
        parts.append(known)
    if verdict.truncated:
        parts.append(_("The message is very long: I checked only its beginning."))
    return "\n\n".join(parts)


async def send_verdict(message: Message, checked: Checked, lang: Lang, notes: Notes, *,
                       renderer: ReplyRenderer, i18n: I18n) -> None:
    """The verdict and what is known of the text's identifiers, split to Telegram's limit, the
    buttons under its last part: the check's (only when it was stored: they point at it) and
    "report the fraudster" when something in it can be reported."""
    verdict, check_id = checked.verdict, checked.check_id
    # Built per answer: a few attribute reads (babel caches its locale data).
    known = ReputationReplies(renderer.knowledge, i18n).known(checked.findings, lang) if checked.findings else None
    with i18n.use_locale(lang):
        parts = split_message(compose(verdict, lang, renderer, notes(), known))
        for n, part in enumerate(parts, 1):
            markup = verdict_markup(checked) if n == len(parts) else None
            await message.answer(part, reply_markup=markup)


def verdict_markup(checked: Checked) -> InlineKeyboardMarkup | None:
    if checked.check_id is not None:
        return keyboards.check_actions(checked.check_id, checked.verdict.is_scam, checked.report_offer)
    if checked.report_offer is not None:  # the check was not stored; a report needs only the offer
        return keyboards.report_offer(checked.report_offer)
    return None


async def check_and_answer(message: Message, text: str, medium: Medium, notes: Notes, *, verdicts: Verdicts,
                           renderer: ReplyRenderer, i18n: I18n, language_known: bool) -> None:
    """Checks ``text`` as a message to check whatever it says (a screenshot's text), stores the
    check, answers with the verdict and its buttons, then remembers the verdict so that a
    follow-up has its context. The answer is in the user's language when known, else in the
    text's own."""
    user_id = message.from_user.id if message.from_user is not None else None
    async with typing_if_slow(message):
        try:
            verdict = await verdicts.check(text)
        except EmptyText:
            await message.answer(html.escape(renderer.knowledge.replies.empty_input.get(current_lang(i18n)),
                                             quote=False))
            return
    lang = current_lang(i18n) if language_known else verdict.reply_language
    checked = await verdicts.keep(user_id, text, medium, verdict)
    await send_verdict(message, checked, lang, notes, renderer=renderer, i18n=i18n)
    await verdicts.remember(user_id, verdict)  # answer first, remember after


def reply_markup(reply: Reply, renderer: ReplyRenderer) -> InlineKeyboardMarkup | None:
    match reply.keyboard:
        case "faq_list":
            return keyboards.faq_list(renderer.knowledge, reply.lang)
        case "back_to_faq":
            return keyboards.back_to_faq()
    return None


async def send_reply(message: Message, reply: Reply, *, renderer: ReplyRenderer, i18n: I18n,
                     report_offer: int | None = None) -> None:
    """A conversation's reply that is not a verdict: ready HTML and its keyboard, if any (a
    lookup's: "report the fraudster", when ``report_offer`` is given)."""
    with i18n.use_locale(reply.lang):
        markup = keyboards.report_offer(report_offer) if report_offer is not None else reply_markup(reply, renderer)
        await message.answer(reply.text or "", reply_markup=markup)


async def ask_language(message: Message, i18n: I18n) -> None:
    """The first question a new user gets (/start, or the first text after /forget)."""
    await message.answer(
        both(i18n, "Hello! I am SaqBol: I help you spot fraudsters. Choose a language:"),
        reply_markup=keyboards.languages(onboarding=True),
    )
