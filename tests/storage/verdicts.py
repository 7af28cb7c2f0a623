"""Verdicts as the classifier returns them, built field by field so that a repository test
says exactly what it stores (the classifier's own judgement is tested in tests/classifier)."""

from __future__ import annotations

from bot.classifier import Verdict
from bot.classifier.verdict import Flag, SchemeScore


def verdict(lang: str = "ru", *, risk: str = "high", scheme: str | None = "bank_security_call",
            flags: tuple[tuple[str, str], ...] = (), why: tuple[str, ...] = (), channel: str | None = None,
            alternative: str | None = None, probability: float = 0.9, reply_language: str | None = None) -> Verdict:
    """A verdict in `lang` (kk, ru, mixed, other; answered in `reply_language`, by default
    `lang`); `flags` are (red-flag id, the user's own words it quotes)."""
    return Verdict(
        risk=risk, scheme=scheme, alternative=alternative, confidence=0.8, scam_probability=probability,
        top=[SchemeScore(scheme=scheme, score=0.8)] if scheme else [],
        red_flags=[Flag(id=flag, weight=1.0, quote=quote, start=0, end=len(quote)) for flag, quote in flags],
        language=lang, reply_language=reply_language or lang, script="cyrillic", backend="lexical", nearest=[], truncated=False,
        kind="scam" if risk in ("high", "medium") else "benign", why=list(why), channel=channel,
    )
