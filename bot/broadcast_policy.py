"""What a police broadcast may contain. A fraud-warning bot that can be made to send a
phishing link is worse than no bot, so every host-like token in the text must be on the
allowlist in knowledge/links.yaml (`broadcast_allowed`), after undoing the usual tricks
(homoglyphs, zero-width characters, "egov[.]kz")."""

from __future__ import annotations

import re

from bot.classifier.links import LinkInspector
from bot.classifier.normalize import normalize

MAX_BROADCAST_CHARS = 3500  # room for the header under Telegram's 4096

# Anything shaped like a host name, with or without a scheme, path or e-mail user part:
# "https://egov.kz/x", "kaspi-bonus.top", "info@kz-cert.kz", "xn--80ak6aa92e.com".
_HOSTLIKE = re.compile(r"(?:[a-z][a-z0-9+.-]*://)?(?:[\w.+-]+@)?((?:[\w-]+\.)+([\w-]{2,}))", re.IGNORECASE)


def forbidden_links(text: str, allowed: list[str]) -> list[str]:
    """The links in `text` that are not on the allowlist (empty when the text may go out)."""
    found = []
    for candidate in {text, normalize(text).text}:
        for match in _HOSTLIKE.finditer(candidate):
            host, tld = match.group(1).lower().rstrip("."), match.group(2)
            if tld.isdigit():  # "3.14", "18.11.2025": numbers, not hosts
                continue
            if not LinkInspector.is_under(host, allowed) and match.group(0) not in found:
                found.append(match.group(0))
    return found
