"""A browser chat with the bot, on top of the emulator: the demo for ``make run`` without a
Telegram token, and the page a browser test drives.

The page (``static/``) speaks a small JSON API to this app, and the app plays the user
through the emulator exactly as a test does, so the page shows what the bot really sent:
Telegram's plain text and entities, which the page turns into DOM nodes itself.

- ``POST /api/send {user_id, text, language_code?}``: the user sends a text.
- ``POST /api/photo`` (multipart: ``user_id``, ``language_code?``, ``caption?``, ``file``): the
  user sends a picture as a photo; the emulator makes Telegram's sizes of it
  (``photos.telegram_sizes``). A refused file answers ``{ok: false, problem, limit_bytes}``
  (``problem``: ``too_large``, ``not_image``, ``empty``, ``too_many_pixels``, ``bad_shape``,
  ``caption_too_long``) so that the page can say what is wrong in its language.
- ``GET /api/file?user_id=…&file_id=…``: a photo in that user's chat, for the page to show
  (any other file id, or another chat's, is 404).
- ``POST /api/press {user_id, message_id, data}``: the user presses an inline button.
- ``GET /api/messages?user_id=…&since=<version>``: waits (up to ``poll_timeout``) until the
  chat's version differs from ``since``, then answers the messages changed since then, the
  deleted ones, the current reply keyboard and the callback-answer toasts. ``reset: true``
  means the page's version is from an earlier emulator run and it must redraw everything.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

from aiohttp import BodyPartReader, web

from bot.devtools.devserver.content import MESSAGE_LIMIT
from bot.devtools.devserver.emulator import BotAPIEmulator
from bot.devtools.devserver.photos import MAX_PHOTO_BYTES, PhotoRefused, telegram_sizes
from bot.devtools.devserver.state import ChatState

STATIC_DIR = Path(__file__).with_name("static")
POLL_TIMEOUT = 25.0
LANGUAGES = ("kk", "ru")
DEMO_USER_NAME = "Гость"
CAPTION_LIMIT = 1024  # Telegram's limit for a caption a user writes
FORM_OVERHEAD = 64 * 1024  # multipart boundaries and the small fields around the picture
IMAGE_TYPES = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"GIF8", "image/gif"))
MAX_SAFE_INTEGER = 2**53  # ids beyond it lose digits in JavaScript; Telegram's ids stay below 2**52
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _bad_request(reason: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(text=json.dumps({"ok": False, "error": reason}), content_type="application/json")


async def _json_body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise _bad_request("the body must be JSON") from None
    if not isinstance(body, dict):
        raise _bad_request("the body must be a JSON object")
    return body


def _integer(value: Any, name: str, lowest: int = 1) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise _bad_request(f"{name} must be an integer") from None
    if isinstance(value, bool) or not lowest <= number < MAX_SAFE_INTEGER:
        raise _bad_request(f"{name} must be between {lowest} and {MAX_SAFE_INTEGER - 1}")
    return number


def _refused(problem: str, reason: str, status: int = 400) -> web.Response:
    body = {"ok": False, "problem": problem, "error": reason, "limit_bytes": MAX_PHOTO_BYTES}
    return web.json_response(body, status=status)


class _TooLarge(Exception):
    """The picture is over the limit; found while reading, before it is all in memory."""


async def _read_form(request: web.Request) -> dict[str, str | bytes]:
    """The photo form, read part by part into memory (``request.post()`` would spool the
    picture to a temporary file, and the demo keeps nothing on disk). Text fields are small;
    the ``file`` part stops being read one byte past the limit."""
    try:
        reader = await request.multipart()
    except (AssertionError, ValueError, KeyError):
        raise _bad_request("the body must be multipart/form-data with a file field") from None
    form: dict[str, str | bytes] = {}
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader) or part.name is None:
            raise _bad_request("nested multipart bodies are not accepted")
        if part.name == "file":
            data = bytearray()
            while chunk := await part.read_chunk(256 * 1024):
                data += chunk
                if len(data) > MAX_PHOTO_BYTES:
                    raise _TooLarge
            form["file"] = bytes(data)
        else:
            value = await part.read(decode=False)
            if len(value) > FORM_OVERHEAD:
                raise _bad_request(f"the field {part.name} is too long")
            form[part.name] = value.decode("utf-8", errors="replace")
    return form


def _image_type(data: bytes) -> str | None:
    """The picture's MIME type from its first bytes; None for anything else, which is then
    never served as an image."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return next((kind for magic, kind in IMAGE_TYPES if data.startswith(magic)), None)


def _photo_ids(chat: ChatState) -> Iterator[str]:
    for message in chat.messages.values():
        for size in message.get("photo") or ():
            yield size["file_id"]


def _changes(chat: ChatState | None, since: int) -> dict[str, Any]:
    """What the page must redraw: everything changed after version ``since``."""
    version = chat.version if chat else 0
    reset = since > version
    since = 0 if reset else since
    if chat is None:
        return {"version": 0, "reset": reset, "messages": [], "deleted": [], "reply_keyboard": None, "toasts": []}
    return {
        "version": version,
        "reset": reset,
        "messages": [message for message_id, message in chat.messages.items() if chat.changed_at[message_id] > since],
        "deleted": [message_id for message_id, at in chat.deleted_at.items() if at > since],
        "reply_keyboard": chat.reply_keyboard,
        "toasts": [toast for at, toast in chat.toasts if at > since],
    }


class _DemoApi:
    def __init__(self, emulator: BotAPIEmulator, poll_timeout: float) -> None:
        self._emulator = emulator
        self._poll_timeout = poll_timeout

    def _ensure_user(self, user_id: int, language: object) -> None:
        """The demo user exists from their first message on, with the page's language."""
        if self._emulator.chat_state(user_id) is None:
            self._emulator.add_user(
                user_id, first_name=DEMO_USER_NAME, language_code=language if language in LANGUAGES else "ru"
            )

    async def send(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        user_id = _integer(body.get("user_id"), "user_id")
        text = body.get("text")
        if not isinstance(text, str) or not text.strip() or len(text) > MESSAGE_LIMIT:
            raise _bad_request(f"text must be 1 to {MESSAGE_LIMIT} characters")
        self._ensure_user(user_id, body.get("language_code"))
        message = self._emulator.send_text(user_id, text)
        return web.json_response({"ok": True, "message_id": message["message_id"]})

    async def photo(self, request: web.Request) -> web.Response:
        """A picture from the page's picture button, sent to the bot as a Telegram photo."""
        try:
            form = await _read_form(request)
        except _TooLarge:
            return _refused("too_large", f"a photo may be {MAX_PHOTO_BYTES} bytes at most", status=413)
        user_id = _integer(form.get("user_id"), "user_id")
        picture = form.get("file")
        if not isinstance(picture, bytes):
            raise _bad_request("the form has no file field")
        caption = form.get("caption")
        caption = caption.strip() if isinstance(caption, str) and caption.strip() else None
        if caption is not None and len(caption) > CAPTION_LIMIT:
            return _refused("caption_too_long", f"a caption may be {CAPTION_LIMIT} characters at most")
        try:
            sizes = await asyncio.to_thread(telegram_sizes, picture)
        except PhotoRefused as refused:
            return _refused(refused.problem, str(refused), status=413 if refused.problem == "too_large" else 400)
        self._ensure_user(user_id, form.get("language_code"))
        message = self._emulator.send_photo_sizes(user_id, sizes, caption=caption)
        return web.json_response({"ok": True, "message_id": message["message_id"]})

    async def file(self, request: web.Request) -> web.Response:
        """A photo of this user's chat, for the page's bubbles and full-size view."""
        user_id = _integer(request.query.get("user_id"), "user_id")
        file_id = request.query.get("file_id", "")
        chat = self._emulator.chat_state(user_id)
        if chat is None or file_id not in set(_photo_ids(chat)):
            raise web.HTTPNotFound(text="no such photo in this chat")
        try:
            data = self._emulator.file_bytes(file_id)
        except LookupError:
            raise web.HTTPNotFound(text="no such photo in this chat") from None
        kind = _image_type(data)
        if kind is None:
            raise web.HTTPNotFound(text="this photo's bytes are not a picture the page can show")
        return web.Response(body=data, content_type=kind)

    async def press(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        user_id = _integer(body.get("user_id"), "user_id")
        message_id = _integer(body.get("message_id"), "message_id")
        data = body.get("data")
        if not isinstance(data, str):
            raise _bad_request("data must be a string")
        try:
            self._emulator.press(user_id, message_id, data)
        except (LookupError, ValueError) as exc:
            return web.json_response({"ok": False, "error": str(exc)}, status=409)
        return web.json_response({"ok": True})

    async def messages(self, request: web.Request) -> web.Response:
        user_id = _integer(request.query.get("user_id"), "user_id")
        since = _integer(request.query.get("since", 0), "since", lowest=0)

        def version_changed() -> bool:
            chat = self._emulator.chat_state(user_id)
            return (chat.version if chat else 0) != since

        try:
            await self._emulator.wait_until(version_changed, self._poll_timeout)
        except TimeoutError:
            pass
        return web.json_response(_changes(self._emulator.chat_state(user_id), since))


@web.middleware
async def _security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The page loads nothing from elsewhere and runs no inline script, even if a bug lets bot
    text into the markup."""
    response = await handler(request)
    response.headers.update(SECURITY_HEADERS)
    if request.path.startswith("/api/"):
        response.headers["Cache-Control"] = "no-store"
    return response


async def _index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC_DIR / "index.html")


def create_demo_app(emulator: BotAPIEmulator, *, poll_timeout: float = POLL_TIMEOUT) -> web.Application:
    """The demo chat's web app; ``poll_timeout`` bounds each /api/messages long poll."""
    api = _DemoApi(emulator, poll_timeout)
    app = web.Application(middlewares=[_security_headers], client_max_size=MAX_PHOTO_BYTES + FORM_OVERHEAD)
    app.router.add_get("/", _index)
    app.router.add_post("/api/send", api.send)
    app.router.add_post("/api/photo", api.photo)
    app.router.add_get("/api/file", api.file)
    app.router.add_post("/api/press", api.press)
    app.router.add_get("/api/messages", api.messages)
    app.router.add_static("/static/", STATIC_DIR)
    return app
