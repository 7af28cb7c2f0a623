"""Reporting a fraudster's number, card, IBAN, site or account.

Two ways in: the "report the fraudster" button under a risky verdict or a lookup (its
candidates were offered when the answer went out), and `/report`, which asks for the number or
link and reads the next text for it. Either way the person then taps the one(s) that are the
fraudster's, and only what they tap is stored (`bot/services/reports.py`), with the region of
their record. The answer says how many people have reported it now; one person counts once.

A button whose offer is gone (an hour passed, the bot restarted, another person's or made-up
data) says so and stores nothing.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.i18n import current_lang
from bot.knowledge import KnowledgeBase
from bot.replies.reputation import ReputationReplies
from bot.services.reports import Reports
from bot.storage import UserRecord
from bot.storage.database import STORAGE_FAULTS
from bot.storage.reports import UnknownReporter
from bot.telegram import keyboards
from bot.telegram.callbacks import ReportCb
from bot.telegram.states import ReportFlow


def _expired() -> str:
    return _("These buttons are out of date. Send the message again, or /report.")


async def start_report(message: Message, state: FSMContext) -> None:
    await state.set_state(ReportFlow.waiting)
    await message.answer(_("Send the fraudster's number, card, link or account (you can send the whole message). "
                           "To stop: /cancel"))


async def cancel_report(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(_("OK, nothing was reported."))


async def read_report(message: Message, state: FSMContext, reports: Reports, knowledge: KnowledgeBase,
                      i18n: I18n) -> None:
    """The text after /report: its identifiers are offered as buttons; an official one is not
    (and says so); nothing found asks again, staying in the dialog."""
    findings, candidates = await reports.candidates_in(message.text or "")
    lang = current_lang(i18n)
    if not findings:
        await message.answer(_("I found no number, card, link or account in it. Send it again, or /cancel."))
        return
    await state.clear()
    known = ReputationReplies(knowledge, i18n).known(findings, lang)
    offer = await reports.offer(message.from_user.id, candidates) if candidates else None
    if offer is None:
        await message.answer("\n\n".join(filter(None, [known, _("Official numbers and sites cannot be reported.")])))
        return
    ask = _("Tap what belongs to the fraudster. Only what you tap is saved.")
    await message.answer("\n\n".join(filter(None, [known, ask])),
                         reply_markup=keyboards.report_candidates(offer, candidates))


async def open_offer(query: CallbackQuery, callback_data: ReportCb, reports: Reports) -> None:
    """"Report the fraudster": one button per candidate of the offer."""
    candidates = await reports.offered(query.from_user.id, callback_data.offer)
    if candidates is None or query.message is None:
        await query.answer(_expired(), show_alert=True)
        return
    await query.answer()
    await query.message.answer(_("Tap what belongs to the fraudster. Only what you tap is saved."),
                               reply_markup=keyboards.report_candidates(callback_data.offer, candidates))


async def pick_candidate(query: CallbackQuery, callback_data: ReportCb, reports: Reports, knowledge: KnowledgeBase,
                         i18n: I18n, user_record: UserRecord | None) -> None:
    """One candidate tapped: stored (once per person) with the region of the user's record."""
    region = user_record.region if user_record is not None else None
    try:
        done = await reports.report_offered(query.from_user.id, callback_data.offer, callback_data.index, region)
    except (*STORAGE_FAULTS, UnknownReporter):
        await query.answer(_("I could not save it right now. Please try again in a minute."), show_alert=True)
        return
    if done is None or query.message is None:
        await query.answer(_expired(), show_alert=True)
        return
    await query.answer(_("Saved"))
    text = ReputationReplies(knowledge, i18n).after_report(done.identifier, current_lang(i18n), new=done.new,
                                                           reporters=done.reporters, to_review=done.to_review)
    await query.message.answer(text)


def create_router() -> Router:
    """Before the messages router: in the /report dialog the next text is the report's, not a
    message to check."""
    router = Router(name="reports")
    router.message.register(start_report, Command("report"))
    router.message.register(cancel_report, Command("cancel"), StateFilter(ReportFlow.waiting))
    router.message.register(read_report, StateFilter(ReportFlow.waiting), F.text, ~F.text.startswith("/"))
    router.callback_query.register(open_offer, ReportCb.filter(F.action == "open"))
    router.callback_query.register(pick_candidate, ReportCb.filter(F.action == "pick"))
    return router
