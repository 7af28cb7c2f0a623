"""Red flags a message shows by itself: phrases from knowledge/signals.yaml, links, numbers.

Each red flag carries the span of the user's text it came from, so the answer can quote it.

A phrase is a red flag only when it is aimed at the reader. A genuine bank SMS says "никому не
сообщайте код", a police post says "мошенники просят назвать код": both contain the words of a
request, and showing them as "asks for the code" would tell a person that a real warning is a
scam. So every found phrase is checked in its sentence (``_Scope``, cue words from the `scope`
section of signals.yaml): a prohibition turns a negatable request into ``negated_request``, a
description of what fraudsters do turns it into ``reported_request`` — both signs of a warning
that the fusion learns from, never shown as red flags. The check walks a bounded number of
words around each match, so detection stays linear in the text's length.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from collections.abc import Iterator
from typing import Literal

from bot.classifier.links import LinkInspector
from bot.classifier.normalize import Normalized, normalize
from bot.classifier.numbers import find_amounts, find_cards, find_phones
from bot.knowledge.schema import KnowledgeBase, Localized, SignalScope

_GAP = "..."
# How far from a phrase the deciding word of a negation may stand, in words; crossing a comma
# costs two more ("мы никогда не звоним с просьбой назвать код из SMS" reaches "код").
WINDOW = 8
COMMA_COST = 2
MIN_NEGATIVE_STEM = 3  # "айт-паңыз" is a negative verb, "қа-мау" (arrest) is a noun
MIN_IMPERATIVE_STEM = 2
_WORDS = re.compile(r"\w+")
# A mark ends a clause (or a sentence) where a space or the end follows it: "kaspi.kz" and
# "50,5" stay whole. A line break, a dash and brackets always do.
_CLAUSE_SPLIT = re.compile(r"[,;:.!?…](?=\s|$)|[\n—–()]")
_SENTENCE_SPLIT = re.compile(r"[.!?…;](?=\s|$)|\n")
_QUOTES = re.compile('[«„»”"“]')
_OPENING_QUOTES = frozenset("«„")
_CLOSING_QUOTES = frozenset("»”")  # and '"' or '“' open or close: “ closes „…“ and opens “…”
Reading = Literal["direct", "negated", "reported"]


@dataclass(frozen=True)
class RedFlag:
    id: str
    weight: float
    title: Localized
    quote: str  # the user's own words the flag came from (links not yet defanged)
    start: int  # span in the original text
    end: int


def phrase_anchor(phrase: str) -> str:
    """The literal start of a phrase: a text without it cannot match, which is checked first."""
    return normalize(phrase).folded.split()[0].rstrip("*")


def compile_phrase(phrase: str) -> str:
    """Turn an analyst's phrase ("назовите ... код*") into a regex over the folded text."""
    tokens = normalize(phrase).folded.split()
    parts: list[str] = []
    for token in tokens:
        if token == _GAP:
            parts.append(r"(?:\W+\w+){0,4}")
            continue
        if token == "*":
            body = r"\w+"
        elif token.endswith("*"):
            body = re.escape(token[:-1]) + r"\w*"
        else:
            body = re.escape(token)
        parts.append((r"\W+" if parts else "") + body)
    if not parts or parts[0].startswith(r"(?:\W+"):
        raise ValueError(f"phrase «{phrase}» must start with a word")
    return r"(?<!\w)" + "".join(parts) + r"(?!\w)"


def _fold_word(word: str) -> str:
    return normalize(word).folded.strip()


def _cue_patterns(phrases: list[str], field: str) -> list[tuple[str, re.Pattern[str]]]:
    try:
        return [(phrase_anchor(p), re.compile(compile_phrase(p))) for p in phrases]
    except (ValueError, re.error) as exc:
        raise ValueError(f"knowledge/signals.yaml: scope.{field}: {exc}") from exc


def _word_patterns(words: frozenset[str]) -> list[tuple[str, re.Pattern[str]]]:
    """One regex (and no anchor) that finds any of ``words`` as a whole word."""
    if not words:
        return []
    alternation = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return [("", re.compile(rf"(?<!\w)(?:{alternation})(?!\w)"))]


Endings = tuple[tuple[int, frozenset[str]], ...]


def _endings(words: frozenset[str]) -> Endings:
    """Endings grouped by length: a word is checked with one set look-up per length."""
    lengths = sorted({len(w) for w in words})
    return tuple((n, frozenset(w for w in words if len(w) == n)) for n in lengths)


def _ends_with(word: str, endings: Endings, min_stem: int) -> bool:
    return any(len(word) - n >= min_stem and word[-n:] in group for n, group in endings)


class _Scope:
    """The cue words of signals.yaml's `scope`, folded once; ``read`` lays out one text."""

    def __init__(self, scope: SignalScope) -> None:
        def words(field: str) -> frozenset[str]:
            folded = frozenset(_fold_word(w) for w in getattr(scope, field))
            several = sorted(w for w in folded if _WORDS.fullmatch(w.rstrip("*")) is None)
            if several:
                raise ValueError(f"knowledge/signals.yaml: scope.{field}: write one word per entry "
                                 f"(found: {', '.join(several)}); phrases go under agents, reporting_verbs or losses")
            return folded

        self.negators = words("negators")
        self.particles = words("particles")
        exceptions = words("particle_exceptions")
        self.particle_exceptions = frozenset(w for w in exceptions if not w.endswith("*"))
        self.particle_exception_stems = tuple(w[:-1] for w in exceptions if w.endswith("*"))
        self.negative_words = words("negative_words")
        self.negative_endings = _endings(words("negative_endings"))
        self.privatives = words("privatives")
        self.privative_endings = _endings(words("privative_endings"))
        self.imperative_words = words("imperative_words")
        self.imperative_endings = _endings(words("imperative_endings"))
        self.clause_openers = words("clause_openers")
        self.coordinators = words("coordinators")
        self.subjects = words("subjects")
        self.addressee = words("addressee")
        # the cue words a text is searched for, one regex each
        self.addressee_re = _word_patterns(words("addressee"))
        self.teller_re = _word_patterns(words("teller"))
        self.quotatives_re = _word_patterns(words("quotatives"))
        self.agents = _cue_patterns(scope.agents, "agents")
        self.reporting_verbs = _cue_patterns(scope.reporting_verbs, "reporting_verbs")
        self.losses = _cue_patterns(scope.losses, "losses")
        self.idioms = _cue_patterns(scope.idioms, "idioms")

    def read(self, folded: str) -> _Layout:
        return _Layout(self, folded)

    def mood(self, word: str, previous: str) -> int:
        """+1 a request to the reader, -1 a negation, 0 neither."""
        if previous in self.particles and not (
                word in self.particle_exceptions or word.startswith(self.particle_exception_stems)):
            return -1
        if (word in self.negators or word in self.negative_words
                or _ends_with(word, self.negative_endings, MIN_NEGATIVE_STEM)):
            return -1
        if word in self.imperative_words or _ends_with(word, self.imperative_endings, MIN_IMPERATIVE_STEM):
            return 1
        return 0

    def is_privative(self, word: str) -> bool:
        return word in self.privatives or _ends_with(word, self.privative_endings, MIN_NEGATIVE_STEM)


class _Layout:
    """One folded text, read lazily: words, the clause and sentence of each (from the marks that
    split them), and the cues of `scope` found by one regex each. A word's mood (+1 a request
    to the reader, -1 a negation, 0 neither) is worked out only for the words a check visits,
    so a text costs a few regex passes plus a bounded walk around each phrase found."""

    def __init__(self, scope: _Scope, folded: str) -> None:
        self.scope = scope
        self.text = folded
        spans = [m.span() for m in _WORDS.finditer(folded)]
        self.starts = [a for a, _ in spans]
        self.ends = [b for _, b in spans]
        self._clause_marks = [m.start() for m in _CLAUSE_SPLIT.finditer(folded)]
        self._sentence_marks = [m.start() for m in _SENTENCE_SPLIT.finditer(folded)]
        self._moods: dict[int, int] = {}
        self._clauses: dict[int, int] = {}
        self._sentences: dict[int, int] = {}
        self._requesting: dict[int, bool] = {}
        self.negated_words: set[int] = set()  # words of phrases found negated so far
        # quotes: the state after each quote mark, to tell whether a word is inside «…» or "…"
        self._quote_at: list[int] = []
        self._quote_open: list[bool] = []
        inside = False
        for m in _QUOTES.finditer(folded):
            ch = m.group()
            inside = True if ch in _OPENING_QUOTES else False if ch in _CLOSING_QUOTES else not inside
            self._quote_at.append(m.start())
            self._quote_open.append(inside)
        self.quoting = {self.clause(i) for i in self._words_with(scope.quotatives_re)}
        self.addressed = {self.clause(i) for i in self._words_with(scope.addressee_re)}
        self.telling = {self.sentence(i) for i in self._words_with(scope.teller_re)}
        agents = self._words_with(scope.agents)
        verbs = self._words_with(scope.reporting_verbs)
        self.reporting = {self.clause(i) for i in agents} | {
            c for c in (self.clause(i) for i in verbs) if c not in self.addressed}
        # fraudsters named in a sentence stay its subject in the clauses after ("Алаяқтар сізге
        # қоңырау шалып, кодты айтуды сұрайды"), unless a clause turns to the reader
        self.first_agent: dict[int, int] = {}
        for i in sorted(agents, reverse=True):
            self.first_agent[self.sentence(i)] = i
        # a quoted request in a sentence that tells who says it: "Мошенники звонят: «…назовите
        # код»", "«…аударыңыз» дейді". Not a quotative alone: "«…аударыңыз» деп жазды" (wrote)
        # is a person's story of the message they got, and its flags matter.
        self.citing = {self.sentence(i) for i in agents} | {self.sentence(i) for i in verbs}
        self.amount_clauses = {self.clause(i) for i in agents} | {
            self.clause(i) for i in self._words_with(scope.losses)}

    def _words_with(self, patterns: list[tuple[str, re.Pattern[str]]]) -> set[int]:
        found: set[int] = set()
        for anchor, pattern in patterns:
            if anchor in self.text:
                found.update(self.word_at(m.start()) for m in pattern.finditer(self.text))
        return found

    def word(self, i: int) -> str:
        return self.text[self.starts[i]:self.ends[i]]

    def clause(self, i: int) -> int:
        clause = self._clauses.get(i)
        if clause is None:
            clause = self._clauses[i] = bisect_right(self._clause_marks, self.starts[i])
        return clause

    def sentence(self, i: int) -> int:
        sentence = self._sentences.get(i)
        if sentence is None:
            sentence = self._sentences[i] = bisect_right(self._sentence_marks, self.starts[i])
        return sentence

    def quoted(self, i: int) -> bool:
        k = bisect_left(self._quote_at, self.starts[i])
        return k > 0 and self._quote_open[k - 1]

    def opens_clause(self, i: int) -> bool:
        return i == 0 or self.clause(i - 1) != self.clause(i)

    def mood(self, i: int) -> int:
        if i in self.negated_words:
            return -1
        if i not in self._moods:  # "не" reaches the next word of its clause only
            previous = "" if self.opens_clause(i) else self.word(i - 1)
            self._moods[i] = self.scope.mood(self.word(i), previous)
        return self._moods[i]

    def stop(self, i: int) -> bool:
        """A word that opens a new predicate: the search for a deciding word ends at it."""
        word = self.word(i)
        return (word in self.scope.clause_openers or word in self.scope.subjects
                or (word in self.scope.coordinators and self.opens_clause(i)))

    def requesting(self, clause: int) -> bool:
        """Does the clause ask the reader for something ("переведите", "айтыңыз")?"""
        if clause not in self._requesting:
            first = bisect_left(self.starts, self._clause_marks[clause - 1]) if clause > 0 else 0
            last = (bisect_left(self.starts, self._clause_marks[clause])
                    if clause < len(self._clause_marks) else len(self.starts))
            self._requesting[clause] = any(self.mood(i) > 0 for i in range(first, last))
        return self._requesting[clause]

    def word_at(self, offset: int) -> int:
        """The index of the word at or after ``offset`` (a match starts at a word)."""
        return min(bisect_left(self.ends, offset + 1), len(self.starts) - 1)

    def words_of(self, start: int, end: int) -> range:
        first = self.word_at(start)
        return range(first, max(first + 1, bisect_right(self.starts, end - 1)))

    def reading(self, start: int, end: int, negatable: bool) -> Reading:
        """Is the phrase at [start, end) a request aimed at the reader ("direct"), one that a
        prohibition turns around ("negated"), or one that the text reports ("reported")?"""
        words = self.words_of(start, end)
        if negatable and self._negated(words):
            self.negated_words.update(words)  # "не сообщайте код из SMS, CVV или пароль": the
            return "negated"  # next one of the list is forbidden too
        sentence = self.sentence(words.start)
        if sentence in self.telling:
            return "direct"
        clauses = {self.clause(i) for i in words}
        if clauses & self.quoting or not any(self.requesting(c) for c in clauses):
            if clauses & self.reporting:
                return "reported"
            agent = self.first_agent.get(sentence)
            if agent is not None and agent < words.start and not clauses & self.addressed:
                return "reported"
        if sentence in self.citing and any(self.quoted(i) for i in words):
            return "reported"
        return "direct"

    def _negated(self, words: range) -> bool:
        """The nearest deciding word wins: inside the phrase first, then up to WINDOW words on
        either side in the same sentence (a comma costs COMMA_COST more; a new clause or subject
        ends the search). A tie, or nothing at all, leaves it a request. "Without" inside or
        right before the phrase makes a prohibition a demand ("без предоплаты не отправляем")."""
        first, last = words.start, words.stop - 1
        # the last word only: "төлем-сіз" is "without payment", "қауіпсіз шот" a "safe account"
        if self.scope.is_privative(self.word(last)) or (
                first > 0 and self.word(first - 1) in self.scope.privatives):
            return False
        inside = [mood for mood in (self.mood(i) for i in words) if mood]
        if inside:
            return min(inside) < 0
        left = self._nearest(first, -1)
        right = self._nearest(last, +1)
        nearest = min((x for x in (left, right) if x), default=None, key=lambda x: (x[0], -x[1]))
        return nearest is not None and nearest[1] < 0

    def _nearest(self, origin: int, step: int) -> tuple[int, int] | None:
        """(distance, mood) of the first deciding word from ``origin`` in direction ``step``."""
        distance = 0
        j = origin
        sentence = self.sentence(origin)
        for _ in range(WINDOW):
            j += step
            if not 0 <= j < len(self.starts) or self.sentence(j) != sentence:
                return None
            near = j + 1 if step < 0 else j - 1  # the word between j and the origin
            distance += 1 + (COMMA_COST if self.clause(j) != self.clause(near) else 0)
            if distance > WINDOW:
                return None
            # a stop word opens a new predicate: to the right it is already past the phrase's,
            # to the left it still belongs to it ("…, и не называйте код")
            if step > 0 and self.stop(j):
                return None
            mood = self.mood(j)
            if mood:
                return (distance, mood)
            if self.stop(j):
                return None
        return None

    def amount_reported(self, start: int) -> bool:
        """A sum in a clause that names fraudsters or a loss ("мошенники похитили 3 млн",
        "ущерб 500 000 тенге") is what happened, not a demand — unless it is the person's own
        story."""
        if not self.starts:
            return False
        word = self.word_at(start)
        return self.clause(word) in self.amount_clauses and self.sentence(word) not in self.telling


class SignalDetector:
    """Finds every red flag of a normalised text. Built once from the knowledge base."""

    def __init__(self, knowledge: KnowledgeBase) -> None:
        self._phrases: list[tuple[str, float, Localized, bool, list[tuple[str, re.Pattern[str]]]]] = []
        for signal in knowledge.signals.signals:
            try:
                # phrases that fold alike ("код из смс", "код из sms") are one pattern
                compiled = dict.fromkeys((phrase_anchor(p), compile_phrase(p)) for p in signal.phrases)
                patterns = [(anchor, re.compile(regex)) for anchor, regex in compiled]
            except (ValueError, re.error) as exc:
                raise ValueError(f"knowledge/signals.yaml: signal '{signal.id}': {exc}") from exc
            self._phrases.append((signal.id, signal.weight, signal.title, signal.negatable, patterns))
        self._phrases.sort(key=lambda p: p[1] >= 0)  # warnings first: they veto what they overlap
        self._scope = _Scope(knowledge.signals.scope)
        self._structural = knowledge.signals.structural
        self.links = LinkInspector(knowledge.links)

    def detect(self, norm: Normalized) -> list[RedFlag]:
        flags: list[RedFlag] = []
        folded = norm.folded
        layout: _Layout | None = None  # read only when a phrase or a sum needs it
        # Warnings first: a request that sits inside a warning ("кодты ешкімге айтпаңыз",
        # "никому не сообщайте код") is the warning, not the request; nor is one inside a set
        # expression ("Назар аударыңыз!": attention!).
        vetoes: list[tuple[int, int]] = [m.span() for m in self._matches(self._scope.idioms, folded, [])]
        # the first prohibited and the first reported request: signs of a warning, for the fusion
        turned: dict[str, tuple[int, int]] = {}
        for sid, weight, title, negatable, patterns in self._phrases:
            if weight < 0:
                match = next(self._matches(patterns, folded, []), None)
                if match is not None:
                    vetoes.append(match.span())
                    flags.append(self._phrase_flag(sid, weight, title, norm, match.span()))
                continue
            for match in self._matches(patterns, folded, vetoes):
                layout = layout or self._scope.read(folded)
                reading = layout.reading(match.start(), match.end(), negatable)
                if reading == "direct":
                    flags.append(self._phrase_flag(sid, weight, title, norm, match.span()))
                    break
                turned.setdefault(f"{reading}_request", match.span())
        links = self.links.find(norm)
        for flag_id in ("link_at_trick", "link_lookalike", "link_punycode", "link_ip_host",
                        "link_shortener", "link_risky_tld", "link_official"):
            hit = next((link for link in links if flag_id in link.flags), None)
            if hit:
                flags.append(self._structural_flag(flag_id, norm, hit.start, hit.end))
        if links and not any(f.id.startswith("link_") for f in flags):
            flags.append(self._structural_flag("link", norm, links[0].start, links[0].end))
        found = [*find_phones(norm.text), *find_cards(norm.text), *find_amounts(norm.text)]
        for kind in ("card_number", "phone_ru_mobile", "phone_foreign", "phone_kz"):
            hit = next((f for f in found if f.kind == kind), None)
            if hit:
                flags.append(self._structural_flag(kind, norm, hit.start, hit.end))
        # a sum counts where it is asked for, not where a loss or a scheme is told about
        for hit in (f for f in found if f.kind == "money_amount"):
            span = self._folded_span(norm, hit.start, hit.end)
            layout = layout or self._scope.read(folded)
            if not layout.amount_reported(span[0]):
                flags.append(self._structural_flag("money_amount", norm, hit.start, hit.end))
                break
            turned.setdefault("reported_request", span)
        for flag_id, (start, end) in turned.items():
            a, b = norm.original_span(start, end, folded=True)
            spec = self._structural[flag_id]
            flags.append(RedFlag(flag_id, spec.weight, spec.title, norm.original[a:b], a, b))
        return flags

    @staticmethod
    def _matches(patterns: list[tuple[str, re.Pattern[str]]], text: str,
                 vetoes: list[tuple[int, int]]) -> Iterator[re.Match[str]]:
        """Every match of the signal's phrases that no warning overlaps, phrase by phrase."""
        for anchor, pattern in patterns:
            if anchor not in text:
                continue
            for match in pattern.finditer(text):
                if not any(a < match.end() and match.start() < b for a, b in vetoes):
                    yield match

    @staticmethod
    def _phrase_flag(sid: str, weight: float, title: Localized, norm: Normalized,
                     span: tuple[int, int]) -> RedFlag:
        start, end = norm.original_span(*span, folded=True)
        return RedFlag(sid, weight, title, norm.original[start:end], start, end)

    @staticmethod
    def _folded_span(norm: Normalized, start: int, end: int) -> tuple[int, int]:
        """A span of ``norm.text`` as a span of ``norm.folded`` (both map onto the original)."""
        a, b = norm.original_span(start, end)
        return bisect_left(norm.folded_offsets, a), bisect_left(norm.folded_offsets, b)

    def _structural_flag(self, flag_id: str, norm: Normalized, start: int, end: int) -> RedFlag:
        spec = self._structural[flag_id]
        a, b = norm.original_span(start, end)
        return RedFlag(flag_id, spec.weight, spec.title, norm.original[a:b], a, b)
