"""The inbox: no update is lost to a crash, none answered twice, and one bad update blocks nobody.

aiogram's own polling confirms an update to Telegram (the next getUpdates' ``offset``) as soon
as it has *read* it, and parses the whole batch at once. So a kill -9 while checks are in
flight loses those users' messages for good, and one update aiogram cannot parse (a forward
origin of a new type, a message without ``chat``) makes every getUpdates fail, for everyone,
for ever. `Poller` replaces it:

- **Raw batches, one update at a time.** getUpdates' result is taken as plain JSON; each update
  is validated alone. One that does not parse is logged in one line and skipped (confirmed with
  the others), and the rest are handled.
- **The offset is advanced only after handling.** The offset sent is the lowest update id not yet
  handled, so after a crash Telegram sends again every update that was not finished.
- **No second answer.** Updates answered but not yet confirmed come back too after a crash;
  `Inbox` remembers their ids (in memory and in the ``handled_updates`` table: ids only, no
  text) and they are skipped.
- **No late answers.** A message older than ``STALE_AFTER`` when it reaches the bot (it was down)
  is not answered: a verdict minutes late helps nobody and confuses. One log line per batch.

The webhook mode gets the same through `InboxMiddleware` (the bot answers Telegram's POST only
after handling, so Telegram retries what a crash interrupted) and `SafeRequestHandler`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from aiogram import BaseMiddleware, Bot, Dispatcher
from aiogram.methods import GetUpdates
from aiogram.types import TelegramObject, Update
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from pydantic import ValidationError

from bot.storage import Database
from bot.storage.inbox import KEEP_FOR, HandledUpdatesRepo

log = logging.getLogger(__name__)

STALE_AFTER = 300.0  # seconds: an older message is not answered (the bot was down when it came)
HANDLER_GRACE = 5.0  # seconds in-flight handlers get to finish when the bot stops
REPOLL_AFTER = 0.25  # seconds between polls while handlers run and nothing new came
COALESCE = 0.01  # seconds: after a handler finishes, others finishing meanwhile share the next poll
HOLD_AT_MOST = 60.0  # seconds one slow update may hold the offset back (crash safety given up after)
BACKOFF_FIRST, BACKOFF_MAX = 0.5, 15.0
LIMIT = 100  # Telegram's most updates per getUpdates


class RawGetUpdates(GetUpdates):
    """getUpdates whose result stays plain JSON, so that one bad update cannot fail the batch."""

    __returning__ = list[Any]


def update_time(update: Update) -> datetime | None:
    """When the user sent (or edited) what the update carries; None for updates without a date
    (a button press: its message's date is when the *bot* wrote it)."""
    if update.edited_message is not None:
        return update.edited_message.edit_date or update.edited_message.date
    message = update.message or update.business_message or update.channel_post
    return message.date if message is not None else None


def is_stale(update: Update, now: float, stale_after: float = STALE_AFTER) -> bool:
    sent = update_time(update)
    return sent is not None and now - sent.timestamp() > stale_after


def describe_invalid(error: ValidationError) -> str:
    """The first problems of a bad update, by field path, without any of its values (user text)."""
    problems = [f"{'.'.join(str(p) for p in e['loc'])}: {e['type']}" for e in error.errors()[:3]]
    more = error.error_count() - len(problems)
    return "; ".join(problems) + (f" (+{more} more)" if more > 0 else "")


class Inbox:
    """Which updates were already answered: a set in memory, mirrored in the database so that it
    survives a crash (and, on PostgreSQL, is seen by every replica). A storage fault costs at worst a second answer after a crash, never an
    answer now, so it is logged and the answer goes on."""

    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self._repo = HandledUpdatesRepo(db)
        # Replicas share PostgreSQL: an update one of them answered and then died before telling
        # Telegram comes again to another, whose memory never saw it. So with a shared database
        # `answered_anywhere` asks the table too (a primary-key read per update).
        self._shared = db.engine == "postgresql"
        self._clock = clock
        self._handled: dict[int, float] = {}
        self._lowest_kept: int | None = None

    async def open(self) -> None:
        now = self._clock()
        self._handled = dict.fromkeys(sorted(await self._repo.load(now)), now)
        self._lowest_kept = min(self._handled, default=None)
        if self._handled:
            log.info("inbox: %d updates were answered before the restart but not yet confirmed to Telegram",
                     len(self._handled))

    def answered(self, update_id: int) -> bool:
        return update_id in self._handled

    async def answered_anywhere(self, update_id: int) -> bool:
        """Answered by this process, or (replicas on a shared database) by any other. A storage
        fault answers False: a possible second answer, never a lost one."""
        if update_id in self._handled:
            return True
        if not self._shared:
            return False
        try:
            return await self._repo.handled(update_id)
        except Exception as exc:  # noqa: BLE001 - the update is answered; only the duplicate check is lost
            log.warning("inbox: could not ask whether update %d was answered elsewhere (%s)", update_id, exc)
            return False

    async def mark(self, update_id: int) -> None:
        now = self._clock()
        self._handled[update_id] = now
        if self._lowest_kept is None or update_id < self._lowest_kept:
            self._lowest_kept = update_id
        try:
            await self._repo.mark(update_id, now)
        except Exception as exc:  # noqa: BLE001 - the answer is out; only crash protection is lost
            log.warning("inbox: could not record update %d as answered (%s); after a crash it may be "
                        "answered twice", update_id, exc)
        if len(self._handled) > 10_000:  # webhook mode confirms nothing by offset: forget by age
            await self._forget_older(now - KEEP_FOR)

    async def confirmed_below(self, offset: int) -> None:
        """Telegram confirmed every update below ``offset``; their ids are no longer needed."""
        if self._lowest_kept is None or self._lowest_kept >= offset:
            return
        self._handled = {uid: at for uid, at in self._handled.items() if uid >= offset}
        self._lowest_kept = min(self._handled, default=None)
        try:
            await self._repo.forget_below(offset)
        except Exception as exc:  # noqa: BLE001 - a few stale ids cost nothing; retried next time
            log.warning("inbox: could not forget confirmed updates (%s)", exc)

    async def _forget_older(self, before: float) -> None:
        self._handled = {uid: at for uid, at in self._handled.items() if at >= before}
        self._lowest_kept = min(self._handled, default=None)
        with contextlib.suppress(Exception):
            await self._repo.forget_older(before)


class InboxMiddleware(BaseMiddleware):
    """For every update however it came (polling or webhook): skip one already answered or too
    old, record it as answered once handled. A handler that raised still counts as handled (the
    error handler answered); one cancelled by a stop does not, so it comes again after the restart."""

    def __init__(self, inbox: Inbox, stale_after: float = STALE_AFTER) -> None:
        self.inbox = inbox
        self.stale_after = stale_after

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if not isinstance(event, Update):
            return await handler(event, data)
        if await self.inbox.answered_anywhere(event.update_id):
            log.info("update %d was answered before a restart or by another replica: not answered again",
                     event.update_id)
            return None
        if is_stale(event, time.time(), self.stale_after):
            log.info("update %d is older than %.0f s: not answered late", event.update_id, self.stale_after)
            return None
        try:
            result = await handler(event, data)
        except asyncio.CancelledError:
            raise
        except Exception:
            await self.inbox.mark(event.update_id)
            raise
        await self.inbox.mark(event.update_id)
        return result


class SafeRequestHandler(SimpleRequestHandler):
    """The webhook receiver: answers Telegram only once the update is handled (so a crash makes
    Telegram send it again), and answers 200 to an update that does not parse, with one log
    line, instead of an error Telegram would retry for ever."""

    def __init__(self, dispatcher: Dispatcher, bot: Bot, secret_token: str | None = None, **data: Any) -> None:
        super().__init__(dispatcher, bot, handle_in_background=False, secret_token=secret_token, **data)

    async def _handle_request(self, bot: Bot, request: web.Request) -> web.Response:
        try:
            raw = await request.json(loads=bot.session.json_loads)
            update = Update.model_validate(raw, context={"bot": bot})
        except ValidationError as exc:
            update_id = raw.get("update_id") if isinstance(raw, dict) else None
            log.warning("update %s skipped: it does not parse (%s)", update_id, describe_invalid(exc))
            return web.json_response({})
        except ValueError as exc:
            log.warning("webhook body skipped: not JSON (%s)", exc)
            return web.json_response({})
        result = await self.dispatcher.feed_webhook_update(bot, update, **self.data)
        return web.Response(body=self._build_response_writer(bot=bot, result=result))


class Poller:
    """Long polling with the guarantees above. ``run()`` until ``stop()``; see the module doc.

    While handlers run, the offset stays at the oldest unfinished update, so Telegram keeps
    returning it: the poller remembers what it already started and polls again only when a
    handler finishes or every ``REPOLL_AFTER`` seconds, so new messages are not held up behind a
    slow one. One update slower than ``HOLD_AT_MOST`` (or one that fills a whole batch window
    behind it) stops holding the offset: the bot must not stall for everyone; only that
    update's crash protection is given up, and that is logged.
    """

    def __init__(self, dp: Dispatcher, bot: Bot, inbox: Inbox, *, polling_timeout: int = 10,
                 allowed_updates: list[str] | None = None, stale_after: float = STALE_AFTER,
                 **data: Any) -> None:
        self._dp = dp
        self._bot = bot
        self._inbox = inbox
        self._timeout = polling_timeout
        self._allowed = allowed_updates
        self._stale_after = stale_after
        self._data = data
        self._highest: int | None = None  # the highest update id started (or skipped) by this process
        self._in_flight: dict[int, float] = {}  # update id -> when its handling started
        self._released: set[int] = set()  # in flight, but no longer holding the offset back
        self._tasks: set[asyncio.Task[None]] = set()
        self._finished = asyncio.Event()
        self._stopping = asyncio.Event()
        self.started = asyncio.Event()  # set once the first getUpdates has been answered
        self._started_up = False  # the dispatcher's startup ran: its shutdown is due after the drain

    # --- the offset ----------------------------------------------------------------------

    def offset(self) -> int | None:
        """The lowest update id not yet handled (Telegram confirms everything below it)."""
        holding = [uid for uid in self._in_flight if uid not in self._released]
        if holding:
            return min(holding)
        return None if self._highest is None else self._highest + 1

    def _release_slow(self, now: float, window_full: bool) -> None:
        holding = sorted(uid for uid in self._in_flight if uid not in self._released)
        for uid in holding:
            if now - self._in_flight[uid] > HOLD_AT_MOST or window_full:
                self._released.add(uid)
                log.warning("update %d still in handling after %.0f s: confirmed to Telegram anyway so that "
                            "others are not held up (a crash now would lose it)", uid, now - self._in_flight[uid])
                window_full = False  # one at a time: the next poll shows whether that was enough

    # --- running -------------------------------------------------------------------------

    async def run(self) -> None:
        backoff = BACKOFF_FIRST
        while True:  # Telegram may be unreachable at start too
            try:
                me = await self._bot.me()
                break
            except Exception as exc:  # noqa: BLE001 - retried until it works or the bot stops
                log.warning("getMe failed (%s: %s); retrying in %.1f s", type(exc).__name__, exc, backoff)
                await self._sleep(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX)
                if self._stopping.is_set():
                    return
        log.info("polling as @%s (offset advanced only after handling)", me.username)
        await self._dp.emit_startup(bot=self._bot, dispatcher=self._dp, bots=(self._bot,),
                                    **self._dp.workflow_data)
        self._started_up = True
        backoff = BACKOFF_FIRST
        while not self._stopping.is_set():
            offset = self.offset()
            try:
                raw = await self._fetch(offset, self._timeout)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - Telegram or the network; never stop polling
                log.warning("getUpdates failed (%s: %s); retrying in %.1f s", type(exc).__name__, exc, backoff)
                await self._sleep(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX)
                continue
            if raw is None:
                break  # stopping: what came is not confirmed, Telegram sends it again after the restart
            backoff = BACKOFF_FIRST
            self.started.set()
            if offset is not None:
                await self._inbox.confirmed_below(offset)
            if self._stopping.is_set():
                break  # what came is not confirmed: Telegram sends it again after the restart
            started = self._dispatch(raw)
            if started or not self._in_flight:
                continue
            self._release_slow(time.monotonic(), window_full=len(raw) >= LIMIT)
            await self._wait_for_progress()

    async def _fetch(self, offset: int | None, timeout: int) -> list[Any] | None:
        """One getUpdates; None when the bot began to stop first (whether Telegram saw the
        offset is then unknown, so nothing is taken as confirmed)."""
        request_timeout = int((self._bot.session.timeout or 60) + timeout)
        get = asyncio.ensure_future(self._bot(
            RawGetUpdates(offset=offset, timeout=timeout, limit=LIMIT, allowed_updates=self._allowed),
            request_timeout=request_timeout))
        stop = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait({get, stop}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
        if not get.done():  # stopping: the long poll is abandoned, nothing it returns is used
            get.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await get
            return None
        return get.result()

    def _dispatch(self, raw: list[Any]) -> int:
        """Starts a handler for each new update of the batch; returns how many were new."""
        now = time.time()
        new = stale = repeated = 0
        for item in raw:
            update_id = item.get("update_id") if isinstance(item, dict) else None
            if not isinstance(update_id, int) or isinstance(update_id, bool):
                log.warning("getUpdates returned an item without an update id: skipped")
                continue
            if self._highest is not None and update_id <= self._highest:
                continue  # started earlier by this process (still in flight, or sent again)
            self._highest = update_id
            new += 1
            if self._inbox.answered(update_id):
                repeated += 1
                continue
            try:
                update = Update.model_validate(item, context={"bot": self._bot})
            except ValidationError as exc:
                log.warning("update %d skipped: it does not parse (%s); confirmed so that it does not block "
                            "the others", update_id, describe_invalid(exc))
                continue
            if is_stale(update, now, self._stale_after):
                stale += 1
                continue
            self._start(update)
        if repeated:
            log.info("%d updates answered before the restart came again: not answered twice", repeated)
        if stale:
            log.info("%d messages older than %.0f s (the bot was down when they came) confirmed without a late "
                     "answer", stale, self._stale_after)
        return new

    def _start(self, update: Update) -> None:
        self._in_flight[update.update_id] = time.monotonic()
        task = asyncio.create_task(self._handle(update), name=f"update-{update.update_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _handle(self, update: Update) -> None:
        try:
            await self._dp.feed_update(self._bot, update, bots=(self._bot,), **self._data)
        except asyncio.CancelledError:
            raise  # stays in flight: never confirmed, so Telegram sends it again after the restart
        except Exception:  # noqa: BLE001 - the errors handler has had its turn; the update counts as handled
            log.exception("update %d failed", update.update_id)
        self._in_flight.pop(update.update_id, None)
        self._released.discard(update.update_id)
        self._finished.set()

    async def _wait_for_progress(self) -> None:
        """Until a handler finishes, the bot stops, or REPOLL_AFTER passes (new updates may be
        waiting behind the ones in flight)."""
        self._finished.clear()
        waiters = [asyncio.ensure_future(self._finished.wait()), asyncio.ensure_future(self._stopping.wait())]
        try:
            await asyncio.wait(waiters, timeout=REPOLL_AFTER, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
        if self._finished.is_set() and not self._stopping.is_set():
            await asyncio.sleep(COALESCE)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    # --- stopping --------------------------------------------------------------------------

    def stop(self) -> None:
        """Stop asking for updates; `run` returns soon. Handlers in flight go on: see `drain`."""
        self._stopping.set()

    async def drain(self, grace: float = HANDLER_GRACE) -> int:
        """Lets the handlers in flight finish for up to ``grace`` seconds, cancels the rest (Telegram
        sends them again after the restart), then confirms what was handled. Returns how many
        were cancelled."""
        pending = set(self._tasks)
        if pending:
            _, pending = await asyncio.wait(pending, timeout=grace)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
            log.warning("%d updates still in handling after %.0f s were stopped; they are answered after the "
                        "restart", len(pending), grace)
        await self._confirm()
        if self._started_up:
            self._started_up = False
            await self._dp.emit_shutdown(bot=self._bot, dispatcher=self._dp, bots=(self._bot,),
                                         **self._dp.workflow_data)
        return len(pending)

    async def _confirm(self) -> None:
        """One short getUpdates with the final offset, so that handled updates are not sent again
        (they would be skipped anyway: this only saves work). Best effort, bounded."""
        offset = self.offset()
        if offset is None:
            return
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._bot(RawGetUpdates(offset=offset, timeout=0, limit=1,
                                                           allowed_updates=self._allowed)), 2.0)
            await self._inbox.confirmed_below(offset)
