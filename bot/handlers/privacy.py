"""/forget: delete everything stored about the user, after a confirmation.

Then the bot behaves as for someone it has never met: the menu keyboard under the input field
goes (it would offer buttons of a conversation that no longer exists), and the next text gets
the language question of a new user first (`StartOver` in bot/telegram/states.py, kept in the
dispatcher's memory only, or with REDIS_URL in Redis for an hour at most (`DIALOG_TTL`): nothing
else about the person is written anywhere after /forget).
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, ReplyKeyboardRemove
from aiogram.utils.i18n import gettext as _

from bot.services.reports import Reports
from bot.storage import Repositories
from bot.telegram import keyboards
from bot.telegram.callbacks import ForgetCb
from bot.telegram.states import StartOver


async def forget_command(message: Message) -> None:
    await message.answer(
        _("Delete everything I keep about you: language, region, checked messages and your answers? "
          "This cannot be undone."),
        reply_markup=keyboards.forget_confirm(),
    )


async def forget_confirmed(query: CallbackQuery, callback_data: ForgetCb, repos: Repositories,
                           state: FSMContext, reports: Reports) -> None:
    await query.answer()
    if not callback_data.confirm:
        if query.message:
            await query.message.edit_text(_("OK, nothing was deleted."))
        return
    await repos.users.forget(query.from_user.id)
    await repos.conversation.forget(query.from_user.id)  # in Redis when REDIS_URL is set, not in the database
    await reports.forget(query.from_user.id)  # the numbers and links offered from their texts
    await state.clear()
    await state.set_state(StartOver.fresh)
    if query.message:
        await query.message.edit_reply_markup(reply_markup=None)  # the question stays, its buttons go
        # A new message: only a sent message can take the reply keyboard away.
        await query.message.answer(_("Done: everything is deleted. If you write again, I will start from scratch."),
                                   reply_markup=ReplyKeyboardRemove())


def create_router() -> Router:
    router = Router(name="privacy")
    router.message.register(forget_command, Command("forget"))
    router.callback_query.register(forget_confirmed, ForgetCb.filter())
    return router
