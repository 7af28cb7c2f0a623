"""How fast the broadcast engine may send: a token bucket per kind of send, and one pause for all.

Telegram allows a bot about 30 messages a second to different chats, and 1000 a second when
a send pays for it with ``allow_paid_broadcast``. Going over earns a 429 with ``retry_after``,
during which Telegram refuses *every* send of the bot; so a 429 pauses all the engine's
sending, paid or not, rather than just the call that got it.

``TokenBucket`` is pure (the caller passes the time), so its arithmetic is unit-tested
without sleeping; ``Throttle`` is the asyncio side the engine's workers wait on.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable

BURST_SECONDS = 0.2
"""The bucket holds 0.2 s worth of tokens: enough to absorb the scheduler's jitter, small
enough that any one-second window holds at most 1.2 x rate messages (30 at the default 25/s,
Telegram's limit) even right after an idle spell."""

EPSILON = 1e-9  # float refills land a hair under a whole token after sleeping exactly the wait


class TokenBucket:
    """``rate`` tokens a second, at most ``burst`` of them saved up; one token, one message.

    A new bucket holds one token, not a full burst: the process may have been sending at full
    rate a moment before it restarted, and Telegram would count those. Savings build up only
    while idle. ``rate=math.inf`` never makes anyone wait (benchmarks of the engine itself),
    but a pause still applies. Time is whatever clock the caller reads (seconds, never going
    back).
    """

    def __init__(self, rate: float, *, burst: float | None = None, now: float = 0.0) -> None:
        if not rate > 0:
            raise ValueError(f"rate must be above 0 messages a second, got {rate}")
        self.rate = rate
        self.burst = max(1.0, rate * BURST_SECONDS) if burst is None else burst
        if not 1.0 <= self.burst <= max(1.0, rate):
            raise ValueError(f"burst must be 1 to 1 s worth of tokens ({max(1.0, rate)}), got {self.burst}")
        self._tokens = 1.0
        self._stamp = now  # tokens are counted as of this moment; a pause moves it into the future

    def _refill(self, now: float) -> None:
        if now < self._stamp:
            return
        gained = math.inf if math.isinf(self.rate) else (now - self._stamp) * self.rate
        self._tokens = min(self.burst, self._tokens + gained)
        self._stamp = now

    def take(self, now: float) -> float:
        """Takes a token and returns 0.0, or takes nothing and returns how many seconds to wait
        before asking again."""
        self._refill(now)
        paused = self._stamp - now
        if paused > 0:
            return paused + max(0.0, 1.0 - self._tokens) / self.rate
        if self._tokens >= 1.0 - EPSILON:
            self._tokens = max(0.0, self._tokens - 1.0)
            return 0.0
        return (1.0 - self._tokens) / self.rate

    def pause_until(self, until: float) -> None:
        """No token before ``until``, and none saved up during the pause: the calls Telegram
        refused go again first, on the tokens they already took, and the next token comes
        one interval after them."""
        if until > self._stamp:
            self._stamp = until
            self._tokens = 0.0


class Throttle:
    """What the engine's workers wait on before each send: the bucket of their kind (free or
    paid), and any 429 pause, which holds both buckets.

    Waiters queue on a lock, so tokens go out in the order they were asked for and only the
    head of the queue sleeps, instead of every worker waking on every token.
    """

    def __init__(self, rate: float, paid_rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        now = clock()
        self._buckets = {False: TokenBucket(rate, now=now), True: TokenBucket(paid_rate, now=now)}
        self._locks = {False: asyncio.Lock(), True: asyncio.Lock()}
        self._paused_until = now

    def rate(self, paid: bool) -> float:
        return self._buckets[paid].rate

    @property
    def paused(self) -> bool:
        """Whether a 429 pause holds now."""
        return self._paused_until > self._clock()

    async def acquire(
        self, paid: bool, still_wanted: Callable[[], bool] = lambda: True, stop: asyncio.Event | None = None
    ) -> bool:
        """Waits until one message of this kind may go out and returns True; returns False,
        taking no token, as soon as ``still_wanted()`` is false (the work ran out meanwhile), so
        that idle workers do not queue for tokens nobody will use, or at once when ``stop`` is
        set: a shutdown must not sit out a 30 s pause in here."""
        bucket = self._buckets[paid]
        async with self._locks[paid]:
            while still_wanted():
                wait = bucket.take(self._clock())
                if wait == 0:
                    return True
                if not await sleep_unless(stop, wait):
                    return False
            return False

    async def wait_out_pause(self, stop: asyncio.Event | None = None) -> bool:
        """Returns True once no 429 pause holds (a worker that got its token just before another's
        429 came back must not send during the pause either), or False as soon as ``stop`` is set."""
        while (left := self._paused_until - self._clock()) > 0:
            if not await sleep_unless(stop, left):
                return False
        return True

    def pause(self, seconds: float) -> None:
        """Telegram said "retry after ``seconds``": nothing goes out before then."""
        until = self._clock() + seconds
        self._paused_until = max(self._paused_until, until)
        for bucket in self._buckets.values():
            bucket.pause_until(until)


async def sleep_unless(stop: asyncio.Event | None, seconds: float) -> bool:
    """Sleeps ``seconds`` and returns True, or returns False as soon as ``stop`` is set (at once
    if it already is): the waits of the engine (token, 429 pause, backoff) end with its stop."""
    if stop is None:
        await asyncio.sleep(seconds)
        return True
    if stop.is_set():
        return False
    try:
        async with asyncio.timeout(seconds):
            await stop.wait()
    except TimeoutError:
        return True
    return False
