"""The main-menu buttons under the input field. «I already sent money» and «Help» do what
/paid and /faq do: the help router takes them."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.telegram import keyboards
from bot.telegram.filters import MenuButton
from bot.i18n import current_lang
from bot.knowledge import KnowledgeBase
from bot.storage import UserRecord


async def check_prompt(message: Message) -> None:
    await message.answer(
        _("Forward me the suspicious message or paste its text. You can also simply tell me what happened, "
          "for example: «a bank called and asks for the code from SMS»."),
        reply_markup=keyboards.main_menu(),
    )


async def show_settings(message: Message, knowledge: KnowledgeBase, user_record: UserRecord | None, i18n: I18n) -> None:
    region = knowledge.regions.get(user_record.region) if user_record and user_record.region else None
    region_name = region.name.get(current_lang(i18n)) if region else _("not chosen")
    await message.answer(
        _("Language: Russian. Region: {region}.").format(region=region_name), reply_markup=keyboards.settings()
    )


def create_router() -> Router:
    router = Router(name="menu")
    router.message.register(check_prompt, MenuButton(keyboards.MENU_CHECK))
    router.message.register(show_settings, MenuButton(keyboards.MENU_SETTINGS))
    return router
