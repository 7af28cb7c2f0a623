"""Any text, caption or forwarded message → the conversation service → its answer.

The service (`bot/services/conversation.py`) decides what the text needs: a fraud check (a pasted,
forwarded or told message), the urgent steps (the money, a code, an app, card details already
given away), a FAQ answer, an answer in the context of the last verdict, or a short friendly
word; a number, card or link sent alone is looked up (what is known of it). The handler
only translates: Telegram message in, a `Reply` from the service, the answer out
(`bot/telegram/answers.py`); under a verdict or a lookup with something to report, the
candidates are offered (`bot/services/reports.py`) for the "report the fraudster" button.

A verdict's check is stored redacted before the answer goes out, so the buttons under it can
point at it (`bot/services/verdicts.py`); storage never decides whether the user gets the
verdict.

After /forget the next text starts over: the language question a new user gets, then the
answer to the text (a greeting needs no second greeting).
"""

from __future__ import annotations

from functools import partial

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.i18n import current_lang
from bot.replies.verdict import ReplyRenderer
from bot.services.conversation import Conversation
from bot.services.reports import Reports
from bot.services.verdicts import Verdicts
from bot.storage import UserRecord
from bot.telegram.answers import ask_language, medium_of, origin_notes, send_reply, send_verdict, typing_if_slow
from bot.telegram.states import StartOver


async def starting_over(message: Message, state: FSMContext, user_record: UserRecord | None, i18n: I18n) -> bool:
    """True once, for the first text after /forget while no language is chosen again: the
    language question of a new user goes out first."""
    if await state.get_state() != StartOver.fresh.state:
        return False
    await state.clear()
    if user_record is not None and user_record.language is not None:  # chose one again already (/start)
        return False
    await ask_language(message, i18n)
    return True


async def answer_text(
    message: Message,
    conversation: Conversation,
    verdicts: Verdicts,
    renderer: ReplyRenderer,
    i18n: I18n,
    language_known: bool,
    state: FSMContext,
    user_record: UserRecord | None,
    reports: Reports,
) -> None:
    text = message.text if message.text is not None else message.caption or ""
    user_id = message.from_user.id if message.from_user is not None else None
    fresh = await starting_over(message, state, user_record, i18n)
    async with typing_if_slow(message):
        reply = await conversation.answer(text, user_id=user_id, lang=current_lang(i18n) if language_known else None,
                                          forwarded=message.forward_origin is not None)
    if reply.verdict is not None:
        checked = await verdicts.keep(user_id, text, medium_of(message), reply.verdict)
        await send_verdict(message, checked, reply.lang, partial(origin_notes, message), renderer=renderer, i18n=i18n)
        await reply.settle()  # answer first, remember after
        if checked.verdict is not reply.verdict:  # an officer's label of this text: the follow-up knows it
            await verdicts.remember(user_id, checked.verdict)
        return
    if reply.route == "lookup":
        offer = await reports.offer(user_id, reports.reportable(reply.findings)) if user_id is not None else None
        await send_reply(message, reply, renderer=renderer, i18n=i18n, report_offer=offer)
    elif not (fresh and reply.route in ("social", "other")):  # else the language question was the greeting
        await send_reply(message, reply, renderer=renderer, i18n=i18n)
    await reply.settle()  # answer first, remember after


async def unknown_command(message: Message) -> None:
    await message.answer(_("I do not know this command. Send /help to see what I can do."))


def create_router() -> Router:
    router = Router(name="messages")
    router.message.register(unknown_command, F.text.regexp(r"^/[A-Za-z0-9_]+(@\w+)?(\s|$)"))
    router.message.register(answer_text, F.text | F.caption)
    return router
