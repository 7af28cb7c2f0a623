"""Redaction of personal numbers before anything is written to disk.

The bot keeps the text of checked messages (to review mistakes), but never a card number,
an IIN, a phone number or a one-time code. Redaction is deliberately wider than the
classifier's detectors: a 16-digit group that fails the Luhn check, or a 12-digit number
with a wrong IIN check digit, is still somebody's data, so every long digit run goes.
"""

from __future__ import annotations

import re

from bot.classifier.normalize import normalize

# Any run of digits, possibly split by spaces, dashes, dots, brackets or a leading "+":
# card numbers "4400 4301 …", phones "+7 (701) 123-45-67", IIN "900101300123".
_DIGIT_RUN = re.compile(r"\+?\d(?:[\s\-().]{0,3}\d)*")
_MIN_SECRET_DIGITS = 4  # SMS codes have 4–6 digits; "3 дня" or "50 000" stay readable
_AMOUNT_AFTER = re.compile(r"\s*(?:тг|тенге|теңге|₸|kzt|\$|usd|руб|₽|мың|тыс|млн|%)", re.IGNORECASE)


def _label(digits: str) -> str:
    n = len(digits)
    if 13 <= n <= 19:
        return "[карта]"
    if n == 12:
        return "[ИИН]"
    if 10 <= n <= 11:
        return "[телефон]"
    return "[код]" if n <= 8 else "[номер]"


def _is_amount(text: str, match: re.Match[str]) -> bool:
    """'50 000 тг' is a money amount, useful for review and not personal."""
    digits = re.sub(r"\D", "", match.group())
    return len(digits) <= 9 and bool(_AMOUNT_AFTER.match(text, match.end()))


def redact(text: str) -> str:
    """The text with every personal number replaced by a label such as «[карта]».

    Works on the normalised text, so zero-width characters or look-alike digits cannot
    smuggle a number past it.
    """
    clean = normalize(text).text

    def replace(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group())
        if len(digits) < _MIN_SECRET_DIGITS or _is_amount(clean, match):
            return match.group()
        return _label(digits)

    return _DIGIT_RUN.sub(replace, clean)
