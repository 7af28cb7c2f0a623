"""Pushing updates to the bot's webhook, as Telegram does while one is set."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import ClientError, ClientResponse, ClientSession, ClientTimeout, MultipartReader

from bot.devtools.devserver.errors import ApiError
from bot.devtools.devserver.params import Params, read_multipart
from bot.devtools.devserver.updates import UpdateQueue

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram waits minutes between retries; tests cannot, so the pause starts short and stays under a second.
FIRST_RETRY_DELAY = 0.05
MAX_RETRY_DELAY = 1.0

Execute = Callable[[str, Params], Awaitable[Any]]


class WebhookPusher:
    """POSTs queued updates to ``url`` one at a time, in order.

    An update leaves the queue only once the webhook answered 2xx; otherwise it is sent again
    after a growing pause, and the failure shows in getWebhookInfo. A webhook may answer with an
    API call in its body (aiogram does with ``handle_in_background=False``); it is executed.
    """

    def __init__(self, queue: UpdateQueue, url: str, secret_token: str | None, execute: Execute) -> None:
        self.url = url
        self.secret_token = secret_token
        self.last_error_date: int | None = None
        self.last_error_message: str | None = None
        self._queue = queue
        self._execute = execute
        self._task: asyncio.Task[None] | None = None

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

    async def _run(self) -> None:
        headers = {SECRET_HEADER: self.secret_token} if self.secret_token else None
        failures = 0
        async with ClientSession(headers=headers, timeout=ClientTimeout(total=30)) as session:
            while True:
                await self._queue.wait_deliverable()
                if self._queue.closed:
                    return
                update = self._queue.take(1)[0]
                if await self._deliver(session, update):
                    failures = 0
                    self._queue.confirm(update["update_id"] + 1)
                else:
                    failures += 1
                    await asyncio.sleep(min(FIRST_RETRY_DELAY * 2 ** (failures - 1), MAX_RETRY_DELAY))

    async def _deliver(self, session: ClientSession, update: dict[str, Any]) -> bool:
        try:
            async with session.post(self.url, json=update) as response:
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
