"""Text normalisation that undoes the tricks fraudsters use to slip past filters.

Two forms come out of one message:

* ``Normalized.text`` — NFKC, invisible characters removed, Latin/Cyrillic homoglyphs folded
  inside words ("Kаspi" → "kaspi"), letter-by-letter words joined ("к о д" → "код"), defanged
  links restored ("kaspi[.]kz" → "kaspi.kz"), case folded. Language detection, link and
  number detection read this form.
* ``Normalized.folded`` — ``text`` in one spelling where Kazakh meets itself whatever script
  it was typed in: Cyrillic, Cyrillic without its letters, the 2017, 2018 and 2021 Latin
  alphabets, informal Latin ("Ақшаны", "Акшаны", "Aqs'any", "Aqshany", "Aqşany" → "акшани"),
  and Russian transliteration meets Russian ("den'gi" → "денги" ← "деньги"). Sound-alike
  letters are merged (the comment above ``_FOLD_TABLE`` says which), so it is for matching
  only. Phrase signals and the lexical encoder read this form.

Every character of both forms remembers the index of the original character it came from,
so a red flag can quote the user's own words back to them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_CYR_TO_LAT = dict(zip("аеікмнорстуухјѕһԛԝАВЕІКМНОРСТУХҺ", "aeikmhopctyyxjshqwABEIKMHOPCTYXH"))
_LAT_TO_CYR = dict(zip("aceikmopxyABCEHIKMOPTXY", "асеікморхуАВСЕНІКМОРТХУ"))

# The folded form: Kazakh in every script it is written in, and Russian, meet in one spelling.
#
# People write the same Kazakh sentence in Cyrillic, in Cyrillic with Russian look-alikes
# ("сизге" for "сізге"), in the official Latin alphabets of 2017 (apostrophes: "sa'lem", "y'"
# for у), 2018 (acutes: "sálem", "aqsha", "ý" for у) and 2021 (diacritics: "sälem", "aqşa"), and
# in informal Latin ("salem", "aksha", "sizge"). Those spellings disagree on the letters that
# sound alike, so the folded form merges them: ә→а, ғ→г, қ→к, ң→н, ө→о, ұ/ү/у→у, һ/х→х, and the
# four i-like letters і/и/ы/й→и (2018 writes і "i", ы "y", и/й "ı" or "í"; 2021 writes і "ı",
# ы "y", и/й "i"; informal Latin uses "i" and "y" for any of them: only merging them lets every
# spelling meet). я/ю become "иа"/"иу" (what "ya"/"ia"/"ıa" spell), ц and щ become "тс" and
# "шч" ("ts", "shch"), э becomes е, ь/ъ and apostrophes vanish ("den'gi" meets "деньги"), and
# н+г before a word end or "из" loses its г ("qalaisyng", "tolengiz", "маркетинг": informal Latin
# writes ң as "ng", and both sides lose the г alike; "ng" for ң before other vowels, "zhanga" for
# "жаңа", stays apart, since "тенге" and "dengi" must keep theirs). Russian folds by the same
# rules on both sides of every comparison, so it still meets itself. Only matching reads this
# form: quotes come from the original text through the offsets.
_FOLD_TABLE = str.maketrans(
    "әғқңөұүһіыйэ" "abcdefghijklmnopqrstuvwxyz" "äáàâəöóôüúūûýğǵşçñńŋıíìîïéèê",
    "агкноуухииие" "абсдефгхижклмнопкрстувухиз" "аааааоооуууууггшчннниииииеее",
)
# Latin letter groups that stand for one Cyrillic letter (and "ye" at a word's start: е).
_LATIN_GROUPS = {"sch": "шч", "sh": "ш", "ch": "ч", "zh": "ж", "kh": "х", "gh": "г"}
_LATIN_GROUP_RE = re.compile(r"sch|sh|ch|zh|kh|gh|\bye")
# The 2017 alphabet marks a letter with an apostrophe where 2018 puts an acute: a' ә, g' ғ, n' ң,
# o' ө, u' ү, y' у, i' и/й, and s' ш, c' ч. Only y', s' and c' fold differently from the letter
# alone, and only in a 2017 text: anywhere else an apostrophe is dropped ("den'gi", "y'all").
_APOSTROPHES = "'’ʼ‘`"
_KK2017 = {"y": "у", "s": "ш", "c": "ч"}
_KK2017_RE = re.compile(f"[ysc][{_APOSTROPHES}]")
# "y'" inside a word is у in any text: neither Russian transliteration (ы is never followed by
# a soft sign) nor English ("y'all", "they're") has it there.
_Y_APOSTROPHE_RE = re.compile(rf"(?<=[^\W\d_])y[{_APOSTROPHES}](?=[^\W\d_])(?!re\b)")
# A 2017 text shows a vowel (or g, c) with an apostrophe after it, which is not an English
# contraction ("I'm", "Kaspi's"): Russian transliteration puts its soft-sign apostrophe after
# consonants only ("den'gi"), so its "s'" and "n'" only count next to such a vowel.
_KK2017_VOWEL_MARK = re.compile(rf"(?:[aougc]|(?<=[^\W\d_])[iy])[{_APOSTROPHES}](?!(?:s|t|m|d|re|ll|ve)\b)(?![\d_])")
_KK2017_CONSONANT_MARK = re.compile(rf"(?<=[^\W\d_])[sn][{_APOSTROPHES}](?![\d_])")
_EXPAND = {"я": "иа", "ю": "иу", "ц": "тс", "щ": "шч", "ь": "", "ъ": ""} | {a: "" for a in _APOSTROPHES}
_EXPAND_RE = re.compile(f"[{''.join(_EXPAND)}]")
_NG_RE = re.compile(r"(?<=н)г(?=из|\b)")

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
_HAS_CYRILLIC = re.compile(r"[\u0400-\u052f\u1c80-\u1c8f\u2de0-\u2dff\ua640-\ua69f]")


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
            new = repl(match) if callable(repl) else repl
            if new == match.group():
                continue  # unchanged: copied with the text around it
            chars.extend(self.chars[pos : match.start()])
            offsets.extend(self.offsets[pos : match.start()])
            if len(new) == match.end() - match.start():
                # Letter for letter (a homoglyph folded, a word kept as it was): each keeps its own.
                chars.extend(new)
                offsets.extend(self.offsets[match.start() : match.end()])
            elif new and match.end() > match.start():
                # The replacement spans the whole replaced region: its first character maps to
                # the region's start, its last to the region's end.
                first, last = self.offsets[match.start()], self.offsets[match.end() - 1]
                chars.extend(new)
                offsets.extend([first] * (len(new) - 1) + [last])
            pos = match.end()
        chars.extend(self.chars[pos:])
        offsets.extend(self.offsets[pos:])
        return _Chars(chars, offsets)

    def replace(self, pattern: re.Pattern[str], repl) -> _Chars:
        """Like ``sub`` for the folding rules, which replace a letter group with one letter: that
        letter keeps the group's first offset ("sh" → "ш" quotes from the "s"), unless the group
        ends its word, where it keeps the last (so a quote ending there keeps the whole word); a
        letter dropped at a word's end hands its offset to the letter before it."""
        text = self.text
        matches = list(pattern.finditer(text))
        if not matches:
            return self
        chars: list[str] = []
        offsets: list[int] = []
        pos = 0
        for match in matches:
            start, end = match.span()
            chars.extend(self.chars[pos:start])
            offsets.extend(self.offsets[pos:start])
            new = repl(match)
            if len(new) == end - start:
                chars.extend(new)
                offsets.extend(self.offsets[start:end])
            elif new and end > start:
                first, last = self.offsets[start], self.offsets[end - 1]
                if len(new) == 1:
                    at_word_end = end == len(text) or not text[end].isalpha()
                    offsets.append(last if at_word_end else first)
                else:
                    offsets.extend([first] * (len(new) - 1) + [last])
                chars.extend(new)
            elif not new and offsets and start > 0 and text[start - 1].isalpha() and (
                    end == len(text) or not text[end].isalpha()):
                offsets[-1] = self.offsets[end - 1]  # a dropped word end ("ng", "n'"): still quoted
            pos = end
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


def is_kazakh_2017(text: str) -> bool:
    """Whether a (case-folded) text is written in the 2017 apostrophe alphabet: two letters marked
    with an apostrophe where neither Russian transliteration nor English puts one, or one such
    letter next to an "s'"/"n'" (ш/ң)."""
    vowels = len(_KK2017_VOWEL_MARK.findall(text))
    return vowels >= 2 or (vowels >= 1 and _KK2017_CONSONANT_MARK.search(text) is not None)


def _fold_chars(chars: _Chars, kk2017: bool | None = None) -> _Chars:
    """The folded form of normalised text, offsets kept: see the comment above ``_FOLD_TABLE``."""
    text = chars.text
    if kk2017 is None:
        kk2017 = is_kazakh_2017(text)
    if kk2017:
        chars = chars.replace(_KK2017_RE, lambda m: _KK2017[m.group()[0]])
    else:
        chars = chars.replace(_Y_APOSTROPHE_RE, lambda m: "у")
    chars = chars.replace(_LATIN_GROUP_RE, lambda m: _LATIN_GROUPS.get(m.group(), "е"))
    chars = chars.map_text(lambda t: t.translate(_FOLD_TABLE))
    chars = chars.replace(_EXPAND_RE, lambda m: _EXPAND[m.group()])
    return chars.replace(_NG_RE, lambda m: "")


def fold(text: str, kk2017: bool | None = None) -> str:
    """The folded form of already normalised text (no offsets). ``kk2017`` says whether the text
    is in the 2017 apostrophe alphabet (None: tell from the text itself); a single word cut out of
    a longer text should be folded with the text's answer."""
    return _fold_chars(_Chars(list(text), list(range(len(text)))), kk2017).text


def normalize(raw: str) -> Normalized:
    """Normalise one message. Never raises on any ``str`` input."""
    chars = _clean_chars(raw)
    for pattern, repl in _DEFANG:
        chars = chars.sub(pattern, repl)
    if _HAS_LATIN.search(chars.text) and _HAS_CYRILLIC.search(chars.text):  # else no word mixes them
        chars = chars.sub(_WORD, lambda m: _fold_homoglyphs(m.group()))
    chars = chars.sub(_SPACED, _join_spaced)
    # "İ" (a capital of the 2021 alphabet) casefolds to "i" plus a combining dot: drop the dot.
    chars = chars.map_text(lambda t: t.casefold().replace("ё", "е").replace("\u0307", ""))
    folded = _fold_chars(chars)
    return Normalized(
        original=raw,
        text=chars.text,
        text_offsets=tuple(chars.offsets),
        folded=folded.text,
        folded_offsets=tuple(folded.offsets),
    )
