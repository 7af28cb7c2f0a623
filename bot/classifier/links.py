"""Finding links in a message and judging their hosts against knowledge/links.yaml."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.classifier.normalize import Normalized
from bot.knowledge.schema import LinksFile

_COMMON_TLDS = {
    "kz", "ru", "com", "net", "org", "io", "me", "ly", "at", "cc", "co", "gy", "li", "to", "su",
    "uz", "kg", "ua", "by", "tr", "us", "uk", "eu", "biz", "app", "dev", "рф", "қаз", "gl", "gd",
}
_LABEL = r"[^\W_][\w\-]*"
_URL = re.compile(
    r"(?:https?://|www\.)[^\s<>\"'«»]+"  # with a scheme or www.
    rf"|(?<![\w@.])(?:{_LABEL}\.)+(?P<tld>xn--[\w\-]+|[^\W\d_]{{2,12}})(?::\d+)?(?:/[^\s<>\"'«»]*)?"
    r"|(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?/[^\s<>\"'«»]*",
    re.IGNORECASE,
)
_IPV4 = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")
_TRAILING = ".,;:!?)]}»\"'"


@dataclass(frozen=True)
class Link:
    url: str
    host: str
    start: int
    end: int
    flags: frozenset[str] = field(default_factory=frozenset)

    @property
    def official(self) -> bool:
        return "link_official" in self.flags


def defang(url: str) -> str:
    """Make a link untappable for display: ``https://a.kz`` → ``hxxps://a[.]kz``."""
    url = re.sub(r"^http", "hxxp", url, flags=re.IGNORECASE)
    return url.replace(".", "[.]")


def _edit_distance(a: str, b: str, limit: int = 2) -> int:
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _plain(text: str) -> Normalized:
    """A Normalized whose text is ``text`` itself, so that spans index ``text`` directly."""
    offsets = tuple(range(len(text)))
    return Normalized(original=text, text=text, text_offsets=offsets, folded=text, folded_offsets=offsets)


class LinkInspector:
    """Knows the official, shortener and risky hosts; finds and judges links in a text."""

    def __init__(self, links: LinksFile) -> None:
        self.official = tuple(links.official)
        self.shorteners = frozenset(links.shorteners)
        self.risky_tlds = tuple(sorted(links.risky_tlds, key=len, reverse=True))
        self.brands = tuple(links.brands)
        self.tlds = _COMMON_TLDS | {t.split(".")[-1] for t in links.risky_tlds} | {
            h.rsplit(".", 1)[-1] for h in (*links.official, *links.shorteners)
        }

    @staticmethod
    def is_under(host: str, domains: tuple[str, ...] | list[str]) -> bool:
        return any(host == d or host.endswith("." + d) for d in domains)

    def find(self, norm: Normalized) -> list[Link]:
        links = []
        for match in _URL.finditer(norm.text):
            raw = match.group().rstrip(_TRAILING)
            tld = match.group("tld")
            if tld and tld.lower() not in self.tlds and not tld.lower().startswith("xn--"):
                continue  # "т.д", "e.g" and other dotted words that are not hosts
            start, end = match.start(), match.start() + len(raw)
            links.append(self._judge(raw, start, end, norm))
        return links

    def defang_text(self, text: str) -> str:
        """Defang every link inside a piece of text meant for display."""
        norm_links = self.find(_plain(text))
        for link in sorted(norm_links, key=lambda l: l.start, reverse=True):
            text = text[: link.start] + defang(text[link.start : link.end]) + text[link.end :]
        return text

    def _judge(self, url: str, start: int, end: int, norm: Normalized) -> Link:
        rest = re.sub(r"^https?://", "", url, flags=re.IGNORECASE)
        authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
        flags = {"link"}
        if "@" in authority:
            flags.add("link_at_trick")
            authority = authority.rsplit("@", 1)[1]
        host = authority.split(":")[0].strip(".").lower()
        if host.startswith("www."):
            host = host[4:]
        original_host = norm.quote(start, end)
        if any("xn--" in label for label in host.split(".")) or not host.isascii() or (
            re.search(r"[^\x00-\x7f]", original_host) and not re.search(r"[^\x00-\x7f]", host)
        ):
            flags.add("link_punycode")  # an IDN or homoglyph host imitating a Latin one
        if _IPV4.match(host):
            flags.add("link_ip_host")
        elif host in self.shorteners:
            flags.add("link_shortener")
        elif self.is_under(host, self.official) and "link_punycode" not in flags and "link_at_trick" not in flags:
            flags.add("link_official")
        else:
            if any(host.endswith("." + tld) for tld in self.risky_tlds):
                flags.add("link_risky_tld")
            if self._imitates(host):
                flags.add("link_lookalike")
        return Link(url=url, host=host, start=start, end=end, flags=frozenset(flags))

    def _imitates(self, host: str) -> bool:
        tokens = re.split(r"[.\-]", host)
        for brand in self.brands:
            if any(tok == brand or (len(brand) >= 5 and brand in tok) for tok in tokens):
                return True
        registrable = ".".join(host.split(".")[-2:])
        return any(0 < _edit_distance(registrable, official) <= 2 for official in self.official if len(official) >= 6)
