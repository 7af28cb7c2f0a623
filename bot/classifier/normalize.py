"""Text normalisation that undoes the tricks fraudsters use to slip past filters.

Two forms come out of one message:

* ``Normalized.text`` — NFKC, invisible characters removed, Latin/Cyrillic homoglyphs folded
  inside words ("Kаspi" → "kaspi"), letter-by-letter words joined ("к о д" → "код"), defanged
  links restored ("kaspi[.]kz" → "kaspi.kz"), case folded. Language detection, link and
  number detection read this form.
* ``Normalized.folded`` — ``text`` with the Kazakh letters folded to their base Cyrillic
  letters and Latin-script words transliterated to Cyrillic ("aqsha" → "акша", "kod" → "код"),
  so that people who type Kazakh without its letters, or in Latin, still match. Phrase signals
  and the lexical encoder read this form.

Every character of both forms remembers the index of the original character it came from,
so a red flag can quote the user's own words back to them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_CYR_TO_LAT = dict(zip("аеікмнорстуухјѕһԛԝАВЕІКМНОРСТУХҺ", "aeikmhopctyyxjshqwABEIKMHOPCTYXH"))
_LAT_TO_CYR = dict(zip("aceikmopxyABCEHIKMOPTXY", "асеікморхуАВСЕНІКМОРТХУ"))

_KK_FOLD = str.maketrans("әғқңөұүһі", "агкноуухи")

# Latin → Cyrillic, longest first. Covers Kazakh Latin (2021 and informal phone spelling) and
# Russian transliteration; it only has to make the same word look the same, not be pretty.
_TRANSLIT = [
    ("shch", "щ"), ("sch", "щ"), ("sh", "ш"), ("ch", "ч"), ("zh", "ж"), ("kh", "х"),
    ("gh", "г"), ("ya", "я"), ("yu", "ю"), ("yo", "е"),
    ("a", "а"), ("b", "б"), ("c", "с"), ("d", "д"), ("e", "е"), ("f", "ф"), ("g", "г"),
    ("h", "х"), ("i", "и"), ("j", "ж"), ("k", "к"), ("l", "л"), ("m", "м"), ("n", "н"),
    ("o", "о"), ("p", "п"), ("q", "к"), ("r", "р"), ("s", "с"), ("t", "т"), ("u", "у"),
    ("v", "в"), ("w", "у"), ("x", "х"), ("y", "ы"), ("z", "з"),
    ("ä", "а"), ("á", "а"), ("ö", "о"), ("ó", "о"), ("ü", "у"), ("ú", "у"), ("ū", "у"),
    ("ý", "у"), ("ğ", "г"), ("ǵ", "г"), ("ş", "ш"), ("ç", "ч"), ("ñ", "н"), ("ń", "н"),
    ("ı", "ы"), ("'", ""), ("ʼ", ""), ("’", ""),
]
_TRANSLIT_RE = re.compile("|".join(re.escape(src) for src, _ in _TRANSLIT))
_TRANSLIT_MAP = dict(_TRANSLIT)

_DEFANG = [
    (re.compile(r"hxxp", re.IGNORECASE), "http"),
    (re.compile(r"\s?[\[({]\s?(?:\.|dot|точка|нүкте)\s?[\])}]\s?", re.IGNORECASE), "."),
    (re.compile(r"\[:\]|\(:\)"), ":"),
    (re.compile(r"\[/\]"), "/"),
]
_LETTER = r"[^\W\d_]"
# Three or more single letters split by one repeated separator: "к о д", "к.о.д", "п-е-р-е-в-о-д".
_SPACED = re.compile(rf"(?<!\w){_LETTER}(?P<sep>[ .\-_·*]{{1,2}}){_LETTER}(?:(?P=sep){_LETTER})+(?!\w)")
_WORD = re.compile(rf"{_LETTER}+")
_HAS_LATIN = re.compile(r"[A-Za-z]")
_LATIN_WORD = re.compile(r"[a-zäáöóüúūýğǵşçñńı'ʼ’]+")


@dataclass(frozen=True)
class Normalized:
    original: str
    text: str
    text_offsets: tuple[int, ...]
    folded: str
    folded_offsets: tuple[int, ...]

    def original_span(self, start: int, end: int, *, folded: bool = False) -> tuple[int, int]:
        """Map a [start, end) span of ``text`` (or ``folded``) back onto ``original``."""
        offsets = self.folded_offsets if folded else self.text_offsets
        if not offsets or start >= end:
            return (0, 0)
        first = offsets[min(start, len(offsets) - 1)]
        last = offsets[min(end, len(offsets)) - 1]
        return (first, last + 1)

    def quote(self, start: int, end: int, *, folded: bool = False) -> str:
        a, b = self.original_span(start, end, folded=folded)
        return self.original[a:b]


class _Chars:
    """A string under construction in which each character keeps its original index."""

    def __init__(self, chars: list[str], offsets: list[int]) -> None:
        self.chars = chars
        self.offsets = offsets

    @property
    def text(self) -> str:
        return "".join(self.chars)

    def sub(self, pattern: re.Pattern[str], repl) -> _Chars:
        """Like ``pattern.sub`` but new characters inherit the first replaced offset."""
        text = self.text
        matches = list(pattern.finditer(text))
        if not matches:
            return self
        chars: list[str] = []
        offsets: list[int] = []
        pos = 0
        for match in matches:
            chars.extend(self.chars[pos : match.start()])
            offsets.extend(self.offsets[pos : match.start()])
            new = repl(match) if callable(repl) else repl
            if new and match.end() > match.start():
                # The replacement spans the whole replaced region: its first character maps to
                # the region's start, its last to the region's end.
                first, last = self.offsets[match.start()], self.offsets[match.end() - 1]
                chars.extend(new)
                offsets.extend([first] * (len(new) - 1) + [last])
            pos = match.end()
        chars.extend(self.chars[pos:])
        offsets.extend(self.offsets[pos:])
        return _Chars(chars, offsets)

    def map_text(self, fn) -> _Chars:
        """Apply a per-character string function; when it keeps the length (the usual case)
        the offsets stay as they are and no per-character work is done."""
        text = self.text
        out = fn(text)
        if len(out) == len(text):
            return _Chars(list(out), self.offsets)
        return self.map_chars(fn)

    def map_chars(self, fn) -> _Chars:
        chars: list[str] = []
        offsets: list[int] = []
        for ch, off in zip(self.chars, self.offsets):
            out = fn(ch)
            chars.extend(out)
            offsets.extend([off] * len(out))
        return _Chars(chars, offsets)


def _clean_chars(raw: str) -> _Chars:
    """NFKC each character, drop invisible/format characters, re-attach combining marks."""
    chars: list[str] = []
    offsets: list[int] = []
    for index, ch in enumerate(raw):
        for out in unicodedata.normalize("NFKC", ch):
            cat = unicodedata.category(out)
            if cat == "Cf" or out in "\u00ad\ufeff":
                continue  # zero-width, soft hyphen, bidi controls, BOM
            if cat == "Cc" and out not in "\n\t":
                out = " "
            if cat == "Mn":
                if chars:
                    composed = unicodedata.normalize("NFC", chars[-1] + out)
                    if len(composed) == 1:
                        chars[-1] = composed
                continue
            chars.append(out)
            offsets.append(index)
    return _Chars(chars, offsets)


def _script(ch: str) -> str | None:
    if not ch.isalpha():
        return None
    name = unicodedata.name(ch, "")
    if name.startswith("LATIN"):
        return "latin"
    if name.startswith("CYRILLIC"):
        return "cyrillic"
    return None


def _fold_homoglyphs(word: str) -> str:
    """Rewrite a word that mixes Latin and Cyrillic into the script most of it is in."""
    if word.isascii() or not _HAS_LATIN.search(word):
        return word
    scripts = [_script(ch) for ch in word]
    if "latin" not in scripts or "cyrillic" not in scripts:
        return word
    # Letters that exist in one script only are the evidence; look-alikes are not.
    latin = sum(1 for ch, s in zip(word, scripts) if s == "latin" and ch not in _LAT_TO_CYR)
    cyrillic = sum(1 for ch, s in zip(word, scripts) if s == "cyrillic" and ch not in _CYR_TO_LAT)
    if latin == cyrillic:
        latin, cyrillic = scripts.count("latin"), scripts.count("cyrillic")
    table = _CYR_TO_LAT if latin > cyrillic else _LAT_TO_CYR
    return "".join(table.get(ch, ch) for ch in word)


def _join_spaced(match: re.Match[str]) -> str:
    return match.group().replace(match.group("sep"), "")


def _translit_word(match: re.Match[str]) -> str:
    return _TRANSLIT_RE.sub(lambda m: _TRANSLIT_MAP[m.group()], match.group())


def fold(text: str) -> str:
    """The folded form of already normalised text (no offsets): see the module docstring."""
    return _LATIN_WORD.sub(_translit_word, text.translate(_KK_FOLD))


def normalize(raw: str) -> Normalized:
    """Normalise one message. Never raises on any ``str`` input."""
    chars = _clean_chars(raw)
    for pattern, repl in _DEFANG:
        chars = chars.sub(pattern, repl)
    chars = chars.sub(_WORD, lambda m: _fold_homoglyphs(m.group()))
    chars = chars.sub(_SPACED, _join_spaced)
    chars = chars.map_text(lambda t: t.casefold().replace("ё", "е"))
    folded = chars.map_text(lambda t: t.translate(_KK_FOLD)).sub(_LATIN_WORD, _translit_word)
    return Normalized(
        original=raw,
        text=chars.text,
        text_offsets=tuple(chars.offsets),
        folded=folded.text,
        folded_offsets=tuple(folded.offsets),
    )
