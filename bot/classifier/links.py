"""The one link and host detector, and the judging of hosts against knowledge/links.yaml.

`find_hosts` is shared by the red flags (`LinkInspector.find`), the defanging of quotes
(`LinkInspector.defang_text`) and the police-alert allowlist (`bot.alerts.policy`), so
that a host one of them misses cannot slip through another. A token is a host when its last
label is a real top-level domain of the public-suffix list (tldextract's bundled snapshot,
never fetched), so `bank-kz.de` or `egov-kz.help` are links while "т.д", "e.g", "3.14" and
"18.11.2025" are not. Links with any scheme (`tg://`, `mailto:`), IPv4 hosts in dotted,
integer, hex and octal forms, IPv6 hosts and ideographic or full-width dots ("evil。com")
are found too.

Every pattern here runs in linear time: possessive quantifiers, lookbehinds that forbid a
new attempt inside a token, and the label checks in Python instead of in the regex.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Literal

import tldextract

from bot.classifier.normalize import Normalized, normalize
from bot.knowledge.schema import LinksFile

HostKind = Literal["url", "domain", "ip", "email"]

# Characters some keyboards and scripts use as a full stop; browsers and Telegram read them
# as ".": the ideographic, full-width, half-width ideographic and small full stops.
_DOT_LIKE = "\u3002\uff0e\uff61\ufe52"
_AS_DOTS = str.maketrans({ch: "." for ch in _DOT_LIKE})
_URL_END = r"[^\s<>\"'«»]"
# A scheme URL: "https://…", "tg://resolve?…", or an opaque scheme that needs no "//".
# The defanged forms we print ourselves ("hxxps://") are not links.
_SCHEME_URL = re.compile(
    r"(?<![\w+.\-])(?:(?!(?:hxxps?|fxp)://)[a-z][a-z0-9+.\-]{0,24}://" + _URL_END + "*+"
    r"|(?:mailto|tel|sms|smsto|mms|javascript|vbscript|data|intent|viber|whatsapp|tg|ton|skype|callto"
    r"|facetime|market|sip|xmpp|file|geo|bitcoin):(?!//)" + _URL_END + "++)",
    re.IGNORECASE,
)
# A dotted token, optionally with the user part of an e-mail, a port and a path. The
# lookbehind keeps the engine from retrying inside a token; the quantifiers never give back.
_HOST_TOKEN = re.compile(
    r"(?<![\w\-])(?:(?P<user>[\w.+\-]++)@)?(?P<host>[\w\-]++(?:\.[\w\-]++)++)"
    r"(?P<port>:\d{1,5}+(?!\w))?(?P<path>[/?#]" + _URL_END + "*+)?"
)
_NUMERIC_HOST = re.compile(r"(?:0x[0-9a-f]*|\d+)(?:\.(?:0x[0-9a-f]*|\d+)){0,3}", re.IGNORECASE)
_TRAILING = ".,;:!?)]}»\"'…" + _DOT_LIKE
_WEB_SCHEMES = frozenset({"", "http", "https", "ftp", "ws", "wss"})


@functools.cache
def _extractor() -> tldextract.TLDExtract:
    """tldextract on its bundled public-suffix snapshot: no download, no cache directory."""
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)


@functools.cache
def top_level_domains() -> frozenset[str]:
    """Every top-level label of the public-suffix list, in Unicode and in punycode."""
    labels: set[str] = set()
    for rule in _extractor().tlds:
        label = rule.rsplit(".", 1)[-1].lstrip("!*")
        if not label:
            continue
        labels.add(label)
        try:
            labels.add(label.encode("idna").decode("ascii"))
            labels.add(label.encode("ascii").decode("idna"))
        except UnicodeError:
            pass
    return frozenset(labels)


def registrable_domain(host: str) -> str:
    """The part of a host someone registered: "a.b.kaspi.co.uk" → "kaspi.co.uk"."""
    parts = _extractor()(host)
    return ".".join(p for p in (parts.domain, parts.suffix) if p) or host


def _is_tld(label: str) -> bool:
    return unicodedata.normalize("NFKC", label).casefold() in top_level_domains()


def _is_ipv4(labels: list[str]) -> bool:
    return len(labels) == 4 and all(lab.isdigit() and len(lab) <= 3 and int(lab) <= 255 for lab in labels)


@dataclass(frozen=True)
class HostHit:
    """One link-like token: its kind, span in the text it was found in, and its host."""

    kind: HostKind
    start: int
    end: int
    host: str  # lower-case, "" when the link has none (tg://resolve?…, mailto:…)
    scheme: str = ""  # lower-case, "" when written without one


def _trim(text: str, start: int, end: int) -> int:
    """The end of a link without the punctuation that closes the sentence around it."""
    while end > start and text[end - 1] in _TRAILING:
        if text[end - 1] == ")" and text.count("(", start, end) >= text.count(")", start, end):
            break  # "wiki/Foo_(bar)" keeps its bracket
        end -= 1
    return end


def url_host(url: str) -> tuple[str, str, bool]:
    """(scheme, host, has user part) of a link as written: "https://a@b.kz:80/x" →
    ("https", "b.kz", True). IPv6 hosts keep their brackets."""
    url = url.translate(_AS_DOTS)
    scheme, sep, rest = url.partition("://")
    if not sep:
        opaque = re.match(r"([a-z][a-z0-9+.\-]*):", url, re.IGNORECASE)
        if opaque and not re.match(r"\w[\w\-]*\.", url):
            return opaque.group(1).lower(), "", False
        scheme, rest = "", url
    if scheme.lower() not in _WEB_SCHEMES:
        return scheme.lower(), "", False
    authority = re.split(r"[/?#\\]", rest, maxsplit=1)[0]
    user = "@" in authority
    authority = authority.rsplit("@", 1)[-1]
    if authority.startswith("["):
        host = authority.split("]", 1)[0] + "]"
    else:
        host = authority.split(":", 1)[0]
    host = unicodedata.normalize("NFKC", host).strip(".").lower()
    return scheme.lower(), host, user


def is_ip_host(host: str) -> bool:
    """An IP literal in any form a browser accepts: dotted, integer, hex, octal, IPv6."""
    return host.startswith("[") or bool(_NUMERIC_HOST.fullmatch(host))


def find_hosts(text: str, *, nested: bool = False) -> list[HostHit]:
    """Every link-like token of ``text``, in order, as spans of ``text``.

    With ``nested=True`` (the allowlist) the host-like tokens inside a link's path or user
    part are reported as well ("https://egov.kz/go?to=evil.com" also yields "evil.com"), and
    the hits may overlap.
    """
    plain = text.translate(_AS_DOTS)  # same length: spans stay valid for ``text``
    hits: list[HostHit] = []
    covered: list[tuple[int, int]] = []
    for match in _SCHEME_URL.finditer(plain):
        end = _trim(plain, match.start(), match.end())
        scheme, host, _ = url_host(plain[match.start():end])
        hits.append(HostHit("url", match.start(), end, host, scheme))
        covered.append((match.start(), end))
    for match in _HOST_TOKEN.finditer(plain):
        hit = _host_hit(plain, match)
        if hit is None:
            continue
        if not nested and any(a <= hit.start < b for a, b in covered):
            continue
        hits.append(hit)
    if nested:
        # Host-like tokens anywhere: inside paths, queries and the user part of a link.
        seen = {(h.start, h.end) for h in hits}
        for match in re.finditer(r"(?<![\w\-])[\w\-]++(?:\.[\w\-]++)++", plain):
            length = _host_length(match.group().split("."))
            if length:
                end = match.start() + length
                if (match.start(), end) not in seen:
                    host = plain[match.start():end].lower()
                    hits.append(HostHit("ip" if _is_ipv4(host.split(".")) else "domain", match.start(), end, host))
    hits.sort(key=lambda h: (h.start, -h.end))
    return hits


def _host_length(labels: list[str]) -> int:
    """How many leading characters of a dotted token form a host (0: it is not one). The host
    ends at the rightmost real zone: "evil.com.Подробнее" → "evil.com", and a Kazakh or Russian
    ending after a hyphen is not part of it: "hh.kz-тегі" → "hh.kz"."""
    for i in range(len(labels) - 1, 0, -1):
        label = labels[i]
        if not label.isdigit() and _is_tld(label):
            return len(".".join(labels[:i + 1]))
        head, hyphen, ending = label.partition("-")
        if hyphen and ending and not ending.isascii() and _is_tld(head):
            return len(".".join(labels[:i])) + 1 + len(head)
    if _is_ipv4(labels[:4]) and (len(labels) == 4 or not labels[4].isdigit()):
        return len(".".join(labels[:4]))
    if labels[0].lower() == "www":
        return len(".".join(labels))
    return 0


def _host_hit(text: str, match: re.Match[str]) -> HostHit | None:
    token = match.group("host")
    length = _host_length(token.split("."))
    if not length:
        return None
    host_start = match.start("host")
    host_end = host_start + length
    host = text[host_start:host_end].lower()
    kind: HostKind = "ip" if _is_ipv4(host.split(".")) else "domain"
    if match.group("user") is not None:
        return HostHit("email", match.start(), host_end, host)
    end = match.end() if length == len(token) else host_end
    return HostHit(kind, match.start(), _trim(text, match.start(), end), host)


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
    """Make a link untappable for display: ``https://a.kz`` → ``hxxps://a[.]kz``,
    ``tg://resolve`` → ``tg[:]//resolve``. Dots already in brackets stay as they are."""
    web = re.match(r"(http|ftp)(?=s?:)", url, re.IGNORECASE)
    if web:
        url = ("hxxp" if web.group(1).lower() == "http" else "fxp") + url[web.end():]
    elif _SCHEME_URL.match(url):
        url = url.replace(":", "[:]", 1)
    return re.sub(r"(?<!\[)[." + _DOT_LIKE + r"](?!\])", "[.]", url)


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


class LinkInspector:
    """Knows the official, shortener and risky hosts; finds and judges links in a text."""

    def __init__(self, links: LinksFile) -> None:
        self.official = tuple(links.official)
        self.shorteners = frozenset(links.shorteners)
        self.risky_tlds = tuple(sorted(links.risky_tlds, key=len, reverse=True))
        self.brands = tuple(links.brands)

    @staticmethod
    def is_under(host: str, domains: tuple[str, ...] | list[str]) -> bool:
        return any(host == d or host.endswith("." + d) for d in domains)

    def find(self, norm: Normalized) -> list[Link]:
        """The links of a message (not e-mail addresses), judged; spans index ``norm.text``."""
        links = []
        for hit in find_hosts(norm.text):
            raw = norm.text[hit.start:hit.end]
            if hit.kind == "email" and not _host_length(raw.rsplit("@", 1)[0].split(".")):
                continue  # a plain e-mail address; "kaspi.kz@evil.com" is the @ trick
            links.append(self._judge(raw, hit, norm))
        return links

    def defang_text(self, text: str) -> str:
        """Defang every link inside a piece of text meant for display: those Telegram sees in
        the text as it is, and those hidden by zero-width characters or homoglyphs."""
        norm = normalize(text)
        spans = [(h.start, h.end) for h in find_hosts(text)]
        spans += [norm.original_span(h.start, h.end) for h in find_hosts(norm.text)]
        merged: list[list[int]] = []
        for start, end in sorted(spans):
            if merged and start < merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            elif end > start:
                merged.append([start, end])
        for start, end in reversed(merged):
            text = text[:start] + defang(text[start:end]) + text[end:]
        return text

    def _judge(self, url: str, hit: HostHit, norm: Normalized) -> Link:
        flags = {"link"}
        scheme, host, user = url_host(url) if hit.kind == "url" else ("", hit.host, hit.kind == "email")
        if user:
            flags.add("link_at_trick")
        if host.startswith("www."):
            host = host[4:]
        original_host = norm.quote(hit.start, hit.end)
        if host and (any("xn--" in label for label in host.split(".")) or not host.isascii() or (
            re.search(r"[^\x00-\x7f]", original_host) and not re.search(r"[^\x00-\x7f]", host)
        )):
            flags.add("link_punycode")  # an IDN or homoglyph host imitating a Latin one
        if not host:
            pass  # tg://, mailto: and other links without a web host: just a link
        elif hit.kind == "ip" or is_ip_host(host):
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
        return Link(url=url, host=host, start=hit.start, end=hit.end, flags=frozenset(flags))

    def _imitates(self, host: str) -> bool:
        tokens = re.split(r"[.\-]", host)
        for brand in self.brands:
            if any(tok == brand or (len(brand) >= 5 and brand in tok) for tok in tokens):
                return True
        registrable = registrable_domain(host)
        return any(0 < _edit_distance(registrable, official) <= 2 for official in self.official if len(official) >= 6)
