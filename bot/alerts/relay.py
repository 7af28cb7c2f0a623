"""The alert relay: the alerts' one way out to Telegram, so that a killed sender costs nobody
their alert and sends nobody a second one.

Without it, delivery is *at most once*: a sender killed with requests on the wire leaves those
rows 'sending', and since Telegram's API cannot say whether they arrived, they are never sent
again (``bot.alerts.engine``). With ``BROADCAST_RELAY_URL`` set, every engine posts its
``sendMessage`` here instead, with an ``Idempotency-Key`` header (``<broadcast>:<user>``). The
relay, a process of its own that does not die with a replica (``python -m bot relay``; a
service of ``deploy/docker-compose.yml``):

1. reads the whole request, then claims the key in the journal (``bot.alerts.journal``),
   committed, *before* anything goes to Telegram;
2. forwards it, and writes Telegram's answer to the journal *after*, whether or not the sender
   is still connected: the forward runs in a task of its own, shielded from the sender's
   disconnect, and the relay's shutdown waits for it;
3. answers the sender with Telegram's own answer, status and body unchanged (a 429 still pauses
   every engine, a 403 still marks the user blocked).

A request whose key was already delivered is answered with the same OK again, from the journal
(``X-Relay-Replayed``), and is not forwarded; one whose key is on its way or ended unknown is
answered 409 with ``X-Relay-In-Doubt`` (the sender leaves the row 'sending' and the engines
settle it from the journal later). A live engine settles a dead one's rows from the journal
(`BroadcastsRepo.settle`): delivered -> sent, never reached Telegram or refused -> sent again
through the relay, still being forwarded -> wait. So every recipient gets the alert exactly
once unless the relay itself loses a request after writing it (a timeout towards Telegram):
that row is 'unknown', reported uncertain, never sent again.

The relay keeps nothing but the journal (no text, no name; a week of keys, then pruned) and
never logs a request's path, which holds the bot token. Several relays may share one journal
(the claim is one statement); one is enough, since it only forwards.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qs

from aiogram.client.telegram import TelegramAPIServer
from aiohttp import ClientConnectorError, ClientError, ClientSession, ClientTimeout, web

from bot.alerts.claims import retrying
from bot.alerts.journal import JournalState, SendJournal
from bot.storage.database import STORAGE_FAULTS

log = logging.getLogger(__name__)

IDEMPOTENCY_KEY = "Idempotency-Key"
IN_DOUBT = "X-Relay-In-Doubt"  # on the relay's own 409: 'started' (on its way) or 'unknown'
REPLAYED = "X-Relay-Replayed"  # on an OK answered from the journal, not from Telegram
RELAYED_METHODS = frozenset({"sendMessage"})
KEY = re.compile(r"[0-9A-Za-z:_-]{1,64}")
FORM = "application/x-www-form-urlencoded"
TELEGRAM = "https://api.telegram.org"
DEFAULT_TIMEOUT = 60.0  # seconds for Telegram's answer: aiogram's, the engines' own request timeout
RETAIN = 7 * 24 * 3600.0  # seconds a journal row is kept
PRUNE_EVERY = 3600.0
MAX_BODY = 64 * 1024  # an alert is at most 4096 characters, url-encoded


def _bot_api_error(status: int, description: str, headers: dict[str, str] | None = None) -> web.Response:
    """A refusal in the Bot API's own form, so that aiogram's ``check_response`` reads it."""
    body = json.dumps({"ok": False, "error_code": status, "description": description})
    return web.Response(status=status, text=body, content_type="application/json", headers=headers)


class Relay:
    """Forwards keyed ``sendMessage`` requests to Telegram (``upstream``: its Bot API base URL,
    or a self-hosted server's), journalled; see the module's docstring."""

    def __init__(self, journal: SendJournal, upstream: str = TELEGRAM, *, timeout: float = DEFAULT_TIMEOUT,
                 retain: float = RETAIN) -> None:
        if not timeout > 0:
            raise ValueError(f"timeout must be above 0 seconds, got {timeout}")
        self._journal = journal
        self._api = TelegramAPIServer.from_base(upstream)
        self._timeout = ClientTimeout(total=timeout)
        self._retain = retain
        self._http: ClientSession | None = None
        self._forwards: set[asyncio.Task[web.Response]] = set()

    def app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_post("/bot{token}/{method}", self._handle)
        app.router.add_get("/healthz", self._healthz)
        app.cleanup_ctx.append(self._lifetime)
        return app

    async def _lifetime(self, app: web.Application):  # noqa: ANN202 - aiohttp's cleanup context
        """The HTTP client and the journal's pruning while the relay runs; at the end, every
        forward under way finishes and is journalled before the client closes."""
        self._http = ClientSession(timeout=self._timeout)
        pruning = asyncio.create_task(self._prune_forever())
        try:
            yield
        finally:
            pruning.cancel()
            await asyncio.gather(pruning, *self._forwards, return_exceptions=True)
            await self._http.close()

    async def _prune_forever(self) -> None:
        while True:
            try:
                pruned = await self._journal.prune(time.time() - self._retain)
                if pruned:
                    log.info("relay journal: %d rows older than %g days deleted", pruned, self._retain / 86400)
            except STORAGE_FAULTS as exc:
                log.warning("relay journal not pruned (%s: %s); trying again later", type(exc).__name__, exc)
            await asyncio.sleep(PRUNE_EVERY)

    async def _healthz(self, request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if method not in RELAYED_METHODS:
            return _bot_api_error(404, f"Not Found: the relay forwards only {', '.join(sorted(RELAYED_METHODS))}")
        key = request.headers.get(IDEMPOTENCY_KEY, "")
        if not KEY.fullmatch(key):
            return _bot_api_error(400, f"Bad Request: the relay needs an {IDEMPOTENCY_KEY} header "
                                       "(1 to 64 letters, digits, ':', '_' or '-')")
        if request.content_type != FORM:
            return _bot_api_error(415, f"Bad Request: the relay takes {FORM} bodies")
        body = await request.read()  # all of it before the claim: a sender killed mid-write claims nothing
        try:
            chat_id = int(parse_qs(body.decode())["chat_id"][0])
        except (KeyError, ValueError, UnicodeDecodeError):
            return _bot_api_error(400, "Bad Request: chat_id is missing or not a number")
        try:
            claimed = await self._journal.claim(key, chat_id, time.time())
            entry = None if claimed else await self._journal.get(key)
        except STORAGE_FAULTS as exc:  # nothing was sent: the sender tries again, as after a 5xx
            log.warning("relay journal unavailable (%s: %s)", type(exc).__name__, exc)
            return _bot_api_error(503, "Service Unavailable: the relay's journal cannot be written")
        if not claimed:
            if entry is not None and entry.state is JournalState.DELIVERED and entry.answer is not None:
                replay = json.dumps({"ok": True, "result": entry.answer})
                return web.Response(text=replay, content_type="application/json", headers={REPLAYED: "1"})
            state = entry.state.value if entry is not None else JournalState.STARTED.value
            return _bot_api_error(409, f"Conflict: delivery {key} is {state} at the relay", {IN_DOUBT: state})
        forward = asyncio.create_task(self._forward(request.match_info["token"], method, body, key))
        self._forwards.add(forward)
        forward.add_done_callback(self._forwards.discard)
        return await asyncio.shield(forward)  # a sender that hangs up does not stop it

    async def _forward(self, token: str, method: str, body: bytes, key: str) -> web.Response:
        assert self._http is not None, "the relay's app is not running"
        try:
            async with self._http.post(self._api.api_url(token=token, method=method), data=body,
                                       headers={"Content-Type": FORM}) as response:
                status, text = response.status, await response.text()
        except ClientConnectorError as exc:  # no connection: nothing reached Telegram
            await self._write(key, JournalState.REFUSED, None, None)
            return _bot_api_error(502, f"Bad Gateway: the relay cannot reach Telegram ({type(exc).__name__})")
        except (asyncio.TimeoutError, ClientError) as exc:  # written, then lost: Telegram may have sent it
            await self._write(key, JournalState.UNKNOWN, None, None)
            log.warning("relay: delivery %s unknown, Telegram's answer was lost (%s)", key, type(exc).__name__)
            return _bot_api_error(409, f"Conflict: delivery {key} is unknown: Telegram's answer was lost",
                                  {IN_DOUBT: JournalState.UNKNOWN.value})
        answer = _delivered(status, text)
        await self._write(key, JournalState.DELIVERED if answer else JournalState.REFUSED, status, answer)
        return web.Response(status=status, text=text, content_type="application/json")

    async def _write(self, key: str, state: JournalState, status: int | None, answer: dict[str, Any] | None) -> None:
        """Journals the outcome, tried again through passing faults. If it still fails the row
        stays 'started': the engines then count that delivery uncertain, never send it again."""
        try:
            await retrying(lambda: self._journal.answer(key, state, time.time(), status=status, answer=answer),
                           f"journalling delivery {key}")
        except STORAGE_FAULTS as exc:
            log.error("relay: the outcome of delivery %s (%s) is not journalled: %s: %s",
                      key, state, type(exc).__name__, exc)


def _delivered(status: int, text: str) -> dict[str, Any] | None:
    """Telegram's OK with a message: the part kept to answer a repeat (id, date, chat id and
    type; no text, no name). None for any other answer."""
    if status != 200:
        return None
    try:
        answer = json.loads(text)
        message = answer["result"]
        if answer["ok"] is not True:
            return None
        return {"message_id": message["message_id"], "date": message["date"],
                "chat": {"id": message["chat"]["id"], "type": message["chat"]["type"]}}
    except (ValueError, TypeError, KeyError):
        return None


@asynccontextmanager
async def relay_running(journal: SendJournal, upstream: str, host: str, port: int, *,
                        timeout: float = DEFAULT_TIMEOUT) -> AsyncIterator[str]:
    """The relay listening on ``host:port`` (0: a free port) while the block runs; yields its
    base URL (what ``BROADCAST_RELAY_URL`` names). No access log: a request's path holds the
    bot token. On the way out every forward under way is answered and journalled first."""
    runner = web.AppRunner(Relay(journal, upstream, timeout=timeout).app(), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        bound_host, bound_port = runner.addresses[0][:2]
        log.info("alert relay on %s:%d, forwarding to %s", bound_host, bound_port, upstream)
        yield f"http://{bound_host}:{bound_port}"
    finally:
        await runner.cleanup()
