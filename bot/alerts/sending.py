"""One broadcast's sendMessage requests, encoded once and sent through the Bot's own session.

``bot.send_message`` does, for each of 100 000 recipients, work whose result never changes
within a broadcast: it validates a SendMessage model, dumps it, url-encodes the same text
again (about 120 µs), and on the way back validates the whole ``Message`` that the engine
throws away (about 50 µs). Uncapped, that was a third of the engine's CPU per send. Here the
form is encoded once per language and only ``chat_id`` is written per send.

What stays aiogram's: the Bot's aiohttp session (its connection pool, API server and
timeout), the same form fields (so Telegram sees the same request), and, for every answer
but a plain OK, aiogram's own ``check_response``, so that a refusal raises the very exception
``bot.send_message`` would (``TelegramRetryAfter``, ``TelegramForbiddenError``, …) and a
malformed answer ``ClientDecodeError``; except that a 5xx or 429 whose body is not the Bot
API's JSON (a proxy's HTML page) is a ``TelegramServerError``, retried like any 5xx, rather
than an error that would stop the run. The session's request middlewares are not applied:
the engine's Bot must have none (see ``create_bot(..., retry=False)``).

Given a relay (``BROADCAST_RELAY_URL``), the requests go to it instead of Telegram, each with
the delivery's ``Idempotency-Key``; the relay answers with Telegram's answer, or with its own
409 "in doubt" (``DeliveryInDoubt``) for a delivery another request is carrying or whose fate
it lost. See ``bot.alerts.relay``.
"""

from __future__ import annotations

import asyncio
from typing import Literal
from urllib.parse import urlencode

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramServerError,
)
from aiogram.methods import SendMessage
from aiogram.methods.base import Response
from aiogram.types import LinkPreviewOptions, Message
from aiohttp import ClientConnectorError, ClientError, ClientTimeout

from bot.alerts.journal import delivery_key
from bot.alerts.relay import IDEMPOTENCY_KEY, IN_DOUBT
from bot.alerts.repository import Broadcast, Delivery

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
PREVIEW_OFF = '{"is_disabled": true}'  # NO_PREVIEW as aiogram's form writes it


class DeliveryInDoubt(Exception):
    """The relay did not forward this request: a request with the same key is on its way to
    Telegram, or one was lost after it was written. Whether the person has the alert is the
    journal's to say (`BroadcastsRepo.settle`); the row stays 'sending' until then."""


class RelayUnavailable(Exception):
    """The relay could not be reached (restarting, or down): nothing was sent, and this says
    nothing about Telegram or the person. The engine pauses all its sending for a moment
    rather than spend the recipient's attempts on it."""


def recipient_gone(error: TelegramAPIError) -> Literal["blocked", "not_found"] | None:
    """Whether a refusal says the person can no longer be written to: they blocked the bot or
    deleted their account (403), or the chat does not exist (400 "chat not found"). None: any
    other error, which says nothing about the person. Shared by every sender to people (police
    alerts, review notices), so they agree on whom to stop writing to."""
    if isinstance(error, TelegramForbiddenError):
        return "blocked"
    if isinstance(error, TelegramBadRequest) and "chat not found" in error.message.lower():
        return "not_found"
    return None


class AlertSender:
    """Sends one broadcast's text (HTML, no link preview, ``allow_paid_broadcast`` when paid) to
    one recipient at a time; returns once Telegram has said OK, raises aiogram's exception for
    anything else. With ``relay_url`` the requests go through the alert relay, keyed;
    ``DeliveryInDoubt`` when it does not forward one."""

    def __init__(self, bot: Bot, broadcast: Broadcast, relay_url: str | None = None) -> None:
        if not isinstance(bot.session, AiohttpSession):
            raise TypeError(f"the engine sends through an AiohttpSession, not {type(bot.session).__name__}")
        self._bot = bot
        self._session: AiohttpSession = bot.session
        api = TelegramAPIServer.from_base(relay_url) if relay_url else self._session.api
        self._url = api.api_url(token=bot.token, method=SendMessage.__api_method__)
        self._keyed = relay_url is not None
        self._timeout = ClientTimeout(total=self._session.timeout)
        self._broadcast = broadcast
        self._tails: dict[str, str] = {}  # the fields after chat_id, by the recipient's language
        # Refusals are parsed as Response[Message], a generic class that pydantic caches only
        # weakly: with many blocked users the garbage collector freed it every few dozen
        # answers and the next one rebuilt it (about 4 ms each time). Held here, it is built once.
        self._reply_type = Response[Message]

    def _tail(self, language: str) -> str:
        """The form after ``chat_id``, url-encoded once per language, with the fields aiogram's
        form would have, in its order and spelling."""
        tail = self._tails.get(language)
        if tail is None:
            fields = {"text": self._broadcast.text(language), "parse_mode": "HTML", "link_preview_options": PREVIEW_OFF}
            if self._broadcast.paid:
                fields["allow_paid_broadcast"] = "true"
            tail = self._tails[language] = "&" + urlencode(fields)
        return tail

    def _method(self, delivery: Delivery) -> SendMessage:
        """The aiogram method this request stands for (what its exceptions carry)."""
        return SendMessage(
            chat_id=delivery.user_id,
            text=self._broadcast.text(delivery.language),
            parse_mode="HTML",
            link_preview_options=NO_PREVIEW,
            allow_paid_broadcast=self._broadcast.paid or None,
        )

    async def send(self, delivery: Delivery) -> None:
        body = f"chat_id={delivery.user_id}{self._tail(delivery.language)}".encode()
        headers = FORM | {IDEMPOTENCY_KEY: delivery_key(self._broadcast.id, delivery.user_id)} if self._keyed else FORM
        http = await self._session.create_session()
        try:
            async with http.post(self._url, data=body, headers=headers, timeout=self._timeout) as response:
                status, content = response.status, await response.text()
                doubt = response.headers.get(IN_DOUBT) if self._keyed and status == 409 else None
        except ClientConnectorError as exc:
            if self._keyed:  # no connection to the relay: the request never left
                raise RelayUnavailable(f"the alert relay cannot be reached ({type(exc).__name__}: {exc})") from exc
            raise TelegramNetworkError(method=self._method(delivery), message=f"{type(exc).__name__}: {exc}") from exc
        except asyncio.TimeoutError as exc:  # as aiogram's make_request words them
            raise TelegramNetworkError(method=self._method(delivery), message="Request timeout error") from exc
        except ClientError as exc:
            raise TelegramNetworkError(method=self._method(delivery), message=f"{type(exc).__name__}: {exc}") from exc
        if doubt is not None:
            raise DeliveryInDoubt(f"the relay holds delivery {delivery.user_id} of broadcast {self._broadcast.id}: {doubt}")
        if not self._delivered(status, content, delivery.user_id):
            try:
                self._session.check_response(self._bot, self._method(delivery), status, content)
            except ClientDecodeError as exc:
                if status >= 500 or status == 429:
                    # A proxy's HTML error page (nginx "502 Bad Gateway"): an answer, and a refusal.
                    raise TelegramServerError(
                        method=self._method(delivery), message=f"HTTP {status} without a Bot API answer: {content[:80]!r}"
                    ) from exc
                raise
            raise ClientDecodeError("sendMessage answered OK without the message", ValueError(content), content)

    def _delivered(self, status: int, content: str, chat_id: int) -> bool:
        """Whether this is Telegram's OK with the message it put in that chat."""
        if status != 200:
            return False
        try:
            answer = self._session.json_loads(content)
            return answer["ok"] is True and answer["result"]["chat"]["id"] == chat_id
        except (ValueError, TypeError, KeyError):
            return False  # check_response says what is wrong with it
