"""Whatever the bot cannot read gets a polite answer that says what it can read.
(Photos and image files go to the pictures router before this one.)"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from magic_filter import MagicFilter


def _what_i_read() -> str:
    return _("I read text. Copy the text of the message, or tell me in your own words what happened.")


def _reply(first_line: str) -> str:
    return f"{first_line}\n\n{_what_i_read()}"


async def sticker(message: Message) -> None:
    await message.answer(_reply(_("I cannot read stickers 🙂")))


async def voice(message: Message) -> None:
    await message.answer(_reply(_("I do not understand voice and video messages yet.")))


async def document(message: Message) -> None:
    await message.answer(_reply(_("I do not open files: it is safer that way.")))


async def anything_else(message: Message) -> None:
    await message.answer(_reply(_("I cannot check this kind of message.")))


def create_router() -> Router:
    router = Router(name="media")
    kinds: list[tuple[object, MagicFilter]] = [
        (sticker, F.sticker),
        (voice, F.voice | F.audio | F.video_note | F.video | F.animation),
        (document, F.document),
    ]
    for handler, magic in kinds:
        router.message.register(handler, magic)
    router.message.register(anything_else)
    return router
