"""Pushing updates to the bot's webhook, as Telegram does while one is set.

Telegram keeps up to ``max_connections`` (default 40) webhook requests open at once, but never
two for the same chat: a person's updates reach the bot one after the other, in order, while
different people are served side by side. The pusher does the same.

Several bot processes behind a load balancer are played by ``replicas``: the URL the bot
registered is shown in getWebhookInfo, while the POSTs go round-robin to the replicas' own
URLs, as the balancer in front of them would send them; a POST that fails goes to the next
replica.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiohttp import ClientError, ClientResponse, ClientSession, ClientTimeout, MultipartReader, TCPConnector

from bot.devtools.devserver.errors import ApiError
from bot.devtools.devserver.params import Params, read_multipart
from bot.devtools.devserver.updates import UpdateQueue

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram waits minutes between retries; tests cannot, so the pause starts short and stays under a second.
FIRST_RETRY_DELAY = 0.05
MAX_RETRY_DELAY = 1.0
DEFAULT_MAX_CONNECTIONS = 40  # Telegram's default for setWebhook's max_connections (1-100)
MAX_CONNECTIONS_LIMIT = 100

Execute = Callable[[str, Params], Awaitable[Any]]


def chat_key(update: dict[str, Any]) -> int | None:
    """Whose update this is, for keeping one person's updates in order: the chat, else the user
    (an inline query has no chat); None for the few kinds that have neither."""
    payload = next((value for key, value in update.items() if key != "update_id"), None)
    if not isinstance(payload, dict):
        return None
    for holder in (payload, payload.get("message")):
        if isinstance(holder, dict) and isinstance(holder.get("chat"), dict) and "id" in holder["chat"]:
            return int(holder["chat"]["id"])
    for field in ("from", "user"):
        if isinstance(payload.get(field), dict) and "id" in payload[field]:
            return int(payload[field]["id"])
    return None


class WebhookPusher:
    """POSTs queued updates to ``url`` (or round-robin to ``replicas``), up to
    ``max_connections`` at once, one at a time per chat, each chat's in order.

    An update leaves the queue only once a webhook answered 2xx; otherwise it is sent again (to
    the next replica, after a growing pause once every replica failed it), and the failure
    shows in getWebhookInfo. A webhook may answer with an API call in its body (aiogram does
    with ``handle_in_background=False``); it is executed.
    """

    def __init__(self, queue: UpdateQueue, url: str, secret_token: str | None, execute: Execute, *,
                 replicas: Sequence[str] = (), max_connections: int = DEFAULT_MAX_CONNECTIONS) -> None:
        if not 1 <= max_connections <= MAX_CONNECTIONS_LIMIT:
            raise ValueError(f"max_connections must be 1-{MAX_CONNECTIONS_LIMIT}, not {max_connections}")
        self.url = url
        self.secret_token = secret_token
        self.replicas = list(replicas)
        self.max_connections = max_connections
        self.last_error_date: int | None = None
        self.last_error_message: str | None = None
        self.deliveries: Counter[str] = Counter()  # accepted POSTs per target URL
        self.routes: dict[int, str] = {}  # update_id -> the target URL that accepted it
        self.most_in_flight = 0  # the most POSTs open at once so far
        self._targets = itertools.cycle(self.replicas or [url])
        self._queue = queue
        self._execute = execute
        self._task: asyncio.Task[None] | None = None
        self._in_flight: dict[int, asyncio.Task[None]] = {}  # update_id -> its delivery
        self._busy_chats: set[int] = set()
        self._scanned_version = -1  # the queue's version at the last scan that found nothing to send

    def same_as(self, url: str, secret_token: str | None, max_connections: int) -> bool:
        return (url, secret_token, max_connections) == (self.url, self.secret_token, self.max_connections)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"webhook {self.url}")

    async def stop(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        try:
            await self._task
        except asyncio.CancelledError:
            pass
        self._task = None

    def _next_update(self) -> dict[str, Any] | None:
        """The oldest update that may go now: a free connection, and no update of its chat in
        flight (an earlier one of a free chat would have been chosen first, so order holds)."""
        if len(self._in_flight) >= self.max_connections or self._scanned_version == self._queue.version:
            return None
        for update in self._queue.deliverable_updates():
            if update["update_id"] in self._in_flight:
                continue
            key = chat_key(update)
            if key is None or key not in self._busy_chats:
                return update
        self._scanned_version = self._queue.version
        return None

    async def _run(self) -> None:
        headers = {SECRET_HEADER: self.secret_token} if self.secret_token else None
        connector = TCPConnector(limit=self.max_connections)
        async with ClientSession(headers=headers, timeout=ClientTimeout(total=30), connector=connector) as session:
            try:
                while True:
                    await self._queue.wait(lambda: self._next_update() is not None)
                    if self._queue.closed:
                        return
                    update = self._next_update()
                    assert update is not None
                    key = chat_key(update)
                    if key is not None:
                        self._busy_chats.add(key)
                    self._in_flight[update["update_id"]] = asyncio.create_task(self._push(session, update, key))
                    self.most_in_flight = max(self.most_in_flight, len(self._in_flight))
            finally:
                deliveries = list(self._in_flight.values())
                for delivery in deliveries:
                    delivery.cancel()
                await asyncio.gather(*deliveries, return_exceptions=True)

    async def _push(self, session: ClientSession, update: dict[str, Any], key: int | None) -> None:
        """One update until a webhook accepts it; then it leaves the queue and frees its chat."""
        failures = 0
        try:
            while True:
                target = next(self._targets)
                if await self._deliver(session, target, update):
                    self.deliveries[target] += 1
                    self.routes[update["update_id"]] = target
                    break
                failures += 1
                rounds, rest = divmod(failures, len(self.replicas) or 1)
                if rest == 0:  # every replica failed it once more: wait before the next round
                    await asyncio.sleep(min(FIRST_RETRY_DELAY * 2 ** (rounds - 1), MAX_RETRY_DELAY))
        finally:
            self._in_flight.pop(update["update_id"], None)
            if key is not None:
                self._busy_chats.discard(key)
        self._queue.remove(update["update_id"])  # wakes the loop: a connection and the chat are free

    async def _deliver(self, session: ClientSession, target: str, update: dict[str, Any]) -> bool:
        try:
            async with session.post(target, json=update) as response:
                if not 200 <= response.status < 300:
                    return self._failed(f"Wrong response from the webhook: {response.status} {response.reason}")
                await self._execute_answer(response)
                return True
        except (ClientError, TimeoutError) as exc:
            return self._failed(str(exc) or type(exc).__name__)

    def _failed(self, message: str) -> bool:
        self.last_error_date = int(time.time())
        self.last_error_message = message
        return False

    async def _execute_answer(self, response: ClientResponse) -> None:
        try:
            if response.content_type == "multipart/form-data":
                params = await read_multipart(MultipartReader(response.headers, response.content))
            elif response.content_type == "application/json":
                body = await response.json()
                params = Params(body if isinstance(body, dict) else {})
            else:
                return
        except (ApiError, ValueError):
            return  # Telegram ignores an answer it cannot read; the update still counts as delivered.
        method = params.text("method")
        if method:
            await self._execute(method, params)
