"""What is known of a number, card, IBAN, site or account, in Kazakh or Russian (Telegram HTML).

A check's answer carries it under the verdict ("this number: 7 people reported it as fraud
since 12 November; a police officer confirmed it"), a bare number sent alone gets it as the
whole answer, and a report's thank-you says how many people reported the identifier now.

Why the crowd and the police are two lines, never one sentence: a count of reports is what
people said, an officer's confirmation is what the police checked; a pensioner must see which
is which. An identifier an officer cleared shows nothing (`Finding.reporters` is 0 then), as
does one nobody reported. Official numbers are named with the verified contact's own text
from knowledge/contacts.yaml: nothing here writes a number.

Every word goes through gettext (bot/i18n/locales); the identifiers are printed in their
masked form (`Identifier.shown`: "+7 701 ••• •• 67", sites defanged). Russian numerals take
three forms ("1 человек", "3 человека", "7 человек"): the plural category comes from CLDR
(babel) and picks one of three message ids, so the catalogues stay plain gettext entries.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from aiogram.utils.i18n import I18n
from babel import Locale

from bot.classifier.identifiers import Identifier
from bot.i18n import KZ_TIME, N_
from bot.knowledge import KnowledgeBase
from bot.knowledge.schema import Lang

OFFICIAL, CONFIRMED, REPORTED = "✅", "🚫", "⚠️"

SUBJECTS = {
    "phone": N_("Number {shown}"),
    "card": N_("Card {shown}"),
    "iban": N_("Account {shown}"),
    "domain": N_("Site {shown}"),
    "telegram": N_("Telegram account {shown}"),
    "instagram": N_("Instagram account {shown}"),
}
# The date of the first report, in each language's words: "с 12 ноября", "12 қарашадан бері".
SINCE_MONTH = (
    N_("since {day} January"), N_("since {day} February"), N_("since {day} March"), N_("since {day} April"),
    N_("since {day} May"), N_("since {day} June"), N_("since {day} July"), N_("since {day} August"),
    N_("since {day} September"), N_("since {day} October"), N_("since {day} November"),
    N_("since {day} December"),
)
SINCE_YEAR = N_("since {year}")  # a first report of an earlier year: the year alone is enough
# One message id per CLDR plural category a language uses for whole numbers (ru: one, few,
# many; kk: one, other, written as "many" here).
REPORTED_BY = {
    "one": N_("{since}, {count} person reported that these are fraudsters (one)."),
    "few": N_("{since}, {count} people reported that these are fraudsters (few)."),
    "many": N_("{since}, {count} people reported that these are fraudsters (many)."),
}
REPORTED_NOW = {
    "one": N_("Now {count} person has reported it (one)."),
    "few": N_("Now {count} people have reported it (few)."),
    "many": N_("Now {count} people have reported it (many)."),
}
CONFIRMED_LINE = N_("A police officer confirmed that these are fraudsters.")
OFFICIAL_PHONE = N_("This is an official number: {contact}")
OFFICIAL_SITE = N_("This is an official site.")
NOTHING_KNOWN = N_("Nobody has reported it to me yet.")
NOTHING_ADVICE = N_("That does not yet mean it can be trusted: never tell anyone the codes from SMS and do not send "
                    "money to people you do not know.")
FRAUD_ADVICE = N_("Do not answer, do not send money and do not open links from it.")
SPOOF_ADVICE = N_("Fraudsters can fake the caller's number: if in doubt, hang up and call this number yourself.")
CROWD_UNKNOWN = N_("I cannot check the reports right now: try again in a minute.")
SAVED = N_("Thank you! {subject}: your report is saved.")
ALREADY = N_("{subject}: you have already reported it; each person counts once.")
TO_REVIEW = N_("Police officers will check it.")


class Known(Protocol):
    """What this module reads of a finding (`bot.services.reputation.Finding`, one layer up)."""

    @property
    def identifier(self) -> Identifier: ...
    @property
    def official(self) -> str | None: ...
    @property
    def confirmed(self) -> bool: ...
    @property
    def reporters(self) -> int: ...
    @property
    def since(self) -> float | None: ...
    @property
    def crowd_known(self) -> bool: ...


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


class ReputationReplies:
    def __init__(self, knowledge: KnowledgeBase, i18n: I18n) -> None:
        self.knowledge = knowledge
        self.i18n = i18n
        self._locales = {lang: Locale.parse(lang) for lang in ("kk", "ru")}

    def _(self, msgid: str, lang: Lang) -> str:
        return self.i18n.gettext(msgid, locale=lang)

    def _plural(self, msgids: dict[str, str], count: int, lang: Lang) -> str:
        category = self._locales[lang].plural_form(count)
        return self._(msgids.get(category, msgids["many"]), lang)

    # --- pieces -----------------------------------------------------------------------------

    def subject(self, identifier: Identifier, lang: Lang) -> str:
        """"Номер +7 701 ••• •• 67" / "+7 701 ••• •• 67 нөмірі" (plain text)."""
        return self._(SUBJECTS[identifier.kind], lang).format(shown=identifier.shown)

    def since(self, when: float, lang: Lang, *, now: float | None = None) -> str:
        """"с 12 ноября" / "12 қарашадан бері"; an earlier year: "с 2025 года" / "2025 жылдан бері"."""
        day = datetime.fromtimestamp(when, KZ_TIME)
        this_year = datetime.fromtimestamp(now, KZ_TIME).year if now is not None else datetime.now(KZ_TIME).year
        if day.year != this_year:
            return self._(SINCE_YEAR, lang).format(year=day.year)
        return self._(SINCE_MONTH[day.month - 1], lang).format(day=day.day)

    def facts(self, finding: Known, lang: Lang, *, now: float | None = None) -> list[str]:
        """One line per thing known, strongest first: official; else the officer's confirmation
        and the crowd's count, apart. Empty when nothing is known."""
        ident = finding.identifier
        if finding.official:
            if ident.kind == "phone":
                contact = self.knowledge.contacts.get(finding.official)
                if contact is not None and contact.showable:
                    return [f"{OFFICIAL} {self._(OFFICIAL_PHONE, lang).format(contact=contact.text.get(lang))}"]
                return []  # a contact the knowledge base no longer shows is not named
            return [f"{OFFICIAL} {self._(OFFICIAL_SITE, lang)}"]
        lines = []
        if finding.confirmed:
            lines.append(f"{CONFIRMED} {self._(CONFIRMED_LINE, lang)}")
        if finding.reporters and finding.since is not None:
            text = self._plural(REPORTED_BY, finding.reporters, lang).format(
                since=self.since(finding.since, lang, now=now), count=finding.reporters)
            lines.append(f"{REPORTED} {_capital(text)}")
        return lines

    def reported_now(self, count: int, lang: Lang) -> str:
        """"Теперь об этом сообщили 3 человека." (plain text)."""
        return self._plural(REPORTED_NOW, count, lang).format(count=count)

    # --- whole blocks -----------------------------------------------------------------------

    def known(self, findings: Sequence[Known], lang: Lang, *, now: float | None = None) -> str | None:
        """The paragraph under a verdict: each identifier something is known of, its name in
        bold and a line per fact. None when nothing is known of any of them."""
        blocks = []
        for finding in findings:
            lines = self.facts(finding, lang, now=now)
            if lines:
                blocks.append("\n".join([f"<b>{_esc(self.subject(finding.identifier, lang))}</b>",
                                         *(_esc(line) for line in lines)]))
        return "\n\n".join(blocks) if blocks else None

    def lookup(self, findings: Sequence[Known], lang: Lang, *, now: float | None = None) -> str:
        """The whole answer to a number, card, IBAN, link or account sent alone: what is known
        of each, "nobody has reported it" for the others, and one line of advice that fits the
        worst of them."""
        blocks, worst = [], "nothing"
        for finding in findings:
            lines = self.facts(finding, lang, now=now)
            if finding.official:
                worst = worst if worst == "fraud" else "official"
            elif lines:
                worst = "fraud"
            elif finding.crowd_known:
                lines = [self._(NOTHING_KNOWN, lang)]
            else:
                lines = [self._(CROWD_UNKNOWN, lang)]
            if not lines:
                continue
            blocks.append("\n".join([f"<b>{_esc(self.subject(finding.identifier, lang))}</b>",
                                     *(_esc(line) for line in lines)]))
        spoofable = any(f.official and f.identifier.kind == "phone" for f in findings)
        advice = {"fraud": FRAUD_ADVICE, "official": SPOOF_ADVICE if spoofable else None,
                  "nothing": NOTHING_ADVICE}[worst]
        if advice:
            blocks.append(_esc(self._(advice, lang)))
        return "\n\n".join(blocks)

    def after_report(self, identifier: Identifier, lang: Lang, *, new: bool, reporters: int,
                     to_review: bool) -> str:
        """The answer to a press on "this is the fraudster's": saved (or already reported by
        this person: one person counts once), how many people reported it now, and whether the
        police will look at it."""
        subject = self.subject(identifier, lang)
        lines = [self._(SAVED if new else ALREADY, lang).format(subject=subject)]
        if reporters:
            lines.append(self.reported_now(reporters, lang))
        if to_review:
            lines.append(self._(TO_REVIEW, lang))
        return _esc(" ".join(lines))
