"""A person reports a fraudster's number, card, IBAN, site or account: offered, confirmed, counted.

Under a risky verdict (or a bare number looked up, or `/report`) the identifiers found are
*offered* as buttons; only the one the person taps is stored (`ReportsRepo.report`, with the
region of their record), so nothing they did not confirm as the fraudster's ever reaches the
database. The candidates wait here, in memory, bounded in number and in time: an offer is
keyed by the user and a random id, so a button from another chat, from before a restart or
made up by hand finds nothing and is answered "expired" (`offered` returns None).

After a report the identifier's standing is read again: how many people reported it now (one
person counts once: the repository keeps one row per person), and, when it has passed the
crowd's threshold (`Standing.past_threshold`: enough seasoned reporters, not cleared) and no
officer has decided on it yet, it goes to the officers' review queue.

No Telegram and no words here: the handler (`bot/handlers/reports.py`) sends the buttons,
`bot/replies/reputation.py` the texts.
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.classifier.identifiers import Identifier, unique
from bot.services.reputation import Finding, Reputation
from bot.storage import Repositories

OFFER_TTL = 3600.0  # seconds an offer's buttons work: long enough to read the answer and decide
OFFER_CAPACITY = 20_000  # offers kept at most; the oldest go first (a few MB at most)
MAX_CANDIDATES = 8  # buttons under one offer: a text with more identifiers is rare and a list, not a message
OFFER_ID_BITS = 40  # random offer ids: a made-up button hits nothing


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


class Reports:
    def __init__(self, repos: Repositories, reputation: Reputation, *, ttl: float = OFFER_TTL,
                 capacity: int = OFFER_CAPACITY) -> None:
        if ttl <= 0 or capacity < 1:
            raise ValueError("an offer needs a positive lifetime (seconds) and room for at least one")
        self.repos = repos
        self.reputation = reputation
        self.ttl = ttl
        self.capacity = capacity
        self._offers: OrderedDict[tuple[int, int], Offer] = OrderedDict()

    # --- candidates, in memory until confirmed ----------------------------------------------

    @staticmethod
    def reportable(findings: Iterable[Finding]) -> list[Identifier]:
        """The identifiers a person may report: not an official number or site (a crowd, or a
        fraudster spoofing a bank's caller id, must not mark a bank's line), at most
        `MAX_CANDIDATES`, in the order of the text."""
        return unique([f.identifier for f in findings if not f.official])[:MAX_CANDIDATES]

    def offer(self, user_id: int, identifiers: Sequence[Identifier]) -> int | None:
        """Keep these candidates for ``user_id``; the id their buttons carry, or None when there
        is nothing to offer."""
        candidates = tuple(unique(list(identifiers))[:MAX_CANDIDATES])
        if not candidates:
            return None
        now = time.monotonic()
        self._drop_expired(now)
        while len(self._offers) >= self.capacity:
            self._offers.popitem(last=False)
        offer_id = secrets.randbits(OFFER_ID_BITS) + 1
        self._offers[(user_id, offer_id)] = Offer(candidates, now)
        return offer_id

    def offered(self, user_id: int, offer_id: int) -> tuple[Identifier, ...] | None:
        """The candidates of this user's offer; None when it expired, never existed or is
        someone else's."""
        offer = self._offers.get((user_id, offer_id))
        if offer is None or time.monotonic() - offer.made_at > self.ttl:
            return None
        return offer.identifiers

    def forget(self, user_id: int) -> None:
        """Drop every offer of this user (nothing of theirs is kept after /forget)."""
        for key in [k for k in self._offers if k[0] == user_id]:
            del self._offers[key]

    def _drop_expired(self, now: float) -> None:
        while self._offers:
            key, offer = next(iter(self._offers.items()))
            if now - offer.made_at <= self.ttl:
                break
            del self._offers[key]

    # --- the report itself ------------------------------------------------------------------

    async def report_offered(self, user_id: int, offer_id: int, index: int, region: str | None) -> Reported | None:
        """The press on one candidate's button; None when the offer is gone (expired, forged)."""
        candidates = self.offered(user_id, offer_id)
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
