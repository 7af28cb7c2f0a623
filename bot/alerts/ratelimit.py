"""How fast the broadcast engine may send: a token bucket per kind of send, and one pause for all.

Telegram allows a bot about 30 messages a second to different chats, and 1000 a second when
a send pays for it with ``allow_paid_broadcast``. Going over earns a 429 with ``retry_after``,
during which Telegram refuses *every* send of the bot; so a 429 pauses all the engine's
sending, paid or not, rather than just the call that got it.

The budget belongs to the bot token, not to a process: with several sender processes
(replicas, ``REDIS_URL`` set) the buckets and the pause live in Redis (`SharedRate`), one
atomic Lua script (`RATE_LUA`) refilling, taking or saying how long to wait, and honouring
the pause, on Redis's clock; so N senders together stay under the cap and a 429 met by one
holds them all. Without Redis, `TokenBucket` does the same in this process.

``TokenBucket`` is pure (the caller passes the time), so its arithmetic is unit-tested
without sleeping; ``Throttle`` is the asyncio side the engine's workers wait on, over this
process's buckets or, given ``shared=SharedRate(store)``, over Redis's.

For the engine (H4): the interface is unchanged (``rate(paid)``, ``paused``, ``acquire``,
``wait_out_pause``, ``pause``) and ``pause`` stays synchronous: it holds this process at once
and publishes the pause to Redis in the background, before this process's next token. To share
the rate, build ``Throttle(rate, paid_rate, shared=SharedRate(store))`` (``store``: the
`bot.storage.redis_store.RedisStore` the dispatcher opens when ``REDIS_URL`` is set, given to
the engine as ``shared_rate``).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable

from bot.storage.redis_store import REDIS_FAULTS, RedisStore, key

log = logging.getLogger(__name__)

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


RATE_LUA = """
-- KEYS[1]: the bucket (hash: tokens, stamp), KEYS[2]: the pause (until, seconds of Redis's clock)
-- ARGV: 'take', rate, burst | 'pause', seconds | 'peek'
-- Returns "wait left": seconds to wait before asking again (0: a token was taken), and
-- seconds left of the pause. TokenBucket's arithmetic, once for every sender process.
redis.replicate_commands()
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local pause_until = tonumber(redis.call('GET', KEYS[2]) or '0')
local op = ARGV[1]
if op == 'pause' then
  local till = now + tonumber(ARGV[2])
  if till > pause_until then
    pause_until = till
    redis.call('SET', KEYS[2], string.format('%.6f', till), 'PX', math.ceil((till - now) * 1000) + 60000)
  end
end
local left = math.max(0, pause_until - now)
if op ~= 'take' then
  return string.format('0 %.6f', left)
end
local rate = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'stamp')
local tokens = tonumber(state[1])
local stamp = tonumber(state[2])
if tokens == nil or stamp == nil then
  tokens = 1
  stamp = now
end
if pause_until > stamp then  -- none saved up during a pause
  stamp = pause_until
  tokens = 0
end
if now >= stamp then
  tokens = math.min(burst, tokens + (now - stamp) * rate)
  stamp = now
end
local wait = 0
if stamp > now then
  wait = (stamp - now) + math.max(0, 1 - tokens) / rate
elseif tokens >= 1 - 1e-9 then
  tokens = math.max(0, tokens - 1)
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'stamp', string.format('%.6f', stamp))
redis.call('PEXPIRE', KEYS[1], 600000)
return string.format('%.9f %.6f', wait, left)
"""

SHARED_BUCKET_IDLE = 600.0
"""Seconds an idle bucket stays in Redis; a bucket that expired starts again at one token,
which is never more than it would have held."""


class SharedRate:
    """The buckets (free, paid) and the 429 pause of one bot token, in Redis: every sender
    process that asks here shares them. ``name`` tells apart bots sharing one Redis."""

    def __init__(self, store: RedisStore, name: str = "alerts") -> None:
        self.store = store
        self._script = store.script(RATE_LUA)
        tag = f"{{{name}}}"  # all three keys in one hash slot
        self._keys = {False: key("rate", tag, "free"), True: key("rate", tag, "paid")}
        self._pause = key("rate", tag, "pause")

    async def _call(self, bucket: str, *args: object) -> tuple[float, float]:
        answer = await self._script(keys=[bucket, self._pause], args=list(args))
        wait, left = (answer.decode() if isinstance(answer, bytes) else str(answer)).split()
        return float(wait), float(left)

    async def take(self, paid: bool, rate: float, burst: float) -> tuple[float, float]:
        """Takes a token of this kind: (0.0, pause left), or takes nothing: (seconds to wait
        before asking again, pause left). An infinite rate only honours the pause."""
        if math.isinf(rate):
            left = await self.pause_left()
            return left, left
        return await self._call(self._keys[paid], "take", repr(float(rate)), repr(float(burst)))

    async def pause(self, seconds: float) -> float:
        """No token of either kind for ``seconds`` (from Redis's now), for every process; returns
        the seconds the pause now lasts (a longer pause already set stays)."""
        return (await self._call(self._keys[False], "pause", repr(float(seconds))))[1]

    async def pause_left(self) -> float:
        return (await self._call(self._keys[False], "peek"))[1]


class Throttle:
    """What the engine's workers wait on before each send: the bucket of their kind (free or
    paid), and any 429 pause, which holds both buckets.

    Waiters queue on a lock, so tokens go out in the order they were asked for and only the
    head of the queue sleeps, instead of every worker waking on every token.

    With ``shared`` (Redis), the buckets and the pause are those of every sender process; this
    process's own buckets are then the fallback while Redis cannot be reached (logged once):
    an alert keeps going at this process's rate, and a 429 it may earn still pauses it.
    """

    def __init__(self, rate: float, paid_rate: float, clock: Callable[[], float] = time.monotonic,
                 shared: SharedRate | None = None) -> None:
        self._clock = clock
        now = clock()
        self._buckets = {False: TokenBucket(rate, now=now), True: TokenBucket(paid_rate, now=now)}
        self._locks = {False: asyncio.Lock(), True: asyncio.Lock()}
        self._paused_until = now
        self._shared = shared
        self._publishing: set[asyncio.Task[None]] = set()
        self._failing = False

    def rate(self, paid: bool) -> float:
        return self._buckets[paid].rate

    @property
    def paused(self) -> bool:
        """Whether a 429 pause holds now: this process's, or a shared one it has heard of."""
        return self._paused_until > self._clock()

    async def _take(self, paid: bool) -> float:
        bucket = self._buckets[paid]
        if self._shared is not None:
            await self._published()
            try:
                wait, left = await self._shared.take(paid, bucket.rate, bucket.burst)
            except REDIS_FAULTS as exc:
                self._redis_failed(exc)
            else:
                self._redis_back()
                self._heard_of_pause(left)
                return wait
        return bucket.take(self._clock())

    async def acquire(
        self, paid: bool, still_wanted: Callable[[], bool] = lambda: True, stop: asyncio.Event | None = None
    ) -> bool:
        """Waits until one message of this kind may go out and returns True; returns False,
        taking no token, as soon as ``still_wanted()`` is false (the work ran out meanwhile), so
        that idle workers do not queue for tokens nobody will use, or at once when ``stop`` is
        set: a shutdown must not sit out a 30 s pause in here."""
        async with self._locks[paid]:
            while still_wanted():
                wait = await self._take(paid)
                if wait == 0:
                    return True
                if not await sleep_unless(stop, wait):
                    return False
            return False

    async def _pause_left(self) -> float:
        local = max(0.0, self._paused_until - self._clock())
        if self._shared is None:
            return local
        await self._published()
        try:
            left = await self._shared.pause_left()
        except REDIS_FAULTS as exc:
            self._redis_failed(exc)
            return local
        self._redis_back()
        self._heard_of_pause(left)
        return max(local, left)

    async def wait_out_pause(self, stop: asyncio.Event | None = None) -> bool:
        """Returns True once no 429 pause holds (a worker that got its token just before another's
        429 came back must not send during the pause either), or False as soon as ``stop`` is set."""
        while (left := await self._pause_left()) > 0:
            if not await sleep_unless(stop, left):
                return False
        return True

    def pause(self, seconds: float) -> None:
        """Telegram said "retry after ``seconds``": nothing goes out before then, from this
        process at once, and from every process sharing the rate once Redis has it (published
        in the background; this process's next token waits for it)."""
        until = self._clock() + seconds
        self._paused_until = max(self._paused_until, until)
        for bucket in self._buckets.values():
            bucket.pause_until(until)
        if self._shared is not None:
            task = asyncio.get_running_loop().create_task(self._publish(seconds), name="publish-429-pause")
            self._publishing.add(task)
            task.add_done_callback(self._publishing.discard)

    async def _publish(self, seconds: float) -> None:
        assert self._shared is not None
        try:
            await self._shared.pause(seconds)
        except REDIS_FAULTS as exc:
            self._redis_failed(exc)

    async def _published(self) -> None:
        if self._publishing:
            await asyncio.gather(*self._publishing, return_exceptions=True)

    def _heard_of_pause(self, left: float) -> None:
        if left > 0:
            until = self._clock() + left
            if until > self._paused_until:
                self._paused_until = until
                for bucket in self._buckets.values():
                    bucket.pause_until(until)

    def _redis_failed(self, exc: BaseException) -> None:
        if not self._failing:
            self._failing = True
            log.error("alerts' shared rate limit unavailable (%s: %s): this process sends on its own bucket "
                      "until Redis answers again", type(exc).__name__, exc)

    def _redis_back(self) -> None:
        if self._failing:
            self._failing = False
            log.warning("alerts' shared rate limit back in Redis")


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
