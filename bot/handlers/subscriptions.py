"""Police alerts for citizens: /subscribe, /unsubscribe and the choice of regions. By
default a subscriber gets their own region's alerts and the national ones."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.telegram import keyboards
from bot.telegram.callbacks import SubscribeCb
from bot.i18n import Lang, current_lang
from bot.knowledge import KnowledgeBase
from bot.services import subscriptions
from bot.storage import Repositories, UserRecord


def describe(regions: set[str], knowledge: KnowledgeBase, lang: Lang) -> str:
    names = [r.name.get(lang) for rid, r in knowledge.regions.items() if rid in regions]
    if not names:
        return _("You get police alerts for the whole country.")
    return _("You get police alerts for the whole country and for: {regions}.").format(regions=", ".join(names))


async def _subscribe(user_id: int, record: UserRecord | None, repos: Repositories, knowledge: KnowledgeBase,
                    lang: Lang) -> str:
    regions = await subscriptions.subscribe(repos, user_id, record, lang)
    return describe(regions, knowledge, lang) + "\n" + _("To stop: /unsubscribe")


async def subscribe_command(message: Message, user_record: UserRecord | None, repos: Repositories,
                            knowledge: KnowledgeBase, i18n: I18n) -> None:
    text = await _subscribe(message.from_user.id, user_record, repos, knowledge, current_lang(i18n))
    await message.answer(text, reply_markup=keyboards.subscription_menu())


async def unsubscribe_command(message: Message, repos: Repositories) -> None:
    await repos.subscriptions.unsubscribe(message.from_user.id)
    await message.answer(_("You will not get police alerts any more. To get them again: /subscribe"))


async def subscription_button(query: CallbackQuery, callback_data: SubscribeCb, user_record: UserRecord | None,
                              repos: Repositories, knowledge: KnowledgeBase, i18n: I18n) -> None:
    lang = current_lang(i18n)
    user_id = query.from_user.id
    await query.answer()
    if query.message is None:
        return
    match callback_data.action:
        case "yes":
            text = await _subscribe(user_id, user_record, repos, knowledge, lang)
            await query.message.edit_text(text, reply_markup=keyboards.subscription_menu())
        case "no":
            await query.message.edit_text(_("OK. If you change your mind: /subscribe"))
        case "pick":
            chosen = await repos.subscriptions.regions_of(user_id)
            await query.message.edit_text(_("Tap the regions you want alerts for:"),
                                          reply_markup=keyboards.subscription_regions(knowledge, lang, chosen))
        case "toggle" if callback_data.region in knowledge.regions:
            chosen = await repos.subscriptions.toggle(user_id, callback_data.region)
            await query.message.edit_reply_markup(reply_markup=keyboards.subscription_regions(knowledge, lang, chosen))
        case "done":
            regions = await subscriptions.chosen_regions(repos, user_id)
            await query.message.edit_text(describe(regions, knowledge, lang) + "\n" + _("To stop: /unsubscribe"))


def create_router() -> Router:
    router = Router(name="subscriptions")
    router.message.register(subscribe_command, Command("subscribe"))
    router.message.register(unsubscribe_command, Command("unsubscribe"))
    router.callback_query.register(subscription_button, SubscribeCb.filter())
    return router
