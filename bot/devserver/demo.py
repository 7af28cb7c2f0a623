"""A browser chat with the bot, on top of the emulator: the demo for ``make run`` without a
Telegram token, and the page a browser test drives.

The page (``static/``) speaks a small JSON API to this app, and the app plays the user
through the emulator exactly as a test does, so the page shows what the bot really sent:
Telegram's plain text and entities, which the page turns into DOM nodes itself.

- ``POST /api/send {user_id, text, language_code?}``: the user sends a text.
- ``POST /api/press {user_id, message_id, data}``: the user presses an inline button.
- ``GET /api/messages?user_id=…&since=<version>``: waits (up to ``poll_timeout``) until the
  chat's version differs from ``since``, then answers the messages changed since then, the
  deleted ones, the current reply keyboard and the callback-answer toasts. ``reset: true``
  means the page's version is from an earlier emulator run and it must redraw everything.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.devserver.content import MESSAGE_LIMIT
from bot.devserver.emulator import BotAPIEmulator
from bot.devserver.state import ChatState

STATIC_DIR = Path(__file__).with_name("static")
POLL_TIMEOUT = 25.0
LANGUAGES = ("kk", "ru")
DEMO_USER_NAME = "Гость"
MAX_SAFE_INTEGER = 2**53  # ids beyond it lose digits in JavaScript; Telegram's ids stay below 2**52
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
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

    async def send(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        user_id = _integer(body.get("user_id"), "user_id")
        text = body.get("text")
        if not isinstance(text, str) or not text.strip() or len(text) > MESSAGE_LIMIT:
            raise _bad_request(f"text must be 1 to {MESSAGE_LIMIT} characters")
        if self._emulator.chat_state(user_id) is None:
            language = body.get("language_code")
            self._emulator.add_user(
                user_id, first_name=DEMO_USER_NAME, language_code=language if language in LANGUAGES else "ru"
            )
        message = self._emulator.send_text(user_id, text)
        return web.json_response({"ok": True, "message_id": message["message_id"]})

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
    app = web.Application(middlewares=[_security_headers])
    app.router.add_get("/", _index)
    app.router.add_post("/api/send", api.send)
    app.router.add_post("/api/press", api.press)
    app.router.add_get("/api/messages", api.messages)
    app.router.add_static("/static/", STATIC_DIR)
    return app
