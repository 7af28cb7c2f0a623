"""The typed result of checking one text. Plain data: no Telegram, no rendering."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from bot.classifier.language import Language, Script
from bot.knowledge.schema import BENIGN, FRAUD_WARNING, NOT_FRAUD_LABEL, KnowledgeBase, Lang

Risk = Literal["high", "medium", "low", "none"]
# scam: risk high or medium. benign: nothing fraudulent seen. fraud_warning: a genuine warning
# *about* fraud (a police or bank prevention post, news): not fraud, never a red banner.
# unsure: no risk signal, but also unlike anything the knowledge base knows: "I can't tell".
Kind = Literal["scam", "benign", "fraud_warning", "unsure"]
# Why a verdict is less sure than it could be (shown to the user in a short line each), or,
# for reviewed_by_officer, why it is sure: an officer labelled this very text.
Why = Literal["two_schemes_close", "unlike_known_examples", "no_risk_signal", "reviewed_by_officer"]
REVIEWED_BY_OFFICER = "reviewed_by_officer"


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


def reviewed_verdict(verdict: Verdict, label: str, knowledge: KnowledgeBase | None = None) -> Verdict:
    """The verdict an officer's label gives a text they reviewed (the exact-match answer,
    before any retrain): a scheme id is a high-risk scam of that scheme; ``not_fraud`` (or
    ``benign``) is no risk; ``fraud_warning`` is a genuine warning, about the scheme the
    classifier saw in it when it saw one. The classifier's observations of the text (red
    flags, language, channel, nearest examples) stay: they are still true of it. ``why`` is
    ``['reviewed_by_officer']`` alone: an officer's decision is not hedged.

    With ``knowledge`` an unknown label raises `ValueError` (`KnowledgeError`) naming the
    labels there are; without it, any other label is taken for a scheme id."""
    if knowledge is not None:
        label = knowledge.knowledge_label(label)
    if not label:
        raise ValueError("an officer's label is a scheme id, not_fraud or fraud_warning; got an empty one")
    why: list[Why] = [REVIEWED_BY_OFFICER]
    if label in (NOT_FRAUD_LABEL, BENIGN):
        return verdict.model_copy(update={
            "risk": "none", "kind": "benign", "scheme": None, "alternative": None, "warns_about": None,
            "confidence": 1.0, "scam_probability": 0.0, "why": why})
    if label == FRAUD_WARNING:
        about = verdict.warns_about or verdict.scheme
        if knowledge is not None and about not in knowledge.schemes:
            about = None
        return verdict.model_copy(update={
            "risk": "none", "kind": "fraud_warning", "scheme": None, "alternative": None, "warns_about": about,
            "confidence": 1.0, "scam_probability": 0.0, "why": why})
    return verdict.model_copy(update={
        "risk": "high", "kind": "scam", "scheme": label, "alternative": None, "warns_about": None,
        "confidence": 1.0, "scam_probability": 1.0, "top": [SchemeScore(scheme=label, score=1.0)], "why": why})
