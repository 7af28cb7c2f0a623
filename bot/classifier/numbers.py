"""Phone numbers, card numbers, IINs and money amounts in a text.

Card numbers and IINs are recognised by their check digits, so an order number or a
tracking code is not mistaken for one; a card number is never read as a phone number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

PhoneKind = Literal["phone_kz", "phone_ru_mobile", "phone_foreign"]

_PHONE = re.compile(r"(?<![\w+])(?:\+|00)?\d(?:[\s\-()]{0,2}\d){9,13}(?!\d)")
_CARD = re.compile(r"(?<!\d)\d{4}(?:[ \-]?\d{4}){3}(?:[ \-]?\d{1,3})?(?!\d)")
_IIN = re.compile(r"(?<!\d)\d{12}(?!\d)")
_AMOUNT = re.compile(
    r"(?:[$€₽]\s?\d[\d\s]*\d?|\d[\d\s.,]*\s?"
    r"(?:тг|тенге|теңге|₸|kzt|tg|тыс|мың|мын|млн|млрд|\$|usd|доллар\w*|евро|€|руб\w*|₽|k\b|к\b))",
    re.IGNORECASE,
)


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
    return [Found("money_amount", m.start(), m.end()) for m in _AMOUNT.finditer(text) if re.search(r"\d", m.group())]
