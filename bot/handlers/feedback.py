"""The buttons under a verdict: the user's judgement is stored for later review, and the
button does what it says (the urgent steps, how to report, a thank-you)."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot import keyboards
from bot.callbacks import CheckCb
from bot.i18n import current_lang
from bot.replies import ReplyRenderer
from bot.storage import ChecksRepo

REPORT_FAQ = "report"


async def check_button(
    query: CallbackQuery, callback_data: CheckCb, checks: ChecksRepo, renderer: ReplyRenderer, i18n: I18n
) -> None:
    stored = await checks.add_feedback(callback_data.check_id, query.from_user.id, callback_data.action)
    await query.answer(_("Saved") if stored else None)
    if query.message is None:
        return
    lang = current_lang(i18n)
    match callback_data.action:
        case "paid":
            await query.message.answer(renderer.already_paid(lang, html=True), reply_markup=keyboards.main_menu())
        case "report":
            answer = renderer.faq_answer(REPORT_FAQ, lang, html=True)
            if answer is None:  # the analysts renamed the FAQ entry: offer the whole list
                await query.message.answer(_("Choose a question:"), reply_markup=keyboards.faq_list(renderer.kb, lang))
            else:
                await query.message.answer(answer)
        case "not_scam":
            await query.message.answer(_(
                "Thank you! I noted that this is not fraud; our analysts will look at it. "
                "Still, never tell anyone the codes from SMS."))
        case "is_scam":
            await query.message.answer(_(
                "Thank you! I noted that this is fraud; it helps to improve the checks. "
                "Do not answer the sender and do not open their links."))


def create_router() -> Router:
    router = Router(name="feedback")
    router.callback_query.register(check_button, CheckCb.filter())
    return router
