"""/panel for officers: a one-time sign-in link to the web dashboard, in their language."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.i18n import current_lang
from bot.services.signin import SignIn
from bot.storage.roles import Role
from bot.telegram.filters import restrict_router


async def panel(message: Message, signin: SignIn, role: Role, i18n: I18n) -> None:
    """The link is bound to the officer and their role, good for 10 minutes and once; it opens
    the dashboard in the language the officer uses with the bot. Link previews stay off (the
    bot's default): Telegram's preview robot must not be the one to open it."""
    link = f"{signin.link(message.from_user.id, role)}&lang={current_lang(i18n)}"
    await message.answer(
        _("Your sign-in link to the dashboard (works once, for 10 minutes):\n{link}\n\n"
          "Do not forward it: whoever opens it first signs in as you.").format(link=link),
        parse_mode=None)


def create_router() -> Router:
    router = restrict_router(Router(name="panel"), "officer", commands=("panel",))
    router.message.register(panel, Command("panel"))
    return router
