"""How a message reached the person — a call, an SMS with a link, a messenger chat, a
marketplace listing, a social post — from cheap cues in the text (knowledge/channels.yaml).

The answer's first steps follow the channel: an SMS with a look-alike link must hear "do not
open the link; if you entered your card, call the bank and 1400", never "hang up". A text
that names no channel gets None, and the scheme's own steps as they are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.classifier.normalize import Normalized, normalize
from bot.classifier.signals import compile_phrase, phrase_anchor
from bot.knowledge.schema import KnowledgeBase

LINK_CUE_WEIGHT = 2  # a link in the text says "a written message" louder than one word does
# Red flags that mean a link is in the text; an official site ("link_official") is no cue.
LINK_FLAGS = frozenset({"link", "link_lookalike", "link_shortener", "link_risky_tld", "link_ip_host",
                        "link_punycode", "link_at_trick"})


class ChannelDetector:
    """Built once from the knowledge base; ``detect`` is pure and thread-safe."""

    def __init__(self, knowledge: KnowledgeBase) -> None:
        self._channels: list[tuple[str, bool, list[tuple[str, re.Pattern[str]]]]] = []
        for channel in knowledge.channels.values():
            phrases = dict.fromkeys([*channel.cues.kk, *channel.cues.ru])  # both languages: texts mix them
            try:
                patterns = [(phrase_anchor(p), re.compile(compile_phrase(p))) for p in phrases]
            except (ValueError, re.error) as exc:
                raise ValueError(f"knowledge/channels.yaml: channel '{channel.id}': {exc}") from exc
            self._channels.append((channel.id, channel.link_cue, patterns))

    def detect(self, text: str | Normalized, flag_ids: Iterable[str] = ()) -> str | None:
        """The channel with the most cues in ``text`` (ties: the first in channels.yaml), or
        None when no cue is found. ``flag_ids`` are the text's red flags (a link is a cue)."""
        folded = (text if isinstance(text, Normalized) else normalize(text)).folded
        has_link = any(f in LINK_FLAGS for f in flag_ids)
        best, best_score = None, 0
        for channel_id, link_cue, patterns in self._channels:
            score = sum(1 for anchor, pattern in patterns if anchor in folded and pattern.search(folded))
            if link_cue and has_link:
                score += LINK_CUE_WEIGHT
            if score > best_score:
                best, best_score = channel_id, score
        return best
