"""How well a picture was read: the character error rate against the text that was drawn.

A screenshot holds more than the message (the sender, the time, "Сегодня", the input bar),
so the message is compared with the best-matching stretch of what was read: the edits needed
to turn the message into some substring of the OCR output (Levenshtein distance with free
ends on the OCR side), divided by the message's length. Whitespace is compared collapsed:
where a line wraps is the app's doing, not the sender's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


def _collapse(text: str) -> str:
    return " ".join(text.split())


def edits_to_substring(reference: str, read: str) -> int:
    """Fewest insertions, deletions and substitutions turning ``reference`` into a substring
    of ``read``."""
    previous = [0] * (len(read) + 1)  # an empty reference matches anywhere for free
    for i, ref_char in enumerate(reference, 1):
        current = [i] + [0] * len(read)
        for j, read_char in enumerate(read, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref_char != read_char))
        previous = current
    return min(previous)


@dataclass(frozen=True)
class ErrorRate:
    edits: int
    characters: int

    @property
    def rate(self) -> float:
        return self.edits / self.characters if self.characters else 0.0

    def __add__(self, other: ErrorRate) -> ErrorRate:
        return ErrorRate(self.edits + other.edits, self.characters + other.characters)


def character_error_rate(reference: str, read: str) -> ErrorRate:
    reference, read = _collapse(reference), _collapse(read)
    return ErrorRate(edits_to_substring(reference, read), len(reference))


def total(rates: Iterable[ErrorRate]) -> ErrorRate:
    """Pooled over many pictures: all edits over all characters (long texts weigh more)."""
    return sum(rates, ErrorRate(0, 0))
