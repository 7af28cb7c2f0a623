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
from bot.storage import Repositories, UserRecord
from bot.storage.subscriptions import NATIONAL, SubscriptionsRepo


def describe(regions: set[str], knowledge: KnowledgeBase, lang: Lang) -> str:
    names = [r.name.get(lang) for rid, r in knowledge.regions.items() if rid in regions]
    if not names:
        return _("You get police alerts for the whole country.")
    return _("You get police alerts for the whole country and for: {regions}.").format(regions=", ".join(names))


async def subscribe(user_id: int, record: UserRecord | None, subscriptions: SubscriptionsRepo,
                    knowledge: KnowledgeBase, lang: Lang) -> str:
    regions = {record.region} if record and record.region else set()
    await subscriptions.subscribe(user_id, regions)
    return describe(regions, knowledge, lang) + "\n" + _("To stop: /unsubscribe")


async def subscribe_command(message: Message, user_record: UserRecord | None, repos: Repositories,
                            knowledge: KnowledgeBase, i18n: I18n) -> None:
    text = await subscribe(message.from_user.id, user_record, repos.subscriptions, knowledge, current_lang(i18n))
    await message.answer(text, reply_markup=keyboards.subscription_menu())


async def unsubscribe_command(message: Message, repos: Repositories) -> None:
    await repos.subscriptions.unsubscribe(message.from_user.id)
    await message.answer(_("You will not get police alerts any more. To get them again: /subscribe"))


async def subscription_button(query: CallbackQuery, callback_data: SubscribeCb, user_record: UserRecord | None,
                              repos: Repositories, knowledge: KnowledgeBase, i18n: I18n) -> None:
    lang = current_lang(i18n)
    subscriptions = repos.subscriptions
    user_id = query.from_user.id
    await query.answer()
    if query.message is None:
        return
    match callback_data.action:
        case "yes":
            text = await subscribe(user_id, user_record, subscriptions, knowledge, lang)
            await query.message.edit_text(text, reply_markup=keyboards.subscription_menu())
        case "no":
            await query.message.edit_text(_("OK. If you change your mind: /subscribe"))
        case "pick":
            chosen = await subscriptions.regions_of(user_id)
            await query.message.edit_text(_("Tap the regions you want alerts for:"),
                                          reply_markup=keyboards.subscription_regions(knowledge, lang, chosen))
        case "toggle" if callback_data.region in knowledge.regions:
            chosen = await subscriptions.toggle(user_id, callback_data.region)
            await query.message.edit_reply_markup(reply_markup=keyboards.subscription_regions(knowledge, lang, chosen))
        case "done":
            regions = await subscriptions.regions_of(user_id) - {NATIONAL}
            await query.message.edit_text(describe(regions, knowledge, lang) + "\n" + _("To stop: /unsubscribe"))


def create_router() -> Router:
    router = Router(name="subscriptions")
    router.message.register(subscribe_command, Command("subscribe"))
    router.message.register(unsubscribe_command, Command("unsubscribe"))
    router.callback_query.register(subscription_button, SubscribeCb.filter())
    return router
