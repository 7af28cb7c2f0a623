"""Recognises a short general question ("куда звонить?", "картаны қалай бұғаттаймын?") so
the bot answers it from the FAQ instead of running a fraud check on it.

Only short texts qualify: a question typed to the bot is a line, while a forwarded scam
that happens to contain "заблокировать карту" is long and still goes to the classifier.
The phrases live in knowledge/help.yaml (`asked_as`), so analysts extend them.
"""

from __future__ import annotations

from bot.classifier.normalize import fold, normalize
from bot.knowledge import KnowledgeBase

MAX_QUESTION_CHARS = 80


class FaqMatcher:
    def __init__(self, knowledge: KnowledgeBase) -> None:
        self._phrases = [
            (entry.id, [fold(normalize(p).text) for p in entry.asked_as.kk + entry.asked_as.ru])
            for entry in knowledge.help.faq
            if entry.asked_as
        ]

    def match(self, text: str) -> str | None:
        """The FAQ id the text asks about, or None."""
        if len(text) > 4 * MAX_QUESTION_CHARS:  # long for sure, even with invisible characters: skip normalising
            return None
        norm = normalize(text)
        if len(norm.text.strip()) > MAX_QUESTION_CHARS:
            return None
        return next((faq_id for faq_id, phrases in self._phrases if any(p in norm.folded for p in phrases)), None)
