"""Any text, caption or forwarded message → the conversation service → its answer.

The service (`bot/services/conversation.py`) decides what the text needs: a fraud check (a pasted,
forwarded or told message), the urgent steps (the money, a code, an app, card details already
given away), a FAQ answer, an answer in the context of the last verdict, or a short friendly
word. The handler only translates: Telegram message in, a `Reply` from the service, the
answer out.

A verdict's check is stored redacted before the answer goes out, so the buttons under it can
point at it; but storage only remembers, it never decides whether the user gets the verdict:
when the write fails or takes longer than a moment (a locked database, a full disk, a
read-only file), the verdict goes out without the buttons that need the stored check, after
one log line.

After /forget the next text starts over: the language question a new user gets, then the
answer to the text (a greeting needs no second greeting).
"""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import Callable
from functools import partial

from aiogram import F, Router
from aiogram.enums import ChatAction
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.context import FSMContext
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

from bot.telegram import keyboards
from bot.classifier.service import CheckService
from bot.classifier import EmptyText, Verdict
from bot.services.conversation import Conversation, Reply
from bot.handlers.privacy import StartOver
from bot.handlers.start import start
from bot.i18n import Lang, current_lang
from bot.replies.verdict import ReplyRenderer
from bot.storage import ChecksRepo, UserRecord
from bot.storage.checks import Source
from bot.storage.database import best_effort
from bot.telegram.text import split_message

log = logging.getLogger(__name__)


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


def _source(message: Message) -> Source:
    if message.forward_origin is not None:
        return "forward"
    return "text" if message.text is not None else "caption"


def origin_notes(message: Message) -> list[str]:
    """The forward's origin note as a paragraph of the answer, or nothing."""
    note = origin_note(message)
    return [f"ℹ️ {note}"] if note else []


TYPING_AFTER = 1.0  # seconds; a quick check needs no "typing…", a slow model does


async def typing_if_slow(message: Message) -> None:
    """Show "typing…" only when the work takes a while; a failure must never cost the answer."""
    await asyncio.sleep(TYPING_AFTER)
    try:
        await message.bot.send_chat_action(message.chat.id, ChatAction.TYPING)
    except TelegramAPIError as exc:
        log.debug("chat action failed: %s", exc)


def compose(verdict: Verdict, lang: Lang, renderer: ReplyRenderer, notes: list[str]) -> str:
    parts = [*notes, renderer.render(verdict, lang, html=True)]
    if verdict.truncated:
        parts.append(_("The message is very long: I checked only its beginning."))
    return "\n\n".join(parts)


async def answer_check(
    message: Message,
    text: str,
    source: Source,
    notes: Callable[[], list[str]],
    *,
    checker: CheckService,
    checks: ChecksRepo,
    renderer: ReplyRenderer,
    i18n: I18n,
    language_known: bool,
    conversation: Conversation | None = None,
) -> None:
    """Checks ``text`` and answers with the verdict and its buttons (a screenshot's text: it is
    always a message to check). ``notes`` gives the paragraphs that go before the verdict; it is
    called in the answer's language (the text's own language when the user never chose one).
    With ``conversation`` the verdict is remembered, so a follow-up has its context."""
    typing = asyncio.create_task(typing_if_slow(message))
    try:
        verdict = await checker.check(text)
    except EmptyText:
        await message.answer(html.escape(renderer.knowledge.replies.empty_input.get(current_lang(i18n)), quote=False))
        return
    finally:
        typing.cancel()
    lang = current_lang(i18n) if language_known else verdict.reply_language
    await send_verdict(message, text, source, verdict, lang, notes, checks=checks, renderer=renderer, i18n=i18n)
    if conversation is not None and message.from_user is not None:
        await conversation.remember_check(message.from_user.id, verdict)  # answer first, remember after


async def send_verdict(
    message: Message,
    text: str,
    source: Source,
    verdict: Verdict,
    lang: Lang,
    notes: Callable[[], list[str]],
    *,
    checks: ChecksRepo,
    renderer: ReplyRenderer,
    i18n: I18n,
) -> None:
    """The verdict, split to Telegram's limit, the buttons under its last part; the check is
    stored first (best effort) so that the buttons can point at it."""
    check_id = None
    if message.from_user is not None:  # the router lets only private chats in: the sender is the chat
        check_id = await best_effort(checks.add(message.from_user.id, text, source, verdict), "check")
    with i18n.use_locale(lang):
        parts = split_message(compose(verdict, lang, renderer, notes()))
        for n, part in enumerate(parts, 1):
            last = n == len(parts)
            markup = keyboards.check_actions(check_id, verdict.is_scam) if last and check_id is not None else None
            await message.answer(part, reply_markup=markup)


def reply_markup(reply: Reply, renderer: ReplyRenderer) -> InlineKeyboardMarkup | None:
    match reply.keyboard:
        case "faq_list":
            return keyboards.faq_list(renderer.knowledge, reply.lang)
        case "back_to_faq":
            return keyboards.back_to_faq()
    return None


async def starting_over(message: Message, state: FSMContext, user_record: UserRecord | None, i18n: I18n) -> bool:
    """True once, for the first text after /forget while no language is chosen again: the
    language question of a new user goes out first."""
    if await state.get_state() != StartOver.fresh.state:
        return False
    await state.clear()
    if user_record is not None and user_record.language is not None:  # chose one again already (/start)
        return False
    await start(message, i18n)
    return True


async def check_message(
    message: Message,
    conversation: Conversation,
    checks: ChecksRepo,
    renderer: ReplyRenderer,
    i18n: I18n,
    language_known: bool,
    state: FSMContext,
    user_record: UserRecord | None,
) -> None:
    text = message.text if message.text is not None else message.caption or ""
    fresh = await starting_over(message, state, user_record, i18n)
    typing = asyncio.create_task(typing_if_slow(message))
    try:
        reply = await conversation.answer(
            text,
            user_id=message.from_user.id if message.from_user is not None else None,
            lang=current_lang(i18n) if language_known else None,
            forwarded=message.forward_origin is not None,
        )
    finally:
        typing.cancel()
    if reply.verdict is not None:
        await send_verdict(message, text, _source(message), reply.verdict, reply.lang, partial(origin_notes, message),
                           checks=checks, renderer=renderer, i18n=i18n)
    elif not (fresh and reply.route in ("social", "other")):  # else the language question was the greeting
        with i18n.use_locale(reply.lang):
            await message.answer(reply.text or "", reply_markup=reply_markup(reply, renderer))
    await reply.settle()  # answer first, remember after


async def unknown_command(message: Message) -> None:
    await message.answer(_("I do not know this command. Send /help to see what I can do."))


def create_router() -> Router:
    router = Router(name="check")
    router.message.register(unknown_command, F.text.regexp(r"^/[A-Za-z0-9_]+(@\w+)?(\s|$)"))
    router.message.register(check_message, F.text | F.caption)
    return router
