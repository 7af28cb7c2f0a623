"""Any text, caption or forwarded message → the classifier → a warning or a calm answer.
A short general question ("куда звонить?") is answered from the FAQ instead.

The handler only translates: Telegram message in, Verdict from the check service, the
rendered answer out. The check is stored redacted before the answer goes out, so the
buttons under it can point at it; but storage only remembers, it never decides whether the
user gets the verdict: when the write fails or takes longer than a moment (a locked database,
a full disk, a read-only file), the verdict goes out without the buttons that need the
stored check, after one log line.
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
from aiogram.types import (
    Message,
    MessageOriginChannel,
    MessageOriginChat,
    MessageOriginHiddenUser,
    MessageOriginUser,
)
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot import keyboards
from bot.checking import CheckService
from bot.classifier import EmptyText, Verdict
from bot.faq_match import FaqMatcher
from bot.i18n import Lang, current_lang
from bot.replies import ReplyRenderer
from bot.storage import ChecksRepo
from bot.storage.checks import Source
from bot.storage.database import best_effort
from bot.telegram_text import split_message

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
) -> None:
    """Checks ``text`` and answers with the verdict and its buttons. ``notes`` gives the
    paragraphs that go before the verdict; it is called in the answer's language (the text's
    own language when the user never chose one)."""
    typing = asyncio.create_task(typing_if_slow(message))
    try:
        verdict = await checker.check(text)
    except EmptyText:
        await message.answer(html.escape(renderer.kb.replies.empty_input.get(current_lang(i18n)), quote=False))
        return
    finally:
        typing.cancel()
    lang = current_lang(i18n) if language_known else verdict.reply_language
    check_id = None
    if message.from_user is not None:  # the router lets only private chats in: the sender is the chat
        check_id = await best_effort(checks.add(message.from_user.id, text, source, verdict), "check")
    with i18n.use_locale(lang):
        parts = split_message(compose(verdict, lang, renderer, notes()))
        for n, part in enumerate(parts, 1):
            last = n == len(parts)
            markup = keyboards.check_actions(check_id, verdict.is_scam) if last and check_id is not None else None
            await message.answer(part, reply_markup=markup)


async def check_message(
    message: Message,
    checker: CheckService,
    checks: ChecksRepo,
    renderer: ReplyRenderer,
    faq: FaqMatcher,
    i18n: I18n,
    language_known: bool,
) -> None:
    text = message.text if message.text is not None else message.caption or ""
    faq_id = faq.match(text) if message.forward_origin is None else None
    faq_answer = renderer.faq_answer(faq_id, current_lang(i18n), html=True) if faq_id else None
    if faq_answer is not None:
        await message.answer(faq_answer, reply_markup=keyboards.back_to_faq())
        return
    await answer_check(message, text, _source(message), partial(origin_notes, message), checker=checker,
                       checks=checks, renderer=renderer, i18n=i18n, language_known=language_known)


async def unknown_command(message: Message) -> None:
    await message.answer(_("I do not know this command. Send /help to see what I can do."))


def create_router() -> Router:
    router = Router(name="check")
    router.message.register(unknown_command, F.text.regexp(r"^/[A-Za-z0-9_]+(@\w+)?(\s|$)"))
    router.message.register(check_message, F.text | F.caption)
    return router
