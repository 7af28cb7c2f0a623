"""Pydantic models of the files in knowledge/.

The models are strict (unknown fields are errors) so that a typo in a field name made by an
analyst is caught at load time instead of silently dropping a text.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Lang = Literal["kk", "ru"]
ExampleLang = Literal["kk", "ru", "mixed", "kk_latn"]
BENIGN = "benign"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Localized(Strict):
    """One user-facing text in both languages the bot speaks."""

    kk: str = Field(min_length=1)
    ru: str = Field(min_length=1)

    def get(self, lang: Lang) -> str:
        return self.kk if lang == "kk" else self.ru


class LocalizedList(Strict):
    kk: list[str] = Field(min_length=1)
    ru: list[str] = Field(min_length=1)

    def get(self, lang: Lang) -> list[str]:
        return self.kk if lang == "kk" else self.ru


class Example(Strict):
    text: str = Field(min_length=1)
    lang: ExampleLang
    kind: Literal["message", "situation"]


class Scheme(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: Localized
    summary: Localized
    how_it_works: Localized
    red_flags: list[Localized] = Field(min_length=3, max_length=6)
    what_to_do: list[Localized] = Field(min_length=2, max_length=6)
    report_via: list[str] = Field(min_length=1)
    examples: list[Example] = Field(min_length=30)

    @model_validator(mode="after")
    def _enough_of_each_language(self) -> Scheme:
        for lang in ("kk", "ru"):
            count = sum(1 for e in self.examples if e.lang == lang)
            if count < 12:
                raise ValueError(f"needs at least 12 '{lang}' examples, has {count}")
        return self


class BenignFile(Strict):
    examples: list[Example] = Field(min_length=1)


class Source(Strict):
    url: str
    date: dt.date | None = None


class Contact(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    confidence: Literal["verified", "likely", "unverified", "advice"]
    number: str | None = None
    text: Localized
    sources: list[Source]

    @property
    def showable(self) -> bool:
        """Only verified facts and general advice (which states no fact) reach users."""
        return self.confidence in ("verified", "advice")

    @model_validator(mode="after")
    def _facts_have_sources(self) -> Contact:
        if self.confidence == "verified" and not self.sources:
            raise ValueError("a verified contact needs at least one source")
        if self.confidence == "advice" and self.number:
            raise ValueError("advice must not carry a number: mark it verified, with a source")
        return self


class ContactsFile(Strict):
    contacts: list[Contact] = Field(min_length=1)


class PhraseSignal(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    weight: float
    title: Localized
    phrases: list[str] = Field(min_length=1)


class StructuralSignal(Strict):
    weight: float
    title: Localized


STRUCTURAL_SIGNALS = (
    "link",
    "link_official",
    "link_lookalike",
    "link_shortener",
    "link_risky_tld",
    "link_ip_host",
    "link_punycode",
    "link_at_trick",
    "phone_kz",
    "phone_ru_mobile",
    "phone_foreign",
    "card_number",
    "money_amount",
)


class SignalsFile(Strict):
    signals: list[PhraseSignal]
    structural: dict[str, StructuralSignal]

    @field_validator("structural")
    @classmethod
    def _all_structural_known(cls, value: dict[str, StructuralSignal]) -> dict[str, StructuralSignal]:
        missing = sorted(set(STRUCTURAL_SIGNALS) - set(value))
        unknown = sorted(set(value) - set(STRUCTURAL_SIGNALS))
        if missing:
            raise ValueError(f"missing structural signals: {', '.join(missing)}")
        if unknown:
            raise ValueError(f"unknown structural signals: {', '.join(unknown)} (known: {', '.join(STRUCTURAL_SIGNALS)})")
        return value


class LinksFile(Strict):
    official: list[str] = Field(min_length=1)
    broadcast_allowed: list[str] = Field(min_length=1)
    brands: list[str]
    shorteners: list[str]
    risky_tlds: list[str]

    @field_validator("official", "broadcast_allowed", "shorteners")
    @classmethod
    def _plain_hosts(cls, value: list[str]) -> list[str]:
        for host in value:
            if host != host.lower().strip() or "/" in host or "." not in host:
                raise ValueError(f"'{host}' is not a plain lower-case host name like 'egov.kz'")
        return value


class RiskTexts(Strict):
    high: Localized
    medium: Localized
    low: Localized
    none: Localized


class RepliesFile(Strict):
    risk: RiskTexts
    scheme_line: Localized
    ambiguous_line: Localized
    flags_heading: Localized
    todo_heading: Localized
    report_heading: Localized
    calm_advice: LocalizedList
    empty_input: Localized


class KnowledgeBase(Strict):
    """Everything in knowledge/, validated and cross-checked."""

    schemes: dict[str, Scheme]
    benign: list[Example]
    contacts: dict[str, Contact]
    signals: SignalsFile
    links: LinksFile
    replies: RepliesFile
    fingerprint: str

    def labelled_examples(self) -> list[tuple[str, Example]]:
        """(label, example) pairs for every example, schemes first, in a stable order."""
        pairs = [(sid, ex) for sid, scheme in self.schemes.items() for ex in scheme.examples]
        pairs.extend((BENIGN, ex) for ex in self.benign)
        return pairs
