"""Red flags a message shows by itself: phrases from knowledge/signals.yaml, links, numbers.

Each red flag carries the span of the user's text it came from, so the answer can quote it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.classifier.links import LinkInspector
from bot.classifier.normalize import Normalized, normalize
from bot.classifier.numbers import find_amounts, find_cards, find_phones
from bot.knowledge.schema import KnowledgeBase, Localized

_GAP = "..."


@dataclass(frozen=True)
class RedFlag:
    id: str
    weight: float
    title: Localized
    quote: str  # the user's own words the flag came from (links not yet defanged)
    start: int  # span in the original text
    end: int


def phrase_anchor(phrase: str) -> str:
    """The literal start of a phrase: a text without it cannot match, which is checked first."""
    return normalize(phrase).folded.split()[0].rstrip("*")


def compile_phrase(phrase: str) -> str:
    """Turn an analyst's phrase ("назовите ... код*") into a regex over the folded text."""
    tokens = normalize(phrase).folded.split()
    parts: list[str] = []
    for token in tokens:
        if token == _GAP:
            parts.append(r"(?:\W+\w+){0,4}")
            continue
        if token == "*":
            body = r"\w+"
        elif token.endswith("*"):
            body = re.escape(token[:-1]) + r"\w*"
        else:
            body = re.escape(token)
        parts.append((r"\W+" if parts else "") + body)
    if not parts or parts[0].startswith(r"(?:\W+"):
        raise ValueError(f"phrase «{phrase}» must start with a word")
    return r"(?<!\w)" + "".join(parts) + r"(?!\w)"


class SignalDetector:
    """Finds every red flag of a normalised text. Built once from the knowledge base."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self._phrases: list[tuple[str, float, Localized, list[tuple[str, re.Pattern[str]]]]] = []
        for signal in kb.signals.signals:
            try:
                patterns = [(phrase_anchor(p), re.compile(compile_phrase(p))) for p in signal.phrases]
            except (ValueError, re.error) as exc:
                raise ValueError(f"knowledge/signals.yaml: signal '{signal.id}': {exc}") from exc
            self._phrases.append((signal.id, signal.weight, signal.title, patterns))
        self._structural = kb.signals.structural
        self.links = LinkInspector(kb.links)

    def detect(self, norm: Normalized) -> list[RedFlag]:
        flags: list[RedFlag] = []
        folded = norm.folded
        # Warnings first: a request that sits inside a warning ("кодты ешкімге айтпаңыз",
        # "никому не сообщайте код") is the warning, not the request.
        vetoes: list[tuple[int, int]] = []
        for sid, weight, title, patterns in sorted(self._phrases, key=lambda p: p[1] >= 0):
            match = self._first_match(patterns, folded, vetoes if weight > 0 else [])
            if match is None:
                continue
            if weight < 0:
                vetoes.append(match.span())
            start, end = norm.original_span(match.start(), match.end(), folded=True)
            flags.append(RedFlag(sid, weight, title, norm.original[start:end], start, end))
        links = self.links.find(norm)
        for flag_id in ("link_at_trick", "link_lookalike", "link_punycode", "link_ip_host",
                        "link_shortener", "link_risky_tld", "link_official"):
            hit = next((link for link in links if flag_id in link.flags), None)
            if hit:
                flags.append(self._structural_flag(flag_id, norm, hit.start, hit.end))
        if links and not any(f.id.startswith("link_") for f in flags):
            flags.append(self._structural_flag("link", norm, links[0].start, links[0].end))
        found = [*find_phones(norm.text), *find_cards(norm.text), *find_amounts(norm.text)]
        for kind in ("card_number", "phone_ru_mobile", "phone_foreign", "phone_kz", "money_amount"):
            hit = next((f for f in found if f.kind == kind), None)
            if hit:
                flags.append(self._structural_flag(kind, norm, hit.start, hit.end))
        return flags

    @staticmethod
    def _first_match(patterns: list[tuple[str, re.Pattern[str]]], text: str,
                     vetoes: list[tuple[int, int]]) -> re.Match[str] | None:
        for anchor, pattern in patterns:
            if anchor not in text:
                continue
            for match in pattern.finditer(text):
                if not any(a < match.end() and match.start() < b for a, b in vetoes):
                    return match
        return None

    def _structural_flag(self, flag_id: str, norm: Normalized, start: int, end: int) -> RedFlag:
        spec = self._structural[flag_id]
        a, b = norm.original_span(start, end)
        return RedFlag(flag_id, spec.weight, spec.title, norm.original[a:b], a, b)
