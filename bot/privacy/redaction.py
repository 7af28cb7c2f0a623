"""Redaction of personal numbers before anything is written to disk.

The bot keeps the text of checked messages (to review mistakes), but never a card number,
an IIN, a phone number or a one-time code. Redaction is deliberately wider than the
classifier's detectors: a 16-digit group that fails the Luhn check, or a 12-digit number
with a wrong IIN check digit, is still somebody's data, so every long digit run goes,
whatever separates its digits (spaces of any width, dashes of any kind, dots, slashes,
commas, underscores, brackets). Money amounts, dates and times stay readable: they are what
a reviewer needs and they identify nobody.
"""

from __future__ import annotations

import re

from bot.classifier.normalize import normalize
from bot.classifier.numbers import NumberRun, find_number_runs, is_amount_at

_MIN_SECRET_DIGITS = 4  # SMS codes have 4–6 digits; "3 дня" or "50 000 тг" stay readable
_MAX_PASSES = 4  # normalisation reaches its fixed point in one or two passes; this only bounds it
# Letters typed for digits inside a number ("9OO1O13OO123", "44OO 43O2 ...": Latin or Cyrillic o,
# l, i, з), after case folding. Read as digits only in a number: groups that each hold a digit,
# made of digits and such letters, joined by single separators, with at least three real digits
# and no more letters than digits in all. "too", "cool", "2 zoo", "l0l" stay as they are.
_LOOKALIKE_DIGITS = str.maketrans({"o": "0", "о": "0", "l": "1", "i": "1", "і": "1", "з": "3"})
_GROUP = r"[oоliіз]*[0-9][0-9oоliіз]*"
_MIXED_NUMBER = re.compile(rf"(?<!\w){_GROUP}(?:[ \-./_,]{_GROUP})*(?!\w)")


def _label(digits: str) -> str:
    n = len(digits)
    if 13 <= n <= 19:
        return "[карта]"
    if n == 12:
        return "[иин]"
    if 10 <= n <= 11:
        return "[телефон]"
    return "[код]" if n <= 8 else "[номер]"


def _secret(text: str, run: NumberRun) -> bool:
    return len(run.digits) >= _MIN_SECRET_DIGITS and not is_amount_at(text, run)


def redact(text: str) -> str:
    """The text with every personal number replaced by a label such as «[карта]».

    Works on the normalised text, so zero-width characters or look-alike digits cannot
    smuggle a number past it. Normalising can uncover a new trick once the first is undone
    (a control character between two halves of a mixed-script word), so the text is
    normalised until it no longer changes (two passes almost always); with lower-case labels
    that makes redacting twice give the same text.
    """
    clean = normalize(text).text
    if clean == text.casefold().replace("ё", "е"):
        return _replace_secrets(clean)  # nothing but case was undone: already a fixed point
    for _ in range(_MAX_PASSES):
        again = normalize(clean).text
        if again == clean:
            break
        clean = again
    return _replace_secrets(clean)


def _digits_for_lookalikes(text: str) -> str:
    """The text with digit look-alike letters read as digits inside numbers; same length."""
    def read(match: re.Match[str]) -> str:
        number = match.group()
        digits = sum(ch.isdigit() for ch in number)
        letters = sum(ch.isalpha() for ch in number)
        if letters and digits >= 3 and letters <= digits:
            return number.translate(_LOOKALIKE_DIGITS)
        return number
    return _MIXED_NUMBER.sub(read, text)


def _replace_secrets(clean: str) -> str:
    probe = _digits_for_lookalikes(clean)  # same positions as ``clean``
    parts: list[str] = []
    pos = 0
    for run in find_number_runs(probe):
        if _secret(probe, run):
            parts.extend((clean[pos:run.start], _label(run.digits)))
            pos = run.end
    parts.append(clean[pos:])
    return "".join(parts)
