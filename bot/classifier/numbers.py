"""Phone numbers, card numbers, IINs and money amounts in a text.

Card numbers and IINs are recognised by their check digits, so an order number or a
tracking code is not mistaken for one; a card number is never read as a phone number.

Every pattern runs in linear time, whatever the text ("9" * 4096, "1 " * 2048): no pattern
has to fail after a long greedy run, and the quantifiers that could give characters back
are possessive. A text of digits must never let one user slow the bot for everybody.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

PhoneKind = Literal["phone_kz", "phone_ru_mobile", "phone_foreign"]

_PHONE = re.compile(r"(?<![\w+])(?:\+|00)?\d(?:[\s\-\u2010-\u2015\u2212_()]{0,2}\d){9,13}(?!\d)")
_CARD = re.compile(r"(?<!\d)\d{4}(?:[ \-]?\d{4}){3}(?:[ \-]?\d{1,3})?(?!\d)")
_IIN = re.compile(r"(?<!\d)\d{12}(?!\d)")
# A number that may be an amount ("50 000", "1,5", "2.500"), then the unit right after it.
# The number is matched possessively and the unit is checked where it ends, so a long run of
# digits without a unit costs one pass instead of one pass per digit.
_AMOUNT_NUMBER = re.compile(r"(?:[$€₽]\s?)?\d[\d\s.,]*+")
_AMOUNT_UNIT = re.compile(
    r"(?:тг|тенге|теңге|₸|kzt|tg|тыс|мың|мын|млн|млрд|\$|usd|доллар\w*|евро|€|руб\w*|₽|k\b|к\b)",
    re.IGNORECASE,
)
_CURRENCY_FIRST = re.compile(r"[$€₽]\s?\d[\d\s]*+")

# Runs of digits as people write personal numbers: "+7 (701) 123-45-67", "8_701_123_45_67",
# "701/123/45/67", "900,101,300,124", "+7–701–888–45–67". A comma or a dot joins digits only
# without a space after it ("1, 2, 3" stays a list); dates and times are not part of a run.
_SEPARATORS = r"\s\-\u2010-\u2015\u2212\ufe58\ufe63\uff0d()/_\\·"
_NUMBER_RUN = re.compile(rf"\+?\d++(?:(?:[{_SEPARATORS}]{{1,3}}+|[.,])\d++)*+")
# "18.11.2025", "01/02/26" (a two-digit year only where no digit follows), "18:00".
_DATE_OR_TIME = re.compile(
    r"(?<!\d)(?:(?:[0-2]?\d|3[01])([./\-])(?:0?\d|1[0-2])\1(?:(?:19|20)\d\d|\d\d(?![\s./\-]?\d))"
    r"|(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d)?)(?!\d)"
)
# Units after which a run of digits is money, not somebody's number ("50 000 тг", "5 млн").
_MONEY_AFTER = re.compile(r"\s?(?:тг|тенге|теңге|₸|kzt|\$|usd|доллар|евро|€|руб|₽|мың|тыс|млн|млрд|%)", re.IGNORECASE)
_MAX_AMOUNT_DIGITS = 9  # up to 999 999 999 of any currency; longer is somebody's number


@dataclass(frozen=True)
class Found:
    kind: str
    start: int
    end: int


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iin_ok(digits: str) -> bool:
    """The check digit of a Kazakhstan IIN/BIN (two weighted passes, mod 11)."""
    if len(digits) != 12 or not digits.isdigit():
        return False
    nums = [int(c) for c in digits]
    check = sum(n * w for n, w in zip(nums[:11], range(1, 12))) % 11
    if check == 10:
        check = sum(n * w for n, w in zip(nums[:11], [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2])) % 11
        if check == 10:
            return False
    return check == nums[11]


def classify_phone(raw: str) -> PhoneKind | None:
    digits = _digits(raw)
    international = raw.lstrip().startswith(("+", "00"))
    if raw.lstrip().startswith("00"):
        digits = digits[2:]
    if len(digits) == 11 and digits[0] in "78" and (digits[0] == "7" or not international):
        area = digits[1]
        if area == "7" or digits[1:4] == "800":
            return "phone_kz"
        if area == "9":
            return "phone_ru_mobile"
        return "phone_foreign"
    if len(digits) == 10 and digits[0] == "7" and not international:
        return "phone_kz"
    if international and 10 <= len(digits) <= 15:
        return "phone_foreign"
    return None


def find_cards(text: str) -> list[Found]:
    return [
        Found("card_number", m.start(), m.end())
        for m in _CARD.finditer(text)
        if 16 <= len(_digits(m.group())) <= 19 and luhn_ok(_digits(m.group()))
    ]


def find_iins(text: str) -> list[Found]:
    return [Found("iin", m.start(), m.end()) for m in _IIN.finditer(text) if iin_ok(m.group())]


def find_phones(text: str) -> list[Found]:
    taken = [(f.start, f.end) for f in (*find_cards(text), *find_iins(text))]
    found = []
    for m in _PHONE.finditer(text):
        if any(a < m.end() and m.start() < b for a, b in taken):
            continue
        kind = classify_phone(m.group())
        if kind:
            found.append(Found(kind, m.start(), m.end()))
    return found


def find_amounts(text: str) -> list[Found]:
    found = []
    for match in _AMOUNT_NUMBER.finditer(text):
        unit = _AMOUNT_UNIT.match(text, match.end())
        if unit:
            found.append(Found("money_amount", match.start(), unit.end()))
        elif match.group()[0] in "$€₽":
            prefixed = _CURRENCY_FIRST.match(text, match.start())
            amount = prefixed.group() if prefixed else match.group()
            found.append(Found("money_amount", match.start(), match.start() + len(amount.rstrip())))
    return found


@dataclass(frozen=True)
class NumberRun:
    """Digits written as one number, with whatever separators people put between them."""

    start: int
    end: int
    digits: str
    international: bool  # written with a leading "+"


def find_number_runs(text: str) -> list[NumberRun]:
    """Every run of digits that could be one number. Dates ("18.11.2025") and times
    ("18:00") are masked first, so they neither count as runs nor glue two runs together."""
    masked = _DATE_OR_TIME.sub(lambda m: "#" * len(m.group()), text)
    return [
        NumberRun(m.start(), m.end(), _digits(m.group()), m.group().startswith("+"))
        for m in _NUMBER_RUN.finditer(masked)
    ]


def is_amount_at(text: str, run: NumberRun) -> bool:
    """A run of at most nine digits followed by a money unit ("50 000 тг", "1,5 млн") or
    after a currency sign ("$ 500"): money, which is useful to read and not personal."""
    if len(run.digits) > _MAX_AMOUNT_DIGITS:
        return False
    return bool(_MONEY_AFTER.match(text, run.end)) or any(c in "$€₽₸" for c in text[max(0, run.start - 2):run.start])


def find_phone_numbers(text: str) -> list[NumberRun]:
    """Runs that a reader would dial: ten digits or more, or seven or more after a "+",
    that are not amounts. Short service numbers (102, 1414) are not runs of this kind."""
    return [
        run for run in find_number_runs(text)
        if (len(run.digits) >= 10 or (run.international and len(run.digits) >= 7)) and not is_amount_at(text, run)
    ]
