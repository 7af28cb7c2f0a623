"""The identifiers a fraudster leaves in a text: phone numbers, cards, IBANs, sites, Telegram,
WhatsApp and Instagram accounts, each in the one normal form a report and a lookup share.

Why one normal form: "8 (701) 123-45-67", "+7 701 1234567" and "wa.me/77011234567" are one
number; "https://pay.kaspi-bonus.kz/x" and "kaspi-bonus.kz" are one site. A count of reports
is only worth something when every spelling of an identifier lands on the same row, so the
normal forms come from well-kept libraries rather than from rules of our own:

* phone numbers: `phonenumbers` (Google's libphonenumber metadata) parses with Kazakhstan as
  the default region, keeps only valid numbers and gives E.164 and the type (a Kazakh
  +7 7xx mobile, a landline, a Russian +7 9xx mobile);
* cards: the digits of a Luhn-valid number (`bot.classifier.numbers`, which the red flags
  and the redaction use too);
* IBANs: the ISO 13616 mod-97 check and the registered length of the country;
* links and bare domains: the registrable domain from `tldextract` on its bundled
  public-suffix snapshot (never fetched), through the one host detector `find_hosts`.

The text is normalised first (`bot.classifier.normalize`): zero-width characters go,
Cyrillic look-alikes inside Latin words are folded ("@sаqbоl" with Cyrillic а and о is
"@saqbol") and defanged links ("kaspi[.]kz") are restored, so a disguised identifier meets
its plain spelling.

`Identifier.shown` is a masked form that a reply may print: a phone or card keeps only the
digits a person needs to recognise it, a site is defanged so it cannot be tapped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

import phonenumbers
from phonenumbers import PhoneNumberType

from bot.classifier.links import defang, find_hosts, registrable_domain
from bot.classifier.normalize import normalize
from bot.classifier.numbers import find_cards, find_iins, find_phone_numbers

IdentifierKind = Literal["phone", "card", "iban", "domain", "telegram", "instagram"]
PhoneType = Literal["mobile", "landline", "toll_free", "other"]

DEFAULT_REGION = "KZ"
MASK = "•"

# Lengths of the IBAN of each country (ISO 13616 registry) for the countries whose accounts
# people in Kazakhstan are asked to pay to; any other country is checked by mod-97 alone
# within the standard's 15..34 characters.
_IBAN_LENGTHS = {
    "KZ": 20, "RU": 33, "KG": 26, "UZ": 20, "AZ": 28, "GE": 22, "BY": 28, "UA": 29, "TR": 26,
    "AE": 23, "DE": 22, "GB": 22, "FR": 27, "LT": 20, "LV": 21, "EE": 20, "PL": 28,
}
# Written in groups of four or in one piece; the lookbehind keeps it off the middle of a word.
_IBAN = re.compile(r"(?<![0-9a-z])[a-z]{2}\d{2}(?:[ \-]?[0-9a-z]{4}){2,7}(?:[ \-]?[0-9a-z]{1,3})?(?![0-9a-z])")
# Telegram usernames: 5..32 characters, a letter first, then letters, digits and underscores.
_TG_NAME = r"[a-z][a-z0-9_]{3,31}"
_AT_NAME = re.compile(rf"(?<![\w@.]){'@'}(?P<name>{_TG_NAME})(?![\w@])")
_TG_LINK_HOSTS = frozenset({"t.me", "telegram.me", "telegram.dog"})
_TG_RESOLVE = re.compile(r"tg://resolve\?(?P<query>[^\s#]*+)")
_TG_DOMAIN_PARAM = re.compile(rf"(?:^|&)domain=(?P<name>{_TG_NAME})(?![\w])")
_TG_RESERVED = frozenset({"joinchat", "addstickers", "addlist", "share", "proxy", "socks", "iv", "setlanguage"})
_WA_HOSTS = frozenset({"wa.me", "whatsapp.com", "api.whatsapp.com", "web.whatsapp.com", "chat.whatsapp.com"})
_IG_HOSTS = frozenset({"instagram.com", "instagr.am", "ig.me"})
# Paths of instagram.com that are not an account ("instagram.com/p/<post>").
_IG_RESERVED = frozenset({
    "p", "reel", "reels", "tv", "explore", "accounts", "direct", "about", "developer", "legal",
    "stories", "web", "challenge", "ar", "s", "privacy", "terms", "help",
})
_IG_NAME = re.compile(r"[a-z0-9._]{1,30}")
_TG_NAME_RE = re.compile(_TG_NAME)
_WA_PHONE_PARAM = re.compile(r"(?:^|&)phone=\+?(\d{7,15})")
_NON_DIGIT = re.compile(r"\D")
_DIGIT = re.compile(r"\d")
_IBAN_GAPS = re.compile(r"[\s\-]")
_DOTTED_DIGITS = re.compile(r"[\d.]+")
_PATH_START = re.compile(r"[/?#]")
_QUERY_START = re.compile(r"[?#]")
_PHONE_TYPES: dict[int, PhoneType] = {
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE: "landline",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "mobile",
    PhoneNumberType.TOLL_FREE: "toll_free",
}


@dataclass(frozen=True)
class Identifier:
    """One identifier in its normal form (`value`), with a masked form a reply may print.

    `phone_type` and `region` say what kind of number a phone is ("mobile" in "KZ");
    they are derived from `value` and do not take part in equality."""

    kind: IdentifierKind
    value: str
    shown: str
    phone_type: PhoneType | None = field(default=None, compare=False)
    region: str | None = field(default=None, compare=False)


def find_identifiers(text: str) -> list[Identifier]:
    """Every identifier of ``text``, once each, in the order they first appear."""
    return unique([ident for _, ident in locate_identifiers(normalize(text).text)])


def unique(identifiers: list[Identifier]) -> list[Identifier]:
    """Each identifier once, where it first came."""
    seen: set[tuple[str, str]] = set()
    result = []
    for ident in identifiers:
        if (ident.kind, ident.value) not in seen:
            seen.add((ident.kind, ident.value))
            result.append(ident)
    return result


def locate_identifiers(norm: str) -> list[tuple[int, Identifier]]:
    """(offset, identifier) for each occurrence in ``norm``, the `Normalized.text` of a message
    (for a caller that merges its own finds into the order of the text), sorted by offset."""
    found: list[tuple[int, Identifier]] = []
    cards = find_cards(norm)
    taken = [(c.start, c.end) for c in (*cards, *find_iins(norm))]
    for card in cards:
        digits = _NON_DIGIT.sub("", norm[card.start:card.end])
        found.append((card.start, Identifier("card", digits, _mask_card(digits))))
    ibans = [(m.start(), m.end(), iban) for m in _IBAN.finditer(norm) if (iban := normalize_iban(m.group()))]
    for start, _, iban in ibans:
        found.append((start, Identifier("iban", iban, _mask_iban(iban))))
    taken += [(start, end) for start, end, _ in ibans]
    for run in find_phone_numbers(norm):
        if any(a < run.end and run.start < b for a, b in taken):
            continue
        phone = parse_phone(("+" if run.international else "") + run.digits)
        if phone:
            found.append((run.start, phone))
    for hit in find_hosts(norm):
        if hit.kind == "email":
            # An address names a mailbox, not a site: its domain is a mail provider's far too often
            # (mail.ru, gmail.com) to be reported as the fraudster's.
            continue
        if any(a < hit.end and hit.start < b for a, b in taken):
            continue
        ident = _from_link(norm[hit.start:hit.end], hit.host)
        if ident:
            found.append((hit.start, ident))
    for match in _AT_NAME.finditer(norm):
        found.append((match.start(), _telegram(match.group("name"))))
    for match in _TG_RESOLVE.finditer(norm):
        param = _TG_DOMAIN_PARAM.search(match.group("query"))
        if param:
            found.append((match.start(), _telegram(param.group("name"))))
    found.sort(key=lambda pair: pair[0])
    return found


def parse_phone(raw: str, region: str = DEFAULT_REGION) -> Identifier | None:
    """A phone number as written ("8 701 123 45 67", "+7 916 …") → its E.164 identifier, or
    None when libphonenumber does not know it as a valid number."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    kind = _PHONE_TYPES.get(phonenumbers.number_type(number), "other")
    return Identifier("phone", e164, _mask_phone(number), kind, phonenumbers.region_code_for_number(number))


def normalize_iban(raw: str) -> str | None:
    """An IBAN as written → its electronic form (upper case, no spaces), or None when its
    length or its ISO 13616 mod-97 check digits are wrong."""
    iban = _IBAN_GAPS.sub("", raw).upper()
    country = iban[:2]
    if not (15 <= len(iban) <= 34) or not iban[2:4].isdigit() or not iban.isalnum() or not iban.isascii():
        return None
    if country in _IBAN_LENGTHS and len(iban) != _IBAN_LENGTHS[country]:
        return None
    if not _DIGIT.search(iban[4:]):
        return None  # a word that happens to start like an IBAN
    rearranged = iban[4:] + iban[:4]
    number = "".join(str(int(ch, 36)) for ch in rearranged)  # A=10 … Z=35
    return iban if int(number) % 97 == 1 else None


def _from_link(token: str, host: str) -> Identifier | None:
    """A link or bare domain → the account it names (Telegram, WhatsApp's phone, Instagram)
    or else its registrable domain. IP addresses and links without a host are no identifier."""
    if not host or host.startswith("[") or _DOTTED_DIGITS.fullmatch(host):
        return None
    domain = registrable_domain(host.removeprefix("www."))
    _, _, rest = token.partition(host) if host in token else ("", "", "")
    path = _QUERY_START.split(rest, maxsplit=1)[0].strip("/").split("/")
    query = rest.partition("?")[2]
    if domain in _TG_LINK_HOSTS or host in _TG_LINK_HOSTS:
        name = path[0].lower() if path else ""
        if _TG_NAME_RE.fullmatch(name) and name not in _TG_RESERVED:
            return _telegram(name)
        return None  # an invite link ("t.me/+AbC…", "t.me/joinchat/…") names no account
    if host in _WA_HOSTS or domain in _WA_HOSTS:
        digits = path[0] if host == "wa.me" and path else ""
        if not digits:
            phone_param = _WA_PHONE_PARAM.search(query)
            digits = phone_param.group(1) if phone_param else ""
        return parse_phone("+" + digits) if digits.isdigit() else None
    if domain in _IG_HOSTS:
        parts = [p for p in path if p]
        if parts and parts[0] == "stories" and len(parts) > 1:
            parts = parts[1:]
        name = parts[0].lower() if parts else ""
        if name and name not in _IG_RESERVED and _IG_NAME.fullmatch(name):
            return Identifier("instagram", name, defang(f"instagram.com/{name}"))
        return None
    return Identifier("domain", domain, defang(domain))


def _telegram(name: str) -> Identifier:
    return Identifier("telegram", name.lower(), "@" + name.lower())


def _mask_phone(number: phonenumbers.PhoneNumber) -> str:
    """+7 701 ••• •• 67: the country and the operator's code, then the last two digits."""
    national = phonenumbers.national_significant_number(number)
    code_length = phonenumbers.length_of_national_destination_code(number) or 3
    code, subscriber = national[:code_length], national[code_length:]
    hidden = MASK * (len(subscriber) - 2) + subscriber[-2:]
    groups = [hidden[:3], hidden[3:5], hidden[5:]] if len(hidden) == 7 else re.findall(r".{1,3}", hidden)
    return " ".join([f"+{number.country_code}", code, *filter(None, groups)])


def _mask_card(digits: str) -> str:
    """4400 •••• •••• 5674: the issuer's four digits and the last four, as on a receipt."""
    hidden = digits[:4] + MASK * (len(digits) - 8) + digits[-4:]
    return " ".join(re.findall(r".{1,4}", hidden))


def _mask_iban(iban: str) -> str:
    """KZ86 •••• •••• •••• 0100: the country and check digits, then the last four."""
    hidden = iban[:4] + MASK * (len(iban) - 8) + iban[-4:]
    return " ".join(re.findall(r".{1,4}", hidden))


__all__ = [
    "Identifier", "IdentifierKind", "PhoneType", "find_identifiers", "locate_identifiers", "normalize_iban",
    "parse_phone", "unique",
]
