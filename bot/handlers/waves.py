"""/waves for officers: be told of new scam waves at once, or not; and the two buttons under a
wave's message: an alert draft from it, its texts to the review queue.

The role is checked on every command and every press (one filter on the router,
`restrict_router`); a citizen's /waves or forged button goes on to the refusal router. Telegram
only: what is found and stored is ``bot.services.waves.WaveDetector``.
"""

from __future__ import annotations

import html

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.services.waves import WaveDetector
from bot.telegram.callbacks import WaveCb
from bot.telegram.filters import restrict_router

ON, OFF = ("on", "вкл", "қосу"), ("off", "выкл", "өшіру")


async def waves_command(message: Message, command: CommandObject, waves: WaveDetector) -> None:
    """``/waves on`` or ``/waves off``; a bare ``/waves`` switches to the other state."""
    word = (command.args or "").strip().lower()
    if word and word not in ON + OFF:
        await message.answer(_("Write /waves on to be told of new waves, /waves off to stop."))
        return
    if await waves.watch(message.from_user.id, word in ON if word else None):
        await message.answer(
            _("You will be told of each new wave at once: {users} people or more sending copies of one message "
              "within {hours} h. Open waves now: {open}. To stop: /waves off").format(
                users=waves.settings.users, hours=f"{waves.settings.window_hours:g}", open=await waves.count_open()))
    else:
        await message.answer(_("You will not be told of new waves any more. To start again: /waves on"))


async def wave_button(query: CallbackQuery, callback_data: WaveCb, waves: WaveDetector) -> None:
    officer, wave_id = query.from_user.id, callback_data.wave_id
    try:
        if callback_data.action == "draft":
            broadcast_id = await waves.draft_alert(wave_id, officer)
            draft = await waves.broadcasts.get(broadcast_id)
            text = "\n\n".join([
                "<b>" + _("Alert draft #{id} from the wave, for you to edit; nothing is sent yet.").format(
                    id=broadcast_id) + "</b>",
                "🇰🇿 <blockquote>" + html.escape(draft.text_kk) + "</blockquote>",
                "🇷🇺 <blockquote>" + html.escape(draft.text_ru) + "</blockquote>",
                _("Edit and submit it for approval in the dashboard: /panel. Or write your own with /broadcast."),
            ])
        else:
            queued = await waves.to_review(wave_id)
            text = _("Texts of the wave put in the review queue: {n}. Label them with /review: each label "
                     "teaches the bot the scheme.").format(n=queued)
    except LookupError:
        await query.answer(_("This wave is gone: its checks were deleted."), show_alert=True)
        return
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(text)
    else:  # a message too old to answer under: the officer's private chat is the same
        await query.bot.send_message(officer, text)


def create_router() -> Router:
    """The officers' waves router: the officer role is checked once, on the router, for the
    command and every button (`restrict_router`)."""
    router = restrict_router(Router(name="waves"), "officer", commands=("waves",),
                             button_prefixes=(WaveCb.__prefix__ + ":",))
    router.message.register(waves_command, Command("waves"))
    router.callback_query.register(wave_button, WaveCb.filter())
    return router
