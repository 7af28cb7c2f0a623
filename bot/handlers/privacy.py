"""/forget: delete everything stored about the user, after a confirmation."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot import keyboards
from bot.callbacks import ForgetCb
from bot.storage import UsersRepo


async def forget_command(message: Message) -> None:
    await message.answer(
        _("Delete everything I keep about you: language, region, checked messages and your answers? "
          "This cannot be undone."),
        reply_markup=keyboards.forget_confirm(),
    )


async def forget_confirmed(query: CallbackQuery, callback_data: ForgetCb, users: UsersRepo, state: FSMContext) -> None:
    if callback_data.confirm:
        await users.forget(query.from_user.id)
        await state.clear()
        text = _("Done: everything is deleted. If you write again, I will start from scratch.")
    else:
        text = _("OK, nothing was deleted.")
    await query.answer()
    if query.message:
        await query.message.edit_text(text)


def create_router() -> Router:
    router = Router(name="privacy")
    router.message.register(forget_command, Command("forget"))
    router.callback_query.register(forget_confirmed, ForgetCb.filter())
    return router
