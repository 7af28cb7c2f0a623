"""The typed result of checking one text. Plain data: no Telegram, no rendering."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from bot.classifier.language import Language, Script
from bot.knowledge.schema import Lang

Risk = Literal["high", "medium", "low", "none"]
# scam: risk high or medium. benign: nothing fraudulent seen. fraud_warning: a genuine warning
# *about* fraud (a police or bank prevention post, news): not fraud, never a red banner.
# unsure: no risk signal, but also unlike anything the knowledge base knows: "I can't tell".
Kind = Literal["scam", "benign", "fraud_warning", "unsure"]
# Why a verdict is less sure than it could be (shown to the user in a short line each).
Why = Literal["two_schemes_close", "unlike_known_examples", "no_risk_signal"]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class SchemeScore(Frozen):
    scheme: str
    score: float


class Flag(Frozen):
    id: str
    weight: float
    quote: str
    start: int
    end: int


class Neighbour(Frozen):
    label: str
    similarity: float
    text: str


class Verdict(Frozen):
    risk: Risk
    scheme: str | None  # best matching scheme id; None when the text looks legitimate
    alternative: str | None  # a second, nearly as likely scheme: "probably X or Y"
    confidence: float  # how sure the verdict is of its risk level and scheme, 0..1
    scam_probability: float  # fused probability that the text is fraud, 0..1
    top: list[SchemeScore]  # top-3 schemes with their probabilities
    red_flags: list[Flag]  # what this very text shows, with the user's own words
    language: Language
    reply_language: Lang  # the language to answer in when the user chose none
    script: Script
    backend: str
    nearest: list[Neighbour]  # the closest knowledge-base examples, for explanation
    truncated: bool  # the text was longer than the classifier reads
    kind: Kind = "benign"
    warns_about: str | None = None  # for a fraud_warning: the scheme it warns about, when known
    why: list[Why] = []  # reasons the verdict is hedged ("probably X or Y", "I can't tell")
    # how the message reached the person, from cheap cues in the text (knowledge/channels.yaml):
    # call | sms_link | messenger | marketplace | social; None when the text does not say
    channel: str | None = None

    @property
    def is_scam(self) -> bool:
        return self.risk in ("high", "medium")
