"""/start, /help, /language, /region: choosing a language and a region."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandStart
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.i18n import both, current_lang
from bot.knowledge import KnowledgeBase
from bot.services.subscriptions import move_to_region
from bot.storage import Repositories, UserRecord
from bot.telegram import keyboards
from bot.telegram.answers import ask_language
from bot.telegram.callbacks import LanguageCb, RegionCb, SettingsCb


def welcome_text() -> str:
    return _(
        "I am SaqBol. I help you spot fraudsters.\n\n"
        "Forward me a suspicious message, paste its text, or tell me in your own words what happened. "
        "I will tell you whether it looks like fraud and what to do.\n\n"
        "If you have already sent money, press «🚨 I already sent money».\n\n"
        "Commands: /language: language, /region: region, /forget: delete my data."
    )


async def start(message: Message, i18n: I18n) -> None:
    await ask_language(message, i18n)


async def help_command(message: Message) -> None:
    await message.answer(welcome_text(), reply_markup=keyboards.main_menu())


async def language_command(message: Message, i18n: I18n) -> None:
    await message.answer(both(i18n, "Choose a language:", " / "), reply_markup=keyboards.languages(onboarding=False))


def region_question() -> str:
    return _(
        "Which region do you live in? We will warn you about new fraud schemes in your region. "
        "You can skip this."
    )


async def region_command(message: Message, knowledge: KnowledgeBase, i18n: I18n) -> None:
    await message.answer(region_question(), reply_markup=keyboards.regions(knowledge, current_lang(i18n)))


async def language_chosen(
    query: CallbackQuery, callback_data: LanguageCb, repos: Repositories, knowledge: KnowledgeBase, i18n: I18n
) -> None:
    await repos.users.set_language(query.from_user.id, callback_data.code)
    with i18n.use_locale(callback_data.code):
        await query.answer()
        if query.message:
            await query.message.edit_text(_("Done: I will answer in Russian."))
            if callback_data.onboarding:
                await query.message.answer(region_question(),
                                           reply_markup=keyboards.regions(knowledge, callback_data.code, onboarding=True))
            else:
                await query.message.answer(welcome_text(), reply_markup=keyboards.main_menu())


async def region_chosen(
    query: CallbackQuery, callback_data: RegionCb, repos: Repositories, knowledge: KnowledgeBase,
    user_record: UserRecord | None, i18n: I18n,
) -> None:
    region = knowledge.regions.get(callback_data.region)
    if region is None and callback_data.region != "-":
        await query.answer(_("This button is out of date. Send /region."), show_alert=True)
        return
    await move_to_region(repos, query.from_user.id, user_record, region.id if region else None)
    await query.answer()
    if query.message:
        done = (_("Region saved: {region}.").format(region=region.name.get(current_lang(i18n))) if region
                else _("OK, no region."))
        await query.message.edit_text(done)
        if callback_data.onboarding:
            await query.message.answer(welcome_text(), reply_markup=keyboards.main_menu())
            await query.message.answer(_("Do you want police alerts about new fraud schemes in your region and "
                                         "the whole country?"), reply_markup=keyboards.subscribe_offer())


async def settings_chosen(query: CallbackQuery, callback_data: SettingsCb, knowledge: KnowledgeBase,
                          i18n: I18n) -> None:
    await query.answer()
    if not query.message:
        return
    if callback_data.what == "language":
        await query.message.answer(both(i18n, "Choose a language:", " / "), reply_markup=keyboards.languages(False))
    else:
        await query.message.answer(region_question(), reply_markup=keyboards.regions(knowledge, current_lang(i18n)))


def create_router() -> Router:
    router = Router(name="start")
    router.message.register(start, CommandStart())
    router.message.register(help_command, Command("help"))
    router.message.register(language_command, Command("language"))
    router.message.register(region_command, Command("region"))
    router.callback_query.register(language_chosen, LanguageCb.filter())
    router.callback_query.register(region_chosen, RegionCb.filter())
    router.callback_query.register(settings_chosen, SettingsCb.filter())
    return router
