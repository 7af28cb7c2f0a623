"""The buttons under a verdict: the user's judgement is stored for later review, and the
button does what it says (the urgent steps, how to report, a thank-you). Under a scam's short
answer, three more open its details (every step, where to report, why the bot thinks so),
rebuilt from the stored check: ids only, so a detail never needs the user's words.

A *dispute* ("this is not fraud" under a scam, "I think this is fraud" under a calm verdict)
puts the check in the officers' review queue; their label comes back to the user as a notice
and to everyone who sends the same text as the verdict."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.telegram import keyboards
from bot.telegram.callbacks import CheckCb, DetailCb
from bot.i18n import current_lang
from bot.replies.verdict import Explained, ReplyRenderer
from bot.storage import Repositories
from bot.storage.database import best_effort

REPORT_FAQ = "report"


async def check_button(
    query: CallbackQuery, callback_data: CheckCb, repos: Repositories, renderer: ReplyRenderer, i18n: I18n
) -> None:
    stored = await repos.checks.add_feedback(callback_data.check_id, query.from_user.id, callback_data.action)
    if stored and callback_data.action in ("not_scam", "is_scam"):
        await best_effort(repos.reviews.enqueue_check(callback_data.check_id, "disputed"), "review queue")
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
                await query.message.answer(_("Choose a question:"),
                                           reply_markup=keyboards.faq_list(renderer.knowledge, lang))
            else:
                await query.message.answer(answer)
        case "not_scam":
            await query.message.answer(_(
                "Thank you! A police officer will look at this message, and I will tell you what they decide. "
                "Until then, never tell anyone the codes from SMS."))
        case "is_scam":
            await query.message.answer(_(
                "Thank you! A police officer will look at this message, and I will tell you what they decide. "
                "Until then, do not answer the sender and do not open their links."))


async def detail_button(
    query: CallbackQuery, callback_data: DetailCb, repos: Repositories, renderer: ReplyRenderer, i18n: I18n
) -> None:
    """Only the user's own check opens: a forged or deleted one (after /forget) is "out of date"."""
    stored = await repos.checks.get(callback_data.check_id, query.from_user.id)
    answer = None
    if stored is not None and stored.scheme is not None:
        about = Explained(stored.scheme, stored.alternative, stored.channel, stored.flags, stored.why)
        answer = renderer.details(callback_data.what, about, current_lang(i18n), html=True)
    if answer is None or query.message is None:
        await query.answer(_("This button is out of date. Send /help."), show_alert=True)
        return
    if callback_data.what == "report":  # the same wish as the "how to report" button: kept for review
        await repos.checks.add_feedback(callback_data.check_id, query.from_user.id, "report")
    await query.answer()
    await query.message.answer(answer)


def create_router() -> Router:
    router = Router(name="feedback")
    router.callback_query.register(check_button, CheckCb.filter())
    router.callback_query.register(detail_button, DetailCb.filter())
    return router
