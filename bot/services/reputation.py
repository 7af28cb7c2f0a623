"""What is known of the numbers, cards, IBANs, sites and accounts in a text: official, confirmed
by an officer, reported by people, or nothing.

Each check (and a bare number or link sent alone) is looked up here, so the answer can say
"this is the official number of a bank" or "reported by 7 people since 12 November; an
officer confirmed it". Pure data out: no Telegram and no words; the reply texts render it.

Order of trust, strongest first:

1. **official** — the identifier is a verified contact's number in `knowledge/contacts.yaml`
   (short lines such as 1414 or 7111 are matched where they stand alone in the text), or a
   site under an official domain of `knowledge/links.yaml`. Official wins over any report:
   a crowd (or a fraudster spoofing the caller id) must not make a bank's line look like a
   fraudster's. Numbers come only from the knowledge base, never from here.
2. **confirmed** — an officer confirmed it; shown apart from the crowd's count.
3. **reported** — distinct users reported it (`bot/storage/reports.py` says how one user
   counts once and when fresh accounts do not count towards `past_threshold`).
4. nothing — never reported, or **cleared** by an officer: a clear hides the crowd's count.

Storage never costs the user their answer: when the database fails or is slow the official
findings still come, and `crowd_known` is False.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Literal

from bot.classifier.identifiers import Identifier, locate_identifiers, parse_phone, unique
from bot.classifier.links import LinkInspector
from bot.classifier.normalize import normalize
from bot.classifier.numbers import find_number_runs, is_amount_at
from bot.knowledge.schema import KnowledgeBase
from bot.storage.database import best_effort
from bot.storage.reports import ReportsRepo, Standing

Status = Literal["official", "confirmed", "reported", "none"]


@dataclass(frozen=True)
class Finding:
    """One identifier of the text and what is known of it."""

    identifier: Identifier
    official: str | None  # the verified contact's id ("halyk_7111") or the official domain ("halykbank.kz")
    confirmed: bool  # an officer confirmed it is a fraudster's
    reporters: int  # distinct people who reported it; 0 when cleared by an officer
    since: float | None  # unix time of the first report; None when nobody did (or it was cleared)
    past_threshold: bool  # enough seasoned reporters, not cleared (bot/storage/reports.py)
    crowd_known: bool = True  # False: storage failed, only the official finding is known

    @property
    def status(self) -> Status:
        """The strongest thing known, in the order of trust of this module's docstring."""
        if self.official:
            return "official"
        if self.confirmed:
            return "confirmed"
        if self.reporters:
            return "reported"
        return "none"


class Reputation:
    def __init__(self, knowledge: KnowledgeBase, reports: ReportsRepo) -> None:
        self.reports = reports
        self.official_domains = tuple(knowledge.links.official)
        verified = [c for c in knowledge.contacts.values() if c.confidence == "verified" and c.number]
        # Short lines (102, 1414, 7111) are no valid E.164 number: matched by their digits.
        self.short_numbers = {c.number: c.id for c in verified if c.number.isdigit() and len(c.number) <= 6}
        self.official_phones: dict[str, str] = {}
        for contact in verified:
            phone = parse_phone(contact.number) if contact.number not in self.short_numbers else None
            if phone:
                self.official_phones[phone.value] = contact.id

    async def lookup(self, text: str) -> list[Finding]:
        """Every identifier of ``text`` (and every official short number standing alone in it),
        in the order they appear, with what is known of each."""
        norm = normalize(text).text
        located = sorted([*self._short_numbers(norm), *locate_identifiers(norm)], key=lambda pair: pair[0])
        return await self.lookup_identifiers(unique([ident for _, ident in located]))

    async def lookup_identifiers(self, identifiers: list[Identifier]) -> list[Finding]:
        """What is known of these identifiers (a report's buttons know them already)."""
        if not identifiers:
            return []
        standings = await best_effort(self.reports.reputation(identifiers), "identifier reputation")
        by_key: dict[tuple[str, str], Standing] = {(s.kind, s.value): s for s in standings or ()}
        findings, seen = [], set()
        for ident in identifiers:
            if (ident.kind, ident.value) in seen:
                continue
            seen.add((ident.kind, ident.value))
            findings.append(self._finding(ident, by_key.get((ident.kind, ident.value)), standings is not None))
        return findings

    def official_name(self, ident: Identifier) -> str | None:
        """The verified contact or official domain this identifier is, or None."""
        if ident.kind == "phone":
            return self.short_numbers.get(ident.value) or self.official_phones.get(ident.value)
        if ident.kind == "domain" and LinkInspector.is_under(ident.value, self.official_domains):
            return _official_domain(ident.value, self.official_domains)
        return None

    def _finding(self, ident: Identifier, standing: Standing | None, crowd_known: bool) -> Finding:
        cleared = standing is not None and standing.review == "cleared"
        counted = standing is not None and not cleared
        return Finding(
            identifier=ident,
            official=self.official_name(ident),
            confirmed=standing is not None and standing.review == "confirmed",
            reporters=standing.reporters if counted else 0,
            since=standing.first_reported if counted else None,
            past_threshold=standing.past_threshold if standing else False,
            crowd_known=crowd_known,
        )

    def _short_numbers(self, norm: str) -> list[tuple[int, Identifier]]:
        """Official short numbers written alone ("call 1414", "7111-ге хабарлас"), not inside
        a longer number, a date or an amount ("1 414 тенге" is money); offsets in ``norm``."""
        if not self.short_numbers:
            return []
        return [
            (run.start, Identifier("phone", run.digits, run.digits))
            for run in find_number_runs(norm)
            if run.digits in self.short_numbers and not run.international and not is_amount_at(norm, run)
            and norm[run.start:run.end] == run.digits  # written as one group: "14 14" is no hotline
        ]


@functools.cache
def _official_domain(value: str, domains: tuple[str, ...]) -> str:
    """The longest official domain ``value`` is under: "prokuror.gov.kz" → itself, not gov.kz."""
    return max((d for d in domains if value == d or value.endswith("." + d)), key=len)
