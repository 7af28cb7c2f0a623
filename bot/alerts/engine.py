"""The delivery engine: sends an approved police alert to every subscriber it is meant for.

Each run has a few workers (the in-flight limit). A worker waits for a token of the engine's
rate limit, claims the next pending delivery (marking it 'sending', committed), sends it,
and hands the result on: an OK to a buffer written to the database in batches, any other
answer written before the worker goes on. An answer that asks for another try (429, 5xx, a
network error) puts the row back to 'pending' before the wait, and the same worker claims it
again after the wait: a row is 'sending' only while a request may be on the wire unanswered.
See ``docs/broadcast.md`` for the states and why a delivery is sent at most once.

**Several engines, one broadcast.** Every bot process (replica) has an engine, and every
engine works on every broadcast that is 'sending' (``watch``), side by side, rather than one
engine holding a lease that the others take over when it lapses. Why:

* sharing is already safe: a row goes to 'sending' only through a statement that checks it is
  'pending' (on PostgreSQL ``FOR UPDATE SKIP LOCKED``, so engines claim different rows without
  waiting on each other), so no row is sent by two engines;
* more engines do not mean more messages: the rate limit and the 429 pause are the bot
  token's, shared in Redis when the engine is given ``shared_rate`` (``bot.alerts.ratelimit``);
* a takeover needs nothing: when an engine dies, the others are already sending the same
  broadcast, and a lease would only add a timeout to tune, during which nobody sends. What a
  dead engine leaves is at most its in-flight rows in 'sending': uncertain, never sent again
  (at most once per recipient), and its refused rows in 'pending', which any engine takes
  once ``retry_after`` (the longest backoff) has passed since the refusal;
* a replica started later, or restarted, joins within ``WATCH_EVERY`` seconds.

The one thing that needs time is the end: a broadcast is done when nothing is pending and
nothing is in flight at any engine. A 'sending' row counts as in flight for ``orphan_after``
seconds after its claim (the Bot session's request timeout plus a margin: no live engine waits
longer for an answer), then as uncertain. So after a crash the last recipients are sent at
once and only the final report waits out that time. ``time.time()`` of different machines is
compared here: their clocks must agree far better than these seconds (NTP does).

**Exactly once, with the relay.** Given ``relay_url`` (``BROADCAST_RELAY_URL``), the engine
sends through the alert relay (``bot.alerts.relay``), which journals every request before and
after Telegram sees it. Then a dead engine's rows are not left uncertain: before it counts what
is left, an engine settles them from the journal (`BroadcastsRepo.settle`): those Telegram
delivered become 'sent', those it never got are sent again (the relay forwards a key at most
once to a delivery), those the relay is still forwarding wait for it. Only a request the relay
itself lost after writing it stays uncertain.

Sends go through the Bot's aiohttp session, with the form of each broadcast encoded once
(``bot.alerts.sending``). A 429 has to reach the engine, which then pauses all its sending,
not only the call that got it: the Bot given to it is made without RetryMiddleware
(``create_bot(..., retry=False)``), and the engine's sends skip session middlewares anyway.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)

from bot.alerts.claims import ClaimQueue, retrying
from bot.alerts.progress import Progress, Tally
from bot.alerts.ratelimit import SharedRate, Throttle, sleep_unless
from bot.alerts.repository import (
    Broadcast,
    BroadcastsRepo,
    BroadcastStatus,
    Delivery,
    DeliveryStatus,
    Result,
    Standing,
)
from bot.alerts.sending import AlertSender, DeliveryInDoubt, RelayUnavailable, recipient_gone
from bot.metrics import Metrics
from bot.storage import Database
from bot.storage.database import STORAGE_FAULTS

log = logging.getLogger(__name__)

ProgressCallback = Callable[[Progress], Awaitable[None]]

MAX_IN_FLIGHT = 50
BACKOFF_BASE = 0.5  # seconds before the first retry after a 5xx or a network error; doubles each time
BACKOFF_CAP = 4.0
FLUSH_EVERY = 0.25  # seconds between batched writes of the results
PASSING_ERRORS = (TelegramServerError, TelegramNetworkError)
WATCH_EVERY = 2.0  # seconds between two looks for broadcasts being sent (by any engine)
POLL_EVERY = 1.0  # seconds between two looks at a broadcast whose last rows are elsewhere
ORPHAN_MARGIN = 10.0  # seconds past the request timeout before a 'sending' row counts as a dead engine's
RETRY_MARGIN = 1.0  # seconds past the longest backoff before another engine may retry a refused row
DEFAULT_REQUEST_TIMEOUT = 60.0  # aiogram's, for an engine made without a Bot (enqueue only)
RESTART_AFTER_FAILURE = 60.0  # seconds before ``watch`` starts again a broadcast whose run failed here
RELAY_PAUSE = 2.0  # seconds all sending waits when the alert relay cannot be reached (restarting)


class BroadcastStopped(RuntimeError):
    """The run stopped before the end for a reason that needs a person; its deliveries wait,
    and the next start (or ``watch``, a minute later) continues them."""


def backoff(failures: int, base: float = BACKOFF_BASE) -> float:
    """Seconds to wait after the ``failures``-th passing error of one delivery: ``base``, then
    doubling, at most 8 x ``base`` (0.5, 1, 2, 4, 4 ... s by default)."""
    return min(base * BACKOFF_CAP / BACKOFF_BASE, base * 2 ** (failures - 1))


def in_flight_for(rate: float) -> int:
    """How many sends a run keeps in flight: about one second's worth, at most MAX_IN_FLIGHT.
    Also the most deliveries a crash can catch between 'sending' and Telegram's answer."""
    return max(1, math.ceil(min(rate, MAX_IN_FLIGHT)))


class _Run:
    """One broadcast being delivered by this engine: its claims, its results waiting to be
    written, its counts, and why it stopped early, if it did."""

    def __init__(
        self, broadcast: Broadcast, sender: AlertSender, tally: Tally, claims: ClaimQueue, repo: BroadcastsRepo,
        metrics: Metrics | None = None,
    ) -> None:
        self.broadcast = broadcast
        self.sender = sender
        self.tally = tally
        self.claims = claims
        self.error: BroadcastStopped | None = None
        self.paused = False  # stopped by shutdown(): the broadcast stays 'sending'
        self.ended_elsewhere: BroadcastStatus | None = None  # another engine (or an officer) ended it
        self.stopping = asyncio.Event()  # ends every wait: token, 429 pause, backoff
        self.workers_done = asyncio.Event()
        self.ended = asyncio.Event()  # results written, the run is over
        self._repo = repo
        self._metrics = metrics
        self._results: list[Result] = []
        self._writing = asyncio.Lock()

    def record(self, result: Result) -> None:
        """An OK: written with the next batch (a crash before it shows the row uncertain, though
        the person got the alert; never sent twice)."""
        self._results.append(result)

    async def commit(self, result: Result) -> None:
        """Any other answer: written, with whatever else waits, before the worker goes on (to
        wait out a backoff or a pause, or to its next recipient). So after a kill -9 no row
        is left 'sending' whose request Telegram refused: that person is sent the alert on
        resume instead of being counted uncertain. Workers committing at the same moment share
        one write (a group commit on the lock)."""
        self.record(result)
        await self.flush()

    async def flush(self) -> None:
        """Writes every result recorded before the call; returns once they are committed. A
        write that keeps failing raises, and its results wait for the next flush."""
        async with self._writing:
            results, self._results = self._results, []
            if not results:
                return
            try:
                await retrying(lambda: self._repo.record(self.broadcast.id, results, time.time()),
                               f"writing results of broadcast {self.broadcast.id}")
            except BaseException:
                self._results[:0] = results
                raise
            if self._metrics is not None:
                counted(self._metrics, results)

    def stop(self, error: BroadcastStopped | None = None) -> None:
        """No new deliveries and no more waiting; the requests on the wire finish."""
        self.claims.close()
        self.stopping.set()
        self.error = self.error or error


class DeliveryEngine:
    """Delivers broadcasts: ``enqueue`` an approved one, then ``run`` it (or ``start`` it in the
    background); ``watch`` runs every broadcast being sent, by this engine or any other, for as
    long as the bot runs (``resume_all`` does it once); ``cancel`` is the officer's stop,
    ``shutdown`` the bot's.

    One engine per bot process: its rate limit and its 429 pauses hold for all broadcasts it
    runs at once, as Telegram's limits do; given ``shared_rate`` (Redis), they hold for every
    process sending with the same token. ``paid_rate`` applies to broadcasts with ``paid`` set,
    which are sent with ``allow_paid_broadcast``. ``orphan_after`` (default: the Bot session's
    request timeout plus ``ORPHAN_MARGIN``) and ``poll_every``: see the module's docstring.
    ``metrics``: Telegram's answers are counted there (``saqbol_deliveries_total``); the bot
    always passes its own, tests of the engine alone may leave it out. ``relay_url``: send
    through the alert relay, exactly once per recipient (see the module's docstring).
    """

    def __init__(
        self,
        db: Database,
        bot: Bot,
        *,
        rate: float = 25.0,
        paid_rate: float = 1000.0,
        max_attempts: int = 5,
        backoff_base: float = BACKOFF_BASE,
        progress_every: float = 3.0,
        on_progress: ProgressCallback | None = None,
        shared_rate: SharedRate | None = None,
        orphan_after: float | None = None,
        poll_every: float = POLL_EVERY,
        metrics: Metrics | None = None,
        relay_url: str | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")
        if not backoff_base > 0:
            raise ValueError(f"backoff_base must be above 0 seconds, got {backoff_base}")
        if orphan_after is None:
            timeout = getattr(getattr(bot, "session", None), "timeout", None)
            orphan_after = float(timeout if isinstance(timeout, (int, float)) else DEFAULT_REQUEST_TIMEOUT) + ORPHAN_MARGIN
        if not orphan_after > 0:
            raise ValueError(f"orphan_after must be above 0 seconds (longer than a request can take), got {orphan_after}")
        self._repo = BroadcastsRepo(db)
        self._bot = bot
        self._throttle = Throttle(rate, paid_rate, shared=shared_rate)
        self._max_attempts = max_attempts
        self._backoff_base = backoff_base
        self._orphan_after = orphan_after
        # A refused row is left to the engine that retries it for the longest backoff, and a margin.
        self._retry_after = backoff_base * BACKOFF_CAP / BACKOFF_BASE + RETRY_MARGIN
        self._poll_every = poll_every
        self._metrics = metrics
        self._relay_url = relay_url
        self._shutting_down = False
        self._stopped = asyncio.Event()
        self._progress_every = progress_every
        self._on_progress = on_progress
        self._runs: dict[int, _Run] = {}
        self._tasks: dict[int, asyncio.Task[Progress]] = {}
        self._failed_at: dict[int, float] = {}
        self._cancel_requested: set[int] = set()
        self._background: set[asyncio.Task[None]] = set()

    # --- the contract -------------------------------------------------------------------

    async def enqueue(self, broadcast_id: int) -> int:
        """Creates a pending delivery for each recipient of an approved broadcast and marks it
        'sending'; safe to call again. Returns the number of recipients."""
        broadcast = await self._repo.get(broadcast_id)
        if not broadcast.status.deliverable:
            raise ValueError(
                f"broadcast {broadcast_id} is '{broadcast.status}': only an approved broadcast can be sent; approve it first"
            )
        return await self._repo.enqueue(broadcast_id, time.time())

    async def run(self, broadcast_id: int) -> Progress:
        """Delivers the broadcast, beside any other engine sending it, until every delivery has
        ended or it is cancelled; returns the final Progress. An ended broadcast returns its
        final counts without sending.

        To stop for a restart, call ``shutdown()``. Cancelling this coroutine instead works like
        a crash: the deliveries in flight are left 'sending' (uncertain), the rest pending, and
        any engine goes on from there."""
        broadcast = await self._repo.get(broadcast_id)
        if broadcast.status.ended:
            self._cancel_requested.discard(broadcast_id)
            return await self._ended_progress(broadcast)
        if broadcast.status is not BroadcastStatus.SENDING:
            raise ValueError(f"broadcast {broadcast_id} is '{broadcast.status}': call enqueue() before run()")
        run = await self._start(broadcast)
        try:
            await self._deliver_all(run)
        finally:
            del self._runs[broadcast_id]
            run.ended.set()
        if run.error is not None:
            raise run.error
        if run.paused:
            return await self._snapshot(run)
        return await self._finish(run)

    async def resume_all(self) -> None:
        """Runs, side by side, every broadcast left 'sending' (by a stop, a crash, or another
        engine sending it now), until each has ended. Raises, once all have ended, if any of
        them failed. ``watch`` does this for as long as the bot runs."""
        ids = await self._repo.sending_broadcasts()
        if ids:
            log.info("resuming broadcasts %s", ids)
        outcomes = await asyncio.gather(*(self.run(broadcast_id) for broadcast_id in ids), return_exceptions=True)
        failures = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
        if failures:
            raise ExceptionGroup("some broadcasts could not be resumed", failures)

    async def watch(self, every: float = WATCH_EVERY) -> None:
        """Until ``shutdown()``: every ``every`` seconds, starts a run of each broadcast being
        sent that this engine is not running yet: one a crash or a stop left 'sending' (at
        start), one another replica's officer approved, one whose engine died. A run that
        failed here (say, the token was refused) is started again after
        ``RESTART_AFTER_FAILURE`` seconds, not at every look. Returns once the runs it started
        have stopped."""
        while not self._shutting_down:
            try:
                ids = await self._repo.sending_broadcasts()
            except STORAGE_FAULTS as exc:
                log.warning("looking for broadcasts to send failed (%s: %s); looking again in %g s",
                            type(exc).__name__, exc, every)
                ids = []
            now = time.monotonic()
            for broadcast_id in ids:
                failed = self._failed_at.get(broadcast_id)
                if broadcast_id not in self._tasks and (failed is None or now - failed >= RESTART_AFTER_FAILURE):
                    self.start(broadcast_id)
            await sleep_unless(self._stopped, every)
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    async def shutdown(self) -> None:
        """The bot is stopping: every run stops taking new deliveries, lets the sends in flight
        finish and writes their results, and leaves its broadcast 'sending' for the other
        engines or the next start. Recipients waiting out a backoff or a 429 pause stop
        waiting: they are 'pending' already. Unlike cancelling the run's task, this leaves no
        row 'sending'. Returns when all runs have ended; each ``run()`` returns its Progress so
        far. A run started after this (``watch`` still starting up) stops at once the same way."""
        self._shutting_down = True
        self._stopped.set()
        runs = list(self._runs.values())
        for run in runs:
            run.paused = True
            run.stop()
        await asyncio.gather(*(run.ended.wait() for run in runs))

    def start(self, broadcast_id: int) -> asyncio.Task[Progress]:
        """``run`` in the background, for a handler that must answer at once (or ``watch``);
        the broadcast's task already running here if there is one. The engine keeps the task
        referenced until it ends and logs its failure."""
        task = self._tasks.get(broadcast_id)
        if task is not None and not task.done():
            return task
        task = asyncio.create_task(self.run(broadcast_id), name=f"broadcast-{broadcast_id}")
        self._tasks[broadcast_id] = task
        self._failed_at.pop(broadcast_id, None)
        task.add_done_callback(lambda done: self._started_task_done(broadcast_id, done))
        task.add_done_callback(_log_failure)
        return task

    def _started_task_done(self, broadcast_id: int, task: asyncio.Task[Progress]) -> None:
        if self._tasks.get(broadcast_id) is task:
            del self._tasks[broadcast_id]
        if not task.cancelled() and task.exception() is not None:
            self._failed_at[broadcast_id] = time.monotonic()

    def cancel(self, broadcast_id: int) -> None:
        """Stops the broadcast: sends in flight finish, nothing more goes out, pending
        deliveries stay pending, the status becomes 'cancelled'. Also works for a broadcast
        that is not running here (it will not be resumed); the other engines sending it find
        nothing more to claim and stop too."""
        self._cancel_requested.add(broadcast_id)
        run = self._runs.get(broadcast_id)
        if run is not None:
            run.stop()
            return
        task = asyncio.create_task(self._repo.finish(broadcast_id, BroadcastStatus.CANCELLED, time.time()))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # --- one run --------------------------------------------------------------------------

    async def _start(self, broadcast: Broadcast) -> _Run:
        standing = await self._settled_standing(broadcast.id)
        if broadcast.id in self._runs:  # checked and registered with no await between
            raise RuntimeError(f"broadcast {broadcast.id} is already being delivered by this engine")
        tally = Tally(broadcast.id, standing, time.monotonic())
        claims = ClaimQueue(self._repo, broadcast.id, self._retry_after)
        run = _Run(broadcast, AlertSender(self._bot, broadcast, self._relay_url), tally, claims, self._repo, self._metrics)
        self._runs[broadcast.id] = run
        if broadcast.id in self._cancel_requested:
            run.stop()
        elif self._shutting_down:
            run.paused = True
            run.stop()
        return run

    async def _settled_standing(self, broadcast_id: int) -> Standing:
        """Where the broadcast stands, after settling a dead engine's rows from the relay's
        journal (delivered -> sent, never delivered -> pending, still on the way -> in flight)
        when there are any: only then, so that a run polling for the others' rows does not
        write every second. Without the relay they stay uncertain: nothing can tell whether
        they arrived."""
        standing = await self._standing(broadcast_id)
        if self._relay_url is None or not standing.uncertain:
            return standing
        now = time.time()
        settled = await retrying(lambda: self._repo.settle(broadcast_id, now - self._orphan_after, now),
                                 f"settling the deliveries of broadcast {broadcast_id} from the relay's journal")
        log.info("broadcast %d: a stopped sender's deliveries settled from the relay's journal: "
                 "%d delivered, %d to send again, %d still on their way",
                 broadcast_id, settled.sent, settled.again, settled.waiting)
        if settled.sent and self._metrics is not None:
            self._metrics.delivered(DeliveryStatus.SENT.value, settled.sent)
        return await self._standing(broadcast_id)

    async def _standing(self, broadcast_id: int) -> Standing:
        now = time.time()
        return await retrying(lambda: self._repo.standing(broadcast_id, claimed_before=now - self._orphan_after,
                                                          retry_from=now - self._retry_after),
                              f"counting the deliveries of broadcast {broadcast_id}")

    async def _deliver_all(self, run: _Run) -> None:
        """The workers, with the batched writer and the progress reports beside them, until
        nothing is left to claim; then, while other engines still have rows in flight or
        refusals wait to be retried, a look at the database every ``poll_every`` seconds, and
        the workers again whenever something became claimable. The results of finished sends
        are written even when the run is interrupted."""
        helpers = [
            asyncio.create_task(self._repeat(FLUSH_EVERY, run.flush, run)),
            asyncio.create_task(self._repeat(self._progress_every, lambda: self._report(run), run)),
        ]
        try:
            while True:
                async with asyncio.TaskGroup() as workers:
                    for _ in range(in_flight_for(self._throttle.rate(run.broadcast.paid))):
                        workers.create_task(self._work(run))
                await run.flush()
                if run.claims.closed or await self._nothing_left(run):
                    return
                run.claims.reopen()
        finally:
            run.workers_done.set()
            await asyncio.gather(*helpers)
            await run.flush()

    async def _nothing_left(self, run: _Run) -> bool:
        """Waits until some row is claimable (False) or the broadcast is over for this run
        (True): nothing pending and nothing in flight at any engine, ended by another engine or
        an officer, or this run stopped."""
        while True:
            broadcast = await retrying(lambda: self._repo.get(run.broadcast.id), f"reading broadcast {run.broadcast.id}")
            if broadcast.status is not BroadcastStatus.SENDING:
                run.ended_elsewhere = broadcast.status
                run.claims.close()
                return True
            standing = await self._settled_standing(run.broadcast.id)
            if standing.claimable:
                return False
            if not standing.open:
                return True
            if not await sleep_unless(run.stopping, self._poll_every):
                return True

    async def _finish(self, run: _Run) -> Progress:
        """Ends the broadcast, unless another engine or an officer did; the one call that ended
        it shows the final report, so it is shown once, however many engines were sending."""
        standing = await self._standing(run.broadcast.id)
        ending = run.ended_elsewhere
        if ending is None:
            cancelled = run.claims.closed and standing.pending > 0
            ending = BroadcastStatus.CANCELLED if cancelled else BroadcastStatus.DONE
            if await self._repo.finish(run.broadcast.id, ending, time.time()):
                self._cancel_requested.discard(run.broadcast.id)
                progress = self._progress(run, standing, ending)
                log.info("broadcast %d %s: %s", run.broadcast.id, ending, progress)
                await self._notify(progress)
                return progress
            ending = (await self._repo.get(run.broadcast.id)).status  # another engine ended it first
        self._cancel_requested.discard(run.broadcast.id)
        if not ending.ended:  # never approved: nothing ended it, nothing to show
            return self._progress(run, standing, None)
        return self._progress(run, await self._standing(run.broadcast.id), ending)

    def _progress(self, run: _Run, standing: Standing, ending: BroadcastStatus | None) -> Progress:
        return run.tally.progress(standing, time.monotonic(), done=ending is BroadcastStatus.DONE,
                                  cancelled=ending is BroadcastStatus.CANCELLED)

    async def _ended_progress(self, broadcast: Broadcast) -> Progress:
        standing = await self._standing(broadcast.id)
        tally = Tally(broadcast.id, standing, time.monotonic())
        cancelled = broadcast.status is BroadcastStatus.CANCELLED
        return tally.progress(standing, time.monotonic(), done=not cancelled, cancelled=cancelled)

    async def _snapshot(self, run: _Run) -> Progress:
        """Where the broadcast stands now, by every engine, this one's results written first."""
        await run.flush()
        return run.tally.progress(await self._standing(run.broadcast.id), time.monotonic())

    @staticmethod
    async def _repeat(every: float, action: Callable[[], Awaitable[None]], run: _Run) -> None:
        """Calls ``action`` every ``every`` seconds until the run's workers are done; a call in
        progress is never cut short."""
        while True:
            try:
                await asyncio.wait_for(run.workers_done.wait(), every)
                return
            except TimeoutError:
                await action()

    async def _report(self, run: _Run) -> None:
        """The live progress, if this engine takes the turn (one engine per interval). If the
        broadcast ended meanwhile, its final report was shown, maybe before this edit landed:
        it is shown again, so the message ends on the final counts."""
        if self._on_progress is None:
            return
        try:
            if not await self._repo.take_progress_turn(run.broadcast.id, time.time(), self._progress_every * 0.9):
                return
            await self._notify(await self._snapshot(run))
            broadcast = await self._repo.get(run.broadcast.id)
            if broadcast.status.ended:
                await self._notify(await self._ended_progress(broadcast))
        except STORAGE_FAULTS as exc:
            log.warning("progress of broadcast %d not shown: %s: %s", run.broadcast.id, type(exc).__name__, exc)

    async def _notify(self, progress: Progress) -> None:
        """A failing progress callback (say, the officer's message could not be edited) must not
        stop a police alert: it is logged and delivery goes on."""
        if self._on_progress is None:
            return
        try:
            await self._on_progress(progress)
        except Exception:
            log.exception("on_progress failed for broadcast %d", progress.broadcast_id)

    # --- one worker -----------------------------------------------------------------------

    async def _work(self, run: _Run) -> None:
        """One in-flight slot: a token, then the next delivery, then its send, until none is left.
        The token comes before the claim so that a row is 'sending' only while it is really
        being sent."""
        while await self._throttle.acquire(run.broadcast.paid, run.claims.has_more, run.stopping):
            delivery = await run.claims.take()
            if delivery is None:
                return
            await self._deliver(run, delivery)

    async def _deliver(self, run: _Run, delivery: Delivery) -> None:
        """Sends to one recipient, just claimed ('sending'), until Telegram gives an answer that
        ends the delivery or the run stops.

        An answer that asks for another try puts the row back to 'pending', committed, before
        any waiting; the next request claims it again first. A 429 pauses the whole engine and
        this recipient then goes first, on the token it already took; it is not counted as an
        attempt. A 5xx or network error is retried after a backoff, on a fresh token,
        ``max_attempts`` requests in all (counting those before a restart). A run that stops
        meanwhile (cancel, shutdown) leaves the row 'pending': a cancelled broadcast never
        sends it, a resumed one does."""
        user_id = delivery.user_id
        attempts = delivery.attempts
        while True:
            if run.stopping.is_set() or self._throttle.paused:
                # The run stopped, or a 429 came back, while this row was being claimed: nothing
                # went out, so it goes back to pending rather than waiting in 'sending'.
                await run.commit(Result(user_id, DeliveryStatus.PENDING, 0))
                again = None if run.stopping.is_set() else await self._after_pause(run, delivery)
            else:
                try:
                    await run.sender.send(delivery)
                except DeliveryInDoubt as exc:
                    # Another request with this key is on its way, or was lost: the row stays
                    # 'sending' and is settled from the relay's journal once it is stale.
                    log.info("%s; settled later from the journal", exc)
                    return
                except RelayUnavailable as exc:
                    # Nothing left this process: no attempt spent; every engine waits together
                    # (the pause is shared like a 429's) until the relay is back.
                    log.warning("%s: all sending paused for %g s", exc, RELAY_PAUSE)
                    self._throttle.pause(RELAY_PAUSE)
                    await run.commit(Result(user_id, DeliveryStatus.PENDING, 0))
                    again = await self._after_pause(run, delivery)
                except TelegramRetryAfter as exc:
                    log.warning("flood control: all sending paused for %s s as Telegram asked", exc.retry_after)
                    self._throttle.pause(exc.retry_after)
                    await run.commit(Result(user_id, DeliveryStatus.PENDING, 0, exc.message))
                    again = await self._after_pause(run, delivery)
                except PASSING_ERRORS as exc:
                    attempts += 1
                    if attempts >= self._max_attempts:
                        await run.commit(Result(user_id, DeliveryStatus.FAILED, 1, exc.message))
                        return
                    await run.commit(Result(user_id, DeliveryStatus.PENDING, 1, exc.message))
                    again = await self._after_backoff(run, delivery, attempts)
                except TelegramUnauthorizedError as exc:
                    run.stop(BroadcastStopped(
                        f"Telegram refused the bot token ({exc.message}): set a valid BOT_TOKEN and restart; "
                        f"broadcast {run.broadcast.id} then resumes where it stopped"
                    ))
                    await run.commit(Result(user_id, DeliveryStatus.PENDING, 0, exc.message))
                    return
                except TelegramAPIError as exc:
                    await run.commit(ended_by(delivery, exc, 1))
                    return
                else:
                    run.record(Result(user_id, DeliveryStatus.SENT, 1))
                    return
            if again is None:
                return
            delivery = again

    async def _after_pause(self, run: _Run, delivery: Delivery) -> Delivery | None:
        """Once the 429 pause is over, the same recipient claimed again, to go first on the token
        it already took; None if the run stopped meanwhile."""
        if not await self._throttle.wait_out_pause(run.stopping):
            return None
        return await run.claims.take_again(delivery)

    async def _after_backoff(self, run: _Run, delivery: Delivery, failures: int) -> Delivery | None:
        """After the backoff and a fresh token, the same recipient claimed again; None if the
        run stopped meanwhile."""
        if not await sleep_unless(run.stopping, backoff(failures, self._backoff_base)):
            return None
        if not await self._throttle.acquire(run.broadcast.paid, run.claims.is_open, run.stopping):
            return None
        return await run.claims.take_again(delivery)


def ended_by(delivery: Delivery, error: TelegramAPIError, attempts: int) -> Result:
    """A definite refusal: the user blocked the bot or deleted their account (403), the chat
    does not exist (400 "chat not found"), or anything else wrong with the request."""
    gone = recipient_gone(error)
    status = (DeliveryStatus.BLOCKED if gone == "blocked" else DeliveryStatus.NOT_FOUND if gone == "not_found"
              else DeliveryStatus.FAILED)
    return Result(delivery.user_id, status, attempts, error.message)


def counted(metrics: Metrics, results: list[Result]) -> None:
    """Written results into ``saqbol_deliveries_total``, once each (counted after the write, so
    a batch whose write is tried again is not counted twice). A row put back to 'pending' with
    Telegram's refusal (429, 5xx, network) is 'retried'; one put back before anything went out
    (the run stopped) is no send and is not counted."""
    for result in results:
        if result.status is DeliveryStatus.PENDING:
            if result.error is not None:
                metrics.delivered("retried")
        elif result.status is not DeliveryStatus.SENDING:
            metrics.delivered(result.status.value)


def _log_failure(task: asyncio.Task[Progress]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("%s failed", task.get_name(), exc_info=task.exception())
