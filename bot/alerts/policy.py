"""What a police broadcast may contain. A fraud-warning bot that can be made to send a
phishing link is worse than no bot, so everything a subscriber could tap or dial must be on
the allowlist in knowledge/links.yaml, after undoing the usual tricks (homoglyphs,
zero-width characters, "egov[.]kz", "evil。com"):

* hosts — any link, bare domain, e-mail or IP address, found by the same detector as the
  red flags (`bot.classifier.links.find_hosts`): only `broadcast_allowed` and their
  subdomains; an IP host never;
* Telegram accounts — "@name", "t.me/name", "tg://resolve?domain=name": only
  `broadcast_telegram`; any other `tg://` link or non-web scheme (`javascript:`, `intent:`)
  never;
* phone numbers — ten digits or more, or a "+" number: only `broadcast_phones` (verified
  contacts). Short official numbers (102, 1414) are not phone numbers of this kind.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.classifier.links import HostHit, LinkInspector, find_hosts, is_ip_host
from bot.classifier.normalize import normalize
from bot.classifier.numbers import find_phone_numbers

MAX_ALERT_CHARS = 3500  # room for the header under Telegram's 4096

_TELEGRAM_HOSTS = ("t.me", "telegram.me", "telegram.dog")
_USERNAME = re.compile(r"(?<![\w@.\-])@([a-z][a-z0-9_]{3,31})(?![\w@])", re.IGNORECASE)
_TG_RESOLVE = re.compile(r"tg://resolve\?domain=([a-z0-9_]+)$", re.IGNORECASE)
_TME_PATH = re.compile(r"(?:https?://)?(?:www\.)?(?:t\.me|telegram\.me|telegram\.dog)/([a-z0-9_]+)/?$", re.IGNORECASE)


def _digits(text: str) -> str:
    digits = re.sub(r"\D", "", text)
    return "7" + digits[1:] if len(digits) == 11 and digits[0] == "8" else digits


def _host_allowed(hit: HostHit, raw: str, allowed: list[str], telegram: set[str]) -> bool:
    if hit.kind == "url" and hit.scheme not in ("http", "https"):
        name = _TG_RESOLVE.match(raw)
        return bool(name) and name.group(1).lower() in telegram
    host = hit.host.removeprefix("www.")
    if not host or is_ip_host(host) or hit.kind == "ip":
        return False
    if host in _TELEGRAM_HOSTS:
        name = _TME_PATH.match(raw)
        return bool(name) and name.group(1).lower() in telegram
    return LinkInspector.is_under(host, allowed)


def forbidden_links(text: str, allowed: list[str], telegram: Iterable[str] = (),
                    phones: Iterable[str] = ()) -> list[str]:
    """What in `text` is not on the allowlist (empty when the text may go out): links,
    hosts, Telegram accounts and phone numbers, each quoted as the officer wrote it.

    The text is read twice, as written and normalised, so that neither a homoglyph host
    ("еgov.kz" with a Cyrillic "е" is another domain) nor a hidden one ("police.kz\u200b.phish.ru")
    passes."""
    telegram_ok = {name.lower().lstrip("@") for name in telegram}
    phones_ok = {_digits(p) for p in phones}
    refused: list[tuple[int, int]] = []  # spans of `text`
    norm = normalize(text)
    passes = [(text, lambda a, b: (a, b))]
    if norm.text != text:
        passes.append((norm.text, norm.original_span))

    def refuse(span: tuple[int, int]) -> None:
        if not any(a <= span[0] and span[1] <= b for a, b in refused):
            refused[:] = [(a, b) for a, b in refused if not (span[0] <= a and b <= span[1])] + [span]

    for candidate, to_text in passes:
        passed: list[HostHit] = []
        for hit in find_hosts(candidate, nested=True):  # outer links before what is inside them
            if any(p.start <= hit.start and hit.end <= p.end and p.host == hit.host for p in passed):
                continue  # "t.me" inside an allowed "t.me/egov_bot"
            if _host_allowed(hit, candidate[hit.start:hit.end], allowed, telegram_ok):
                passed.append(hit)
            else:
                refuse(to_text(hit.start, hit.end))
        for match in _USERNAME.finditer(candidate):
            if match.group(1).lower() not in telegram_ok:
                refuse(to_text(match.start(), match.end()))
        for run in find_phone_numbers(candidate):
            if _digits(run.digits) not in phones_ok:
                refuse(to_text(run.start, run.end))
    return list(dict.fromkeys(text[a:b] for a, b in sorted(refused)))
