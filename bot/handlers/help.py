"""Help: the urgent "I already sent money" steps and short FAQ answers, from knowledge/; by
command (/paid, /faq) or by their main-menu buttons."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, or_f
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.telegram import keyboards
from bot.telegram.callbacks import FaqCb
from bot.telegram.filters import MenuButton
from bot.i18n import current_lang
from bot.knowledge import KnowledgeBase
from bot.replies.verdict import ReplyRenderer


async def send_already_paid(message: Message, renderer: ReplyRenderer, i18n: I18n) -> None:
    await message.answer(renderer.already_paid(current_lang(i18n), html=True), reply_markup=keyboards.main_menu())


async def send_faq_list(message: Message, knowledge: KnowledgeBase, i18n: I18n) -> None:
    await message.answer(_("Choose a question:"), reply_markup=keyboards.faq_list(knowledge, current_lang(i18n)))


async def faq_chosen(
    query: CallbackQuery, callback_data: FaqCb, knowledge: KnowledgeBase, renderer: ReplyRenderer, i18n: I18n
) -> None:
    lang = current_lang(i18n)
    if callback_data.faq == "-":
        text, markup = _("Choose a question:"), keyboards.faq_list(knowledge, lang)
    else:
        answer = renderer.faq_answer(callback_data.faq, lang, html=True)
        if answer is None:
            await query.answer(_("This button is out of date. Send /help."), show_alert=True)
            return
        text, markup = answer, keyboards.back_to_faq()
    await query.answer()
    if query.message:
        await query.message.edit_text(text, reply_markup=markup)


def create_router() -> Router:
    router = Router(name="help")
    router.message.register(send_already_paid, or_f(Command("paid"), MenuButton(keyboards.MENU_PAID)))
    router.message.register(send_faq_list, or_f(Command("faq"), MenuButton(keyboards.MENU_HELP)))
    router.callback_query.register(faq_chosen, FaqCb.filter())
    return router
