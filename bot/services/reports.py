"""A person reports a fraudster's number, card, IBAN, site or account: offered, confirmed, counted.

Under a risky verdict (or a bare number looked up, or `/report`) the identifiers found are
*offered* as buttons; only the one the person taps is stored (`ReportsRepo.report`, with the
region of their record), so nothing they did not confirm as the fraudster's ever reaches the
database. The candidates wait here, bounded in number and in time: an offer is keyed by the
user and a random id, so a button from another chat or made up by hand finds nothing and is
answered "expired" (`offered` returns None). They wait in this process's memory (a restart
forgets them), or, when ``REDIS_URL`` is set, in Redis (`RedisOffers`: one hash per user,
expiring an hour after the user's last offer), so a button pressed on another replica, or
after a restart, still works.

After a report the identifier's standing is read again: how many people reported it now (one
person counts once: the repository keeps one row per person), and, when it has passed the
crowd's threshold (`Standing.past_threshold`: enough seasoned reporters, not cleared) and no
officer has decided on it yet, it goes to the officers' review queue.

No Telegram and no words here: the handler (`bot/handlers/reports.py`) sends the buttons,
`bot/replies/reputation.py` the texts.
"""

from __future__ import annotations

import json
import logging
import math
import secrets
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.classifier.identifiers import Identifier, unique
from bot.services.reputation import Finding, Reputation
from bot.storage import Repositories
from bot.storage.redis_store import REDIS_FAULTS, RedisStore, as_storage_fault, key

log = logging.getLogger(__name__)

OFFER_TTL = 3600.0  # seconds an offer's buttons work: long enough to read the answer and decide
OFFER_CAPACITY = 20_000  # offers kept at most; the oldest go first (a few MB at most)
MAX_CANDIDATES = 8  # buttons under one offer: a text with more identifiers is rare and a list, not a message
OFFER_ID_BITS = 40  # random offer ids: a made-up button hits nothing
OFFERS_PER_USER = 50  # in Redis: offers kept per user at most, the oldest go first


@dataclass(frozen=True)
class Offer:
    """Candidates waiting for a tap; keyed by (user id, offer id) in `Reports`."""

    identifiers: tuple[Identifier, ...]
    made_at: float


@dataclass(frozen=True)
class Reported:
    """What one report did: stored or already there (one person counts once), how many people
    have reported the identifier now, and whether it went to the officers' queue."""

    identifier: Identifier
    new: bool
    reporters: int
    to_review: bool


class RedisOffers:
    """The offers in Redis, shared by the replicas: per user one hash, offer id -> its
    candidates and the moment it was made (wall clock: the replicas' clocks agree to well
    within an hour). The hash lives ``ttl`` after the user's last offer; an older offer in it
    is out of date all the same (`offered` reads its moment) and is dropped by the next offer,
    as are the oldest beyond `OFFERS_PER_USER`."""

    def __init__(self, store: RedisStore, ttl: float) -> None:
        self.store = store
        self.ttl = ttl

    @staticmethod
    def _key(user_id: int) -> str:
        return key("offers", user_id)

    @staticmethod
    def _encode(offer: Offer) -> str:
        return json.dumps({"at": offer.made_at, "ids": [[i.kind, i.value, i.shown, i.phone_type, i.region]
                                                        for i in offer.identifiers]}, ensure_ascii=False)

    @staticmethod
    def _decode(raw: bytes | str) -> Offer:
        data: dict[str, Any] = json.loads(raw)
        return Offer(tuple(Identifier(kind, value, shown, phone_type, region)
                           for kind, value, shown, phone_type, region in data["ids"]), float(data["at"]))

    async def put(self, user_id: int, offer_id: int, offer: Offer) -> None:
        name = self._key(user_id)
        redis = self.store.redis
        async with redis.pipeline(transaction=True) as pipe:
            pipe.hset(name, str(offer_id), self._encode(offer))
            pipe.pexpire(name, math.ceil(self.ttl * 1000))
            pipe.hlen(name)
            *_, count = await pipe.execute()
        if count > OFFERS_PER_USER:
            kept = {field: self._decode(raw) for field, raw in (await redis.hgetall(name)).items()}
            now = time.time()
            old = [f for f, o in kept.items() if now - o.made_at > self.ttl]
            fresh = sorted((f for f in kept if f not in old), key=lambda f: kept[f].made_at)
            old += fresh[:max(0, len(fresh) - OFFERS_PER_USER)]
            if old:
                await redis.hdel(name, *old)

    async def get(self, user_id: int, offer_id: int) -> Offer | None:
        raw = await self.store.redis.hget(self._key(user_id), str(offer_id))
        return None if raw is None else self._decode(raw)

    async def forget(self, user_id: int) -> None:
        await self.store.redis.delete(self._key(user_id))


class Reports:
    def __init__(self, repos: Repositories, reputation: Reputation, *, ttl: float = OFFER_TTL,
                 capacity: int = OFFER_CAPACITY, redis: RedisStore | None = None) -> None:
        """``redis``: keep the offers there (REDIS_URL), shared by the replicas; ``capacity``
        bounds the offers kept in this process's memory (without Redis)."""
        if ttl <= 0 or capacity < 1:
            raise ValueError("an offer needs a positive lifetime (seconds) and room for at least one")
        self.repos = repos
        self.reputation = reputation
        self.ttl = ttl
        self.capacity = capacity
        self._offers: OrderedDict[tuple[int, int], Offer] = OrderedDict()
        self._shared = RedisOffers(redis, ttl) if redis is not None else None

    # --- candidates, kept until confirmed -----------------------------------------------------

    @staticmethod
    def reportable(findings: Iterable[Finding]) -> list[Identifier]:
        """The identifiers a person may report: not an official number or site (a crowd, or a
        fraudster spoofing a bank's caller id, must not mark a bank's line), at most
        `MAX_CANDIDATES`, in the order of the text."""
        return unique([f.identifier for f in findings if not f.official])[:MAX_CANDIDATES]

    async def offer(self, user_id: int, identifiers: Sequence[Identifier]) -> int | None:
        """Keep these candidates for ``user_id``; the id their buttons carry, or None when there
        is nothing to offer (or Redis cannot keep it now: the answer then goes without buttons)."""
        candidates = tuple(unique(list(identifiers))[:MAX_CANDIDATES])
        if not candidates:
            return None
        offer_id = secrets.randbits(OFFER_ID_BITS) + 1
        if self._shared is not None:
            try:
                await self._shared.put(user_id, offer_id, Offer(candidates, time.time()))
            except REDIS_FAULTS as exc:
                log.warning("report offer not kept, answering without its buttons: Redis failed (%s: %s)",
                            type(exc).__name__, exc)
                return None
            return offer_id
        now = time.monotonic()
        self._drop_expired(now)
        while len(self._offers) >= self.capacity:
            self._offers.popitem(last=False)
        self._offers[(user_id, offer_id)] = Offer(candidates, now)
        return offer_id

    async def offered(self, user_id: int, offer_id: int) -> tuple[Identifier, ...] | None:
        """The candidates of this user's offer; None when it expired, never existed or is
        someone else's (or Redis cannot be read now: the person is told to try again later)."""
        if self._shared is not None:
            try:
                offer = await self._shared.get(user_id, offer_id)
            except REDIS_FAULTS as exc:
                log.warning("report offer not read: Redis failed (%s: %s)", type(exc).__name__, exc)
                return None
            now = time.time()
        else:
            offer = self._offers.get((user_id, offer_id))
            now = time.monotonic()
        if offer is None or now - offer.made_at > self.ttl:
            return None
        return offer.identifiers

    async def forget(self, user_id: int) -> None:
        """Drop every offer of this user (nothing of theirs is kept after /forget). Raises a
        storage fault when Redis cannot be reached: /forget must not say "done" then."""
        if self._shared is not None:
            with as_storage_fault(self._shared.store.where):
                await self._shared.forget(user_id)
            return
        for key_ in [k for k in self._offers if k[0] == user_id]:
            del self._offers[key_]

    def _drop_expired(self, now: float) -> None:
        while self._offers:
            key_, offer = next(iter(self._offers.items()))
            if now - offer.made_at <= self.ttl:
                break
            del self._offers[key_]

    # --- the report itself ------------------------------------------------------------------

    async def report_offered(self, user_id: int, offer_id: int, index: int, region: str | None) -> Reported | None:
        """The press on one candidate's button; None when the offer is gone (expired, forged)."""
        candidates = await self.offered(user_id, offer_id)
        if candidates is None or not 0 <= index < len(candidates):
            return None
        return await self.report(user_id, candidates[index], region)

    async def report(self, user_id: int, identifier: Identifier, region: str | None) -> Reported:
        """Store the person's report (once per person), read the identifier's standing again and
        queue it for the officers when the crowd has passed the threshold. Raises the storage's
        errors: the handler says "not saved, try again"."""
        new = await self.repos.reports.report(user_id, [identifier], region) > 0
        [standing] = await self.repos.reports.reputation([identifier])
        to_review = standing.past_threshold and standing.review is None
        if to_review:
            await self.repos.reviews.enqueue_identifier(identifier)
        reporters = 0 if standing.review == "cleared" else standing.reporters
        return Reported(identifier, new, reporters, to_review)

    async def candidates_in(self, text: str) -> tuple[list[Finding], list[Identifier]]:
        """What is known of the identifiers of ``text``, and which of them may be reported."""
        findings = await self.reputation.lookup(text)
        return findings, self.reportable(findings)
