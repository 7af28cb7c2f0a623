"""A local Telegram Bot API server for tests, load tests and the demo chat.

The real aiogram ``Bot`` talks to it over HTTP exactly as to Telegram
(``AiohttpSession(api=TelegramAPIServer.from_base(emulator.base_url))``, or simply
``emulator.create_bot()``). A test plays the users (``send_text``, ``send_forward``,
``press``…), reads what the bot did (``bot_messages``, ``next_message``, ``requests``) and
plans faults (``fail``, ``delay``, ``drop``, ``block``, or ``chaos``: random ones at a rate).
``send_raw_update`` queues an update exactly as given, even one aiogram cannot parse. Waiting is event-driven: every
state change wakes the waiters, so nothing polls on a timer.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiohttp import web
from typing_extensions import Self

from bot.devtools.devserver import incoming
from bot.devtools.devserver.content import callback_data_of
from bot.devtools.devserver.errors import ApiError
from bot.devtools.devserver.faults import CHAOS_KINDS, Chaos, Delay, Drop, Failure, FaultPlan, RandomFaults
from bot.devtools.devserver.methods import BotApi
from bot.devtools.devserver.params import Params, read_request
from bot.devtools.devserver.photos import PhotoSize, telegram_sizes
from bot.devtools.devserver.state import ChangeSignal, ChatState, FileStore, RequestRecord
from bot.devtools.devserver.updates import UpdateQueue
from bot.devtools.devserver.webhook import WebhookPusher

TOKEN_SHAPE = re.compile(r"(\d+):[A-Za-z0-9_-]+")
MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # Telegram's limit for files a bot uploads
NOT_FOUND = ApiError(404, "Not Found")
FAILED_CALLS_IN_REPORT = 5


def _client_gone(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()


def _cut(request: web.Request) -> web.StreamResponse:
    """Closes the connection without an answer."""
    if request.transport is not None:
        request.transport.close()
    return web.Response()


class EmulatorSession(AiohttpSession):
    """aiogram's own HTTP session, closed without its 250 ms grace for TLS connections: the
    emulator speaks plain HTTP, and hundreds of tests would otherwise wait for nothing."""

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


class BotAPIEmulator:
    """One bot's Telegram, in process. Use ``async with BotAPIEmulator() as emulator:``.

    ``record_requests=False`` keeps ``requests`` empty, for load tests that would otherwise
    keep every call in memory. ``webhook_replicas`` plays a load balancer in front of several
    bot processes: once the bot sets a webhook, its updates are POSTed round-robin to these
    URLs (each replica's own), concurrently but one at a time per chat (`WebhookPusher`).
    """

    def __init__(
        self,
        *,
        bot_id: int = 7000000001,
        bot_username: str = "saqbol_dev_bot",
        bot_name: str = "SaqBol (dev)",
        record_requests: bool = True,
        webhook_replicas: Sequence[str] = (),
    ) -> None:
        self.bot_user: dict[str, Any] = {"id": bot_id, "is_bot": True, "first_name": bot_name, "username": bot_username}
        self.token = f"{bot_id}:emulator-dev-token"
        self.record_requests = record_requests
        self.requests: list[RequestRecord] = []
        self._signal = ChangeSignal()
        self._queue = UpdateQueue(self._signal)
        self._chats: dict[int, ChatState] = {}
        self._faults = FaultPlan()
        self._chaos: RandomFaults | None = None
        self.in_transit = 0  # calls held right now by an ``in_transit`` delay
        self._api = BotApi(
            bot_user=self.bot_user, chats=self._chats, files=FileStore(), queue=self._queue, execute=self._execute
        )
        self._api.webhook_replicas = list(webhook_replicas)
        self.callback_answers: list[dict[str, Any]] = self._api.callback_answers
        self.chat_actions: list[dict[str, Any]] = self._api.chat_actions
        self._last_query_id = 0
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None

    # --- lifecycle ----------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Serves the API on ``host:port``; port 0 picks a free one (see ``base_url``)."""
        if self._runner is not None:
            raise RuntimeError("the emulator is already running")
        self._queue.closed = False  # a stopped emulator may start again, its state kept
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        app.router.add_route("*", "/{tail:.*}", self._handle_unknown)
        # handler_cancellation=False (aiohttp's default, kept explicit): like Telegram, a call that
        # arrived is carried out even if its client disconnects before the answer.
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0, handler_cancellation=False)
        await runner.setup()
        await web.TCPSite(runner, host, port).start()
        self._runner = runner
        bound_host, bound_port = runner.addresses[0][:2]
        self._base_url = f"http://{bound_host}:{bound_port}"

    async def stop(self) -> None:
        """Ends waiting long polls (they answer empty), the webhook, then the server."""
        if self._runner is None:
            return
        self._queue.close()
        await self._api.close()
        await self._runner.cleanup()
        self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """``http://host:port`` of the running server."""
        if self._base_url is None:
            raise RuntimeError("the emulator is not started: call `await emulator.start()` first")
        return self._base_url

    @property
    def api_server(self) -> TelegramAPIServer:
        return TelegramAPIServer.from_base(self.base_url)

    def create_bot(self, **bot_kwargs: Any) -> Bot:
        """A real aiogram Bot for this emulator (``bot_kwargs`` go to ``Bot``, e.g. ``default``)."""
        return Bot(self.token, session=EmulatorSession(api=self.api_server), **bot_kwargs)

    # --- HTTP ---------------------------------------------------------------------------

    def _check_token(self, token: str) -> None:
        shape = TOKEN_SHAPE.fullmatch(token)
        if shape is None:
            raise NOT_FOUND
        if int(shape.group(1)) != self.bot_user["id"]:
            raise ApiError.of(401)

    async def _handle_method(self, request: web.Request) -> web.StreamResponse:
        received = time.monotonic()
        method = request.match_info["method"]
        try:
            self._check_token(request.match_info["token"])
            params = await read_request(request)
        except ApiError as error:
            return web.json_response(error.payload(), status=error.error_code)
        chat_id = params.chat_id()
        delay = self._faults.take(Delay, method, chat_id)
        if delay is not None:
            if delay.in_transit:
                self.in_transit += 1
                self._signal.fire()
            try:
                await asyncio.sleep(delay.seconds)
            finally:
                if delay.in_transit:
                    self.in_transit -= 1
                    self._signal.fire()
            if delay.in_transit and _client_gone(request):
                self._record(received, method, params, 0, "client gone before the delayed call arrived")
                return web.Response()
        chaos = self._chaos.draw(method) if self._chaos is not None else None
        if chaos is not None:
            early = await self._chaos_before(chaos, request, received, method, params)
            if early is not None:
                return early
        drop = self._faults.take(Drop, method, chat_id)
        if drop is not None and not drop.after:
            return self._drop(request, received, method, params, "connection dropped by emulator.drop()")
        status, body = await self._execute(method, params, received)
        if (drop is not None and drop.after) or chaos == "drop_after":
            return _cut(request)  # carried out and recorded, but the answer never reaches the client
        return web.json_response(body, status=status)

    async def _chaos_before(self, chaos: Chaos, request: web.Request, received: float, method: str,
                            params: Params) -> web.StreamResponse | None:
        """A random fault that happens before the call is carried out; None lets the call go on."""
        if chaos == "delay":
            await asyncio.sleep(self._chaos.delay_seconds() if self._chaos else 0.0)
        elif chaos == "drop_before":
            return self._drop(request, received, method, params, "connection dropped by emulator.chaos()")
        elif chaos in ("429", "5xx"):
            error = ApiError.of(429) if chaos == "429" else ApiError.of(502)
            self._record(received, method, params, error.error_code, error.description)
            return web.json_response(error.payload(), status=error.error_code)
        return None

    def _drop(self, request: web.Request, received: float, method: str, params: Params, why: str) -> web.StreamResponse:
        self._record(received, method, params, 0, why)
        return _cut(request)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        try:
            self._check_token(request.match_info["token"])
        except ApiError as error:
            return web.json_response(error.payload(), status=error.error_code)
        stored = self._api.files.at_path(request.match_info["path"])
        if stored is None:
            return web.json_response(NOT_FOUND.payload(), status=404)
        return web.Response(body=stored.data, content_type="application/octet-stream")

    async def _handle_unknown(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(NOT_FOUND.payload(), status=404)

    async def _execute(self, method: str, params: Params, received: float | None = None) -> tuple[int, dict[str, Any]]:
        """Runs one call (a planned failure first), records it and wakes the waiters."""
        received = time.monotonic() if received is None else received
        name = self._api.resolve(method)
        try:
            if name is None:
                raise ApiError(404, "Not Found: method not found")
            failure = self._faults.take(Failure, name, params.chat_id())
            if failure is not None:
                raise failure.error
            status, body = 200, {"ok": True, "result": await self._api.methods[name](params)}
        except ApiError as error:
            status, body = error.error_code, error.payload()
        self._record(received, name or method, params, status, body.get("description"))
        self._signal.fire()
        return status, body

    def _record(self, received: float, method: str, params: Params, status: int, description: str | None) -> None:
        if self.record_requests:
            self.requests.append(RequestRecord(received, method, params.for_record(), status, params.chat_id(), description))

    def clear_requests(self) -> None:
        self.requests.clear()

    # --- users and what they send -------------------------------------------------------

    def add_user(
        self,
        user_id: int,
        *,
        first_name: str = "Test",
        language_code: str | None = "ru",
        username: str | None = None,
        last_name: str | None = None,
    ) -> dict[str, Any]:
        """Creates (or redefines) a user and the private chat with them; returns the User."""
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        optional = {"last_name": last_name, "username": username, "language_code": language_code}
        user.update({key: value for key, value in optional.items() if value is not None})
        fresh = ChatState.for_user(user)
        chat = self._chats.setdefault(user_id, fresh)
        chat.user, chat.chat = fresh.user, fresh.chat
        self._signal.fire()
        return user

    def _chat_of(self, user_id: int) -> ChatState:
        if user_id not in self._chats:
            self.add_user(user_id)
        return self._chats[user_id]

    def send_message(self, user_id: int, **fields: Any) -> dict[str, Any]:
        """A message from the user with any Message ``fields``; queued as an update, returned."""
        chat = self._chat_of(user_id)
        message = {"message_id": chat.new_message_id(), "from": chat.user, "chat": chat.chat, "date": int(time.time())}
        message.update(fields)
        chat.put(message)
        self._queue.push("message", message)
        return message

    def send_raw_update(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Queues ``{"update_id": …, kind: payload}`` exactly as given, unchecked: an update of a
        newer Bot API, or a broken one, that the bot must survive. Returns it."""
        return self._queue.push(kind, payload)

    def send_text(self, user_id: int, text: str, **extra: Any) -> dict[str, Any]:
        """A text message; ``extra`` is merged into it (e.g. ``entities``). A leading /command
        gets its bot_command entity, as in Telegram."""
        fields: dict[str, Any] = {"text": text}
        if entities := incoming.bot_command_entities(text):
            fields["entities"] = entities
        return self.send_message(user_id, **fields, **extra)

    def send_forward(self, user_id: int, text: str, *, origin: dict[str, Any], caption: bool = False) -> dict[str, Any]:
        """A forwarded message (``origin``: see ``incoming.origin_*``); ``caption=True`` forwards a
        photo with ``text`` as its caption."""
        if caption:
            return self.send_photo(user_id, caption=text, forward_origin=origin)
        return self.send_message(user_id, text=text, forward_origin=origin)

    def send_sticker(self, user_id: int) -> dict[str, Any]:
        stored = self._api.files.add("sticker", b"", "sticker.webp")
        return self.send_message(user_id, sticker=incoming.sticker_json(stored))

    def send_photo(
        self, user_id: int, *, caption: str | None = None, image: bytes | None = None, **extra: Any
    ) -> dict[str, Any]:
        """A photo; ``image`` is kept for getFile and download (empty when not given)."""
        stored = self._api.files.add("photo", image or b"", "photo.jpg")
        fields: dict[str, Any] = {"photo": incoming.photo_json(stored), **extra}
        if caption is not None:
            fields["caption"] = caption
        return self.send_message(user_id, **fields)

    def send_picture(self, user_id: int, image: bytes, *, caption: str | None = None) -> dict[str, Any]:
        """A picture sent as a photo from a Telegram app: decoded, turned upright, re-encoded as
        JPEG in Telegram's sizes (``photos.telegram_sizes``), each size a file for getFile and
        download. Raises ``photos.PhotoRefused`` for a file an app would not send as a photo."""
        return self.send_photo_sizes(user_id, telegram_sizes(image), caption=caption)

    def send_photo_sizes(self, user_id: int, sizes: list[PhotoSize], *, caption: str | None = None) -> dict[str, Any]:
        """``send_picture`` with the sizes already made: decoding takes tens of milliseconds, so
        the demo page makes them in a thread and only the sending runs on the event loop."""
        stored = [(self._api.files.add("photo", size.data, "photo.jpg"), size.width, size.height) for size in sizes]
        fields: dict[str, Any] = {"photo": incoming.photo_sizes_json(stored)}
        if caption is not None:
            fields["caption"] = caption
        return self.send_message(user_id, **fields)

    def send_voice(self, user_id: int) -> dict[str, Any]:
        stored = self._api.files.add("voice", b"", "voice.ogg")
        return self.send_message(user_id, voice=incoming.voice_json(stored))

    def send_document(
        self,
        user_id: int,
        *,
        file_name: str = "file.pdf",
        mime_type: str = "application/pdf",
        data: bytes | None = None,
        caption: str | None = None,
    ) -> dict[str, Any]:
        stored = self._api.files.add("document", data or b"", file_name)
        fields: dict[str, Any] = {"document": incoming.document_json(stored, file_name, mime_type)}
        if caption is not None:
            fields["caption"] = caption
        return self.send_message(user_id, **fields)

    def send_location(self, user_id: int, latitude: float = 43.24, longitude: float = 76.89) -> dict[str, Any]:
        return self.send_message(user_id, location={"latitude": latitude, "longitude": longitude})

    def press(self, user_id: int, message_id: int, data: str, *, force: bool = False) -> dict[str, Any]:
        """The user presses an inline button: queues and returns the CallbackQuery.

        Refuses a message the chat does not have or data none of its buttons carries, unless
        ``force`` (tests forge callbacks with it).
        """
        message = self._pressed_message(user_id, message_id, data, force=force)
        chat = self._chat_of(user_id)
        self._last_query_id += 1
        query_id = str(self._last_query_id)
        self._api.open_queries[query_id] = user_id
        query = {"id": query_id, "from": chat.user, "message": message, "chat_instance": f"chat-{user_id}", "data": data}
        self._queue.push("callback_query", query)
        return query

    def _pressed_message(self, user_id: int, message_id: int, data: str, *, force: bool) -> dict[str, Any]:
        """The message under the button; a forged press on a missing one carries an
        InaccessibleMessage, as Telegram sends for messages too old to show."""
        chat = self._chats.get(user_id)
        message = chat.messages.get(message_id) if chat else None
        if force:
            return message or {"chat": self._chat_of(user_id).chat, "message_id": message_id, "date": 0}
        if message is None or not message["from"].get("is_bot"):
            found = self._summary(chat) if chat else "no chat at all"
            raise LookupError(f"chat {user_id} has no bot message {message_id}; it has {found}")
        if data not in callback_data_of(message):
            raise ValueError(
                f"message {message_id} in chat {user_id} has no inline button with callback_data {data!r}; "
                f"its buttons carry {callback_data_of(message)}"
            )
        return message

    # --- what the bot did ---------------------------------------------------------------

    def chat_state(self, chat_id: int) -> ChatState | None:
        """The chat with everything in it (for the demo page and detailed checks)."""
        return self._chats.get(chat_id)

    def bot_messages(self, chat_id: int) -> list[dict[str, Any]]:
        """Current state of the bot's messages in the chat, oldest first (edits applied, deleted
        ones gone)."""
        chat = self._chats.get(chat_id)
        return chat.bot_messages() if chat else []

    def reply_keyboard(self, chat_id: int) -> dict[str, Any] | None:
        """The reply keyboard the user sees under the input box (None: none). Telegram keeps it
        per chat; the Message it came with does not carry it, only inline keyboards."""
        chat = self._chats.get(chat_id)
        return chat.reply_keyboard if chat else None

    def my_commands(self, *, scope: dict[str, Any] | None = None, language_code: str = "") -> list[dict[str, str]]:
        """The commands set with setMyCommands for that scope and language."""
        return self._api.commands.get(BotApi.settings_key(scope, language_code), [])

    @property
    def pending_updates(self) -> int:
        """Updates queued and not yet confirmed by the bot."""
        return len(self._queue)

    def file_bytes(self, file_id: str) -> bytes:
        """The content of a file the bot sent or a user uploaded (a photo the bot drew, say)."""
        stored = self._api.files.get(file_id)
        if stored is None:
            raise LookupError(f"no file {file_id!r} in the emulator")
        return stored.data

    @property
    def webhook_url(self) -> str | None:
        """The URL the bot registered with setWebhook, if any."""
        return self._api.webhook.url if self._api.webhook is not None else None

    @property
    def webhook_replicas(self) -> list[str]:
        """The load balancer's targets (see the class doc); set them before the bot sets its webhook."""
        return self._api.webhook_replicas

    @webhook_replicas.setter
    def webhook_replicas(self, urls: Sequence[str]) -> None:
        self._api.webhook_replicas = list(urls)

    @property
    def webhook(self) -> WebhookPusher | None:
        """The webhook pusher while one is set: its ``deliveries`` per replica, ``most_in_flight``."""
        return self._api.webhook

    @property
    def is_polling(self) -> bool:
        """Whether a getUpdates long poll is waiting right now."""
        return self._queue.waiting_polls > 0

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        """Waits until ``predicate()`` holds, re-checking it whenever the emulator's state changes."""
        if not await self._signal.wait_for(predicate, timeout):
            name = getattr(predicate, "__name__", repr(predicate))
            raise TimeoutError(f"{name} still false after {timeout} s; {self.pending_updates} updates queued")

    async def next_message(self, chat_id: int, timeout: float = 10.0) -> dict[str, Any]:
        """The next bot message in the chat that this method has not returned yet (its current
        state), waiting up to ``timeout`` seconds for it."""

        deadline = time.monotonic() + timeout
        if not await self._signal.wait_for(lambda: chat_id in self._chats, timeout):
            raise TimeoutError(self._no_message_report(chat_id, timeout))
        chat = self._chats[chat_id]
        if not await chat.changed.wait_for(lambda: chat.cursor < len(chat.sent), deadline - time.monotonic()):
            raise TimeoutError(self._no_message_report(chat_id, timeout))
        first_sent = chat.sent[chat.cursor]
        chat.cursor += 1
        return chat.messages.get(first_sent["message_id"], first_sent)

    def _summary(self, chat: ChatState) -> str:
        messages = [
            f"#{m['message_id']} {str(m.get('text') or m.get('caption') or '<media>')[:60]!r}" for m in chat.bot_messages()
        ]
        return "bot messages: " + (", ".join(messages) if messages else "none")

    def _no_message_report(self, chat_id: int, timeout: float) -> str:
        chat = self._chats.get(chat_id)
        parts = [f"no new bot message in chat {chat_id} within {timeout} s"]
        parts.append("no user ever wrote in this chat" if chat is None else self._summary(chat))
        failed = [r for r in self.requests if r.chat_id == chat_id and r.status != 200][-FAILED_CALLS_IN_REPORT:]
        if failed:
            parts.append("failed calls: " + "; ".join(f"{r.method} → {r.status} {r.description}" for r in failed))
        parts.append(f"{self.pending_updates} updates still queued" + ("" if self.is_polling else ", nobody polling"))
        return "; ".join(parts)

    # --- faults -------------------------------------------------------------------------

    def fail(
        self,
        method: str,
        *,
        error_code: int = 429,
        description: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
        chat_id: int | None = None,
    ) -> None:
        """The next ``times`` calls of ``method`` (in ``chat_id`` only, if given) answer this error,
        with Telegram's description unless one is given."""
        error = ApiError.of(error_code, description, retry_after)
        self._faults.add(Failure(method=method, times=times, chat_id=chat_id, error=error))

    def delay(self, method: str, seconds: float, *, times: int = 1, chat_id: int | None = None,
              in_transit: bool = False) -> None:
        """The next ``times`` calls of ``method`` (in ``chat_id`` only, if given) are answered
        ``seconds`` late. With ``in_transit`` the request itself is late: a client that gives up or
        dies meanwhile leaves the call undone (``in_transit`` counts the calls held so)."""
        self._faults.add(Delay(method=method, times=times, seconds=seconds, chat_id=chat_id, in_transit=in_transit))

    def drop(self, method: str, *, times: int = 1, after: bool = False) -> None:
        """The next ``times`` calls of ``method`` lose their connection unanswered: undone, or
        with ``after`` carried out first (the client cannot know it was)."""
        self._faults.add(Drop(method=method, times=times, after=after))

    def chaos(self, rate: float, *, seed: int = 0, kinds: tuple[Chaos, ...] = CHAOS_KINDS,
              methods: tuple[str, ...] | None = None, max_delay: float = 2.0) -> RandomFaults:
        """From now on each call (of ``methods``; all when None) meets a random fault with
        probability ``rate``: 429 with retry_after 1, 502, the connection dropped before or after
        the call is carried out, or a delay up to ``max_delay`` seconds. Returns the plan, whose
        ``counts`` tell what was injected; ``clear_faults()`` ends it."""
        self._chaos = RandomFaults(rate, seed, kinds, None if methods is None else frozenset(methods), max_delay)
        return self._chaos

    def clear_faults(self) -> None:
        self._faults.clear()
        self._chaos = None

    def block(self, user_id: int) -> None:
        """The user blocks the bot: every send or edit in their chat answers 403."""
        self._chat_of(user_id).blocked = True

    def unblock(self, user_id: int) -> None:
        self._chat_of(user_id).blocked = False
