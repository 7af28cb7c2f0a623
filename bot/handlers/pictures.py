"""Screenshots and photos of messages → the text in them → the same check as typed text.

Pensioners rarely copy a message: they take a screenshot. The answer starts with what was
read («Суреттен оқығаным: …»), so the person sees that the bot understood the picture; a
caption is checked together with the picture's text. Every way reading can fail (no
Tesseract here, a broken or huge file, no text in it, a crowd of pictures, a slow one) gets
its own plain answer that says what to do instead.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Awaitable, Callable

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.ocr import MAX_BYTES, ImageError, OcrBusy, OcrService, OcrTimeout, OcrUnavailable
from bot.replies.verdict import ReplyRenderer
from bot.services.verdicts import Verdicts
from bot.storage.checks import Medium
from bot.telegram.answers import Notes, check_and_answer, origin_notes

log = logging.getLogger(__name__)

IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/webp"})
SHOWN_CHARS = 300  # of the text read, in the answer's first paragraph
MIN_LETTERS = 3  # fewer letters or digits than this is not "text in the picture"


def _file_of(message: Message) -> tuple[str, int | None]:
    if message.photo:
        largest = message.photo[-1]  # Telegram lists the sizes smallest first
        return largest.file_id, largest.file_size
    assert message.document is not None, "the router's filter lets only photos and image files in"
    return message.document.file_id, message.document.file_size


def _fallback() -> str:
    return _("You can also copy the text of the message, or tell me in your own words what happened.")


def _failure_line(exc: Exception | None) -> str:
    """Why the picture gave no text to check; ``None``: it was read, and held no text."""
    match exc:
        case None:
            return _("I did not find any text in this picture.")
        case ImageError(problem="too_large"):
            return _("This picture is too large for me (more than 15 MB).")
        case ImageError(problem="too_small"):
            return _("This picture is too small to read.")
        case ImageError(problem="unsupported"):
            return _("I read only PNG, JPEG and WebP pictures.")
        case ImageError():
            return _("I could not open this picture: the file seems damaged.")
        case OcrBusy():
            return _("Many pictures are being checked right now. Send it again in a minute.")
        case OcrTimeout():
            return _("This picture took too long to read. Crop it to the message and send it again.")
        case _:
            return _("I cannot read pictures on this server.")


async def _download(bot: Bot, file_id: str) -> bytes:
    """The picture's bytes; a file Telegram will not hand to bots (over 20 MB) is too large."""
    try:
        return (await bot.download(file_id)).getvalue()
    except TelegramBadRequest as exc:
        if "too big" in exc.message.lower():
            raise ImageError("too_large", exc.message) from exc
        raise


async def read_picture(
    message: Message,
    bot: Bot,
    ocr: OcrService,
    verdicts: Verdicts,
    renderer: ReplyRenderer,
    i18n: I18n,
    language_known: bool,
) -> None:
    async def answer(text: str, medium: Medium, notes: Notes) -> None:
        await check_and_answer(message, text, medium, notes, verdicts=verdicts, renderer=renderer, i18n=i18n,
                               language_known=language_known)

    file_id, size = _file_of(message)
    try:
        if not ocr.available:
            raise OcrUnavailable(ocr.unavailable_reason)
        if size is not None and size > MAX_BYTES:
            raise ImageError("too_large", f"{size} bytes")
        read = await ocr.read(await _download(bot, file_id))
    except (ImageError, OcrBusy, OcrTimeout, OcrUnavailable) as exc:
        log.info("picture not read: %s: %s", type(exc).__name__, exc)
        await _answer_without_picture(message, exc, answer)
        return
    log.info("picture read: %d blocks, confidence %.0f, %.2f s", read.blocks, read.confidence, read.seconds)
    if sum(ch.isalnum() for ch in read.text) < MIN_LETTERS:
        await _answer_without_picture(message, None, answer)
        return
    text = f"{read.text}\n{message.caption}" if message.caption else read.text

    def notes() -> list[str]:
        shown = html.escape(renderer.quote(read.text, SHOWN_CHARS), quote=False)
        return [_("📷 What I read in the picture: «{text}»").format(text=shown), *origin_notes(message)]

    await answer(text, "picture", notes)


async def _answer_without_picture(message: Message, exc: Exception | None,
                                  answer: Callable[[str, Medium, Notes], Awaitable[None]]) -> None:
    """The picture gave no text. Its caption, if any, is still checked (nothing the person
    sent is lost); otherwise they are told why and what to send instead."""
    if not message.caption:
        await message.answer("\n\n".join((_failure_line(exc), _fallback())))
        return

    def notes() -> list[str]:
        return [" ".join((_failure_line(exc), _("I checked the caption."))), *origin_notes(message)]

    await answer(message.caption, "caption", notes)


def create_router() -> Router:
    router = Router(name="pictures")
    router.message.register(read_picture, F.photo | F.document.mime_type.in_(IMAGE_TYPES))
    return router
