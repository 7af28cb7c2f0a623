"""Pydantic models of the files in knowledge/.

The models are strict (unknown fields are errors) so that a typo in a field name made by an
analyst is caught at load time instead of silently dropping a text.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable
from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

Lang = Literal["kk", "ru"]
ExampleLang = Literal["kk", "ru", "mixed", "kk_latn"]
BENIGN = "benign"
# Texts *about* fraud (police prevention posts, bank warnings, news about a scheme): not fraud,
# but close to it in every word, so the classifier learns them as a negative kind of their own.
FRAUD_WARNING = "fraud_warning"
NOT_FRAUD = (BENIGN, FRAUD_WARNING)
# An officer's label for a genuine text (knowledge/reviewed/not_fraud.yaml): the knowledge
# base's own `benign`. The officers' other labels are a scheme id and `fraud_warning`.
NOT_FRAUD_LABEL = "not_fraud"
# The language a reviewed text was detected in when it was checked: "other" too.
ReviewedLang = Literal["kk", "ru", "mixed", "kk_latn", "other"]


class KnowledgeError(ValueError):
    """The knowledge base is invalid. The message says where and how to fix it."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Localized(Strict):
    """One user-facing text in both languages the bot speaks."""

    kk: str = Field(min_length=1)
    ru: str = Field(min_length=1)

    def get(self, lang: Lang) -> str:
        return self.kk if lang == "kk" else self.ru


class LocalizedList(Strict):
    kk: list[str] = Field(min_length=1)
    ru: list[str] = Field(min_length=1)

    def get(self, lang: Lang) -> list[str]:
        return self.kk if lang == "kk" else self.ru


class Example(Strict):
    text: str = Field(min_length=1)
    lang: ExampleLang
    kind: Literal["message", "situation"]


class Step(Localized):
    """One step of a scheme's advice. ``channel`` (an id from knowledge/channels.yaml) marks a
    step that fits only a message that came that way: "hang up" answers a call, not an SMS."""

    channel: str | None = None


class Scheme(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: Localized
    # A name for a button half a phone's width wide (the officers' /review labels, two to a row).
    short_title: Localized | None = None
    summary: Localized
    how_it_works: Localized
    red_flags: list[Localized] = Field(min_length=3, max_length=6)
    what_to_do: list[Step] = Field(min_length=2, max_length=6)
    report_via: list[str] = Field(min_length=1)
    examples: list[Example] = Field(min_length=30)

    @model_validator(mode="after")
    def _enough_of_each_language(self) -> Scheme:
        for lang in ("kk", "ru"):
            count = sum(1 for e in self.examples if e.lang == lang)
            if count < 12:
                raise ValueError(f"needs at least 12 '{lang}' examples, has {count}")
        return self

    @field_validator("short_title")
    @classmethod
    def _short_enough(cls, value: Localized | None) -> Localized | None:
        return None if value is None else _plain(value, SHORT_TITLE_LIMIT)


class ReviewedText(Example):
    """A text an officer labelled (knowledge/reviewed/<label>.yaml, written by
    `python -m bot export-reviewed`): what a user sent, redacted. Always a message: it is what
    someone forwarded to the bot; its language is the one detected then."""

    lang: ReviewedLang  # type: ignore[assignment]  # wider than a written example's: "other" too
    kind: Literal["message"] = "message"


class ReviewedFile(Strict):
    examples: list[ReviewedText] = Field(min_length=1)


class BenignFile(Strict):
    examples: list[Example] = Field(min_length=1)


class WarningExample(Example):
    """A genuine warning about fraud; ``warns_about`` names the scheme it describes, if one."""

    warns_about: str | None = None


class WarningsFile(Strict):
    examples: list[WarningExample] = Field(min_length=1)


# What a text sent to the bot *is*, before any fraud check (issue 12: "intent first"). The
# examples live in knowledge/intents/, one file or more per intent; bot/classifier/intents.py
# learns from them.
IntentId = Literal["message", "story", "paid", "question", "followup", "greeting", "other"]
INTENTS: tuple[str, ...] = ("message", "story", "paid", "question", "followup", "greeting", "other")
PaidKind = Literal["money", "code", "app", "card"]
SocialKind = Literal["hello", "thanks", "emoji"]
MIN_INTENT_EXAMPLES = 40  # per intent, in each of kk and ru


class IntentExample(Strict):
    """One text a person might send. ``paid`` says what was given away (paid examples only),
    ``social`` which courtesy it is (greeting examples only). A follow-up only means something
    after a verdict, so it names that verdict (``previous``: a scheme id or "benign") and what
    the same words are when nothing was said before (``alone``: a question, other, or a story:
    "he asked for the code but I did not tell" after a verdict answers it, and alone tells one)."""

    text: str = Field(min_length=1)
    lang: ExampleLang
    paid: PaidKind | None = None
    social: SocialKind | None = None
    previous: str | None = None
    alone: Literal["question", "other", "story"] | None = None


class IntentFile(Strict):
    intent: IntentId
    examples: list[IntentExample] = Field(min_length=1)

    @model_validator(mode="after")
    def _fields_fit_the_intent(self) -> IntentFile:
        for number, ex in enumerate(self.examples):
            where = f"examples.{number} («{ex.text[:40]}»)"
            if (ex.paid is None) == (self.intent == "paid"):
                raise ValueError(f"{where}: `paid` (money, code, app or card) goes on every paid example and nowhere else")
            if (ex.social is None) == (self.intent == "greeting"):
                raise ValueError(f"{where}: `social` (hello, thanks or emoji) goes on every greeting example and nowhere else")
            is_followup = self.intent == "followup"
            if (ex.previous is None or ex.alone is None) == is_followup:
                raise ValueError(
                    f"{where}: `previous` (the scheme id of the verdict it answers, or benign) and `alone` "
                    "(question, other or story) go on every followup example and nowhere else"
                )
        return self


class Source(Strict):
    url: str
    date: dt.date | None = None


class Contact(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    confidence: Literal["verified", "likely", "unverified", "advice"]
    number: str | None = None
    text: Localized
    sources: list[Source]

    @property
    def showable(self) -> bool:
        """Only verified facts and general advice (which states no fact) reach users."""
        return self.confidence in ("verified", "advice")

    @model_validator(mode="after")
    def _facts_have_sources(self) -> Contact:
        if self.confidence == "verified" and not self.sources:
            raise ValueError("a verified contact needs at least one source")
        if self.confidence == "advice" and self.number:
            raise ValueError("advice must not carry a number: mark it verified, with a source")
        return self


class ContactsFile(Strict):
    contacts: list[Contact] = Field(min_length=1)


class PhraseSignal(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    weight: float
    title: Localized
    phrases: list[str] = Field(min_length=1)
    # A request that a prohibition can turn around ("никому не сообщайте код", "кодты
    # айтпаңыз"): checked against `scope` before it counts (bot/classifier/signals.py).
    negatable: bool = False


class SignalScope(Strict):
    """Cue words that decide whether a request found in a text is aimed at the reader: a
    prohibition ("never tell the code") and a description of what fraudsters do ("мошенники
    просят…") are not requests. Single words, written as people write them; `agents`,
    `reporting_verbs` and `losses` are phrases in the same syntax as a signal's."""

    negators: list[str] = Field(min_length=1)  # each counts as a negation where it stands
    particles: list[str] = Field(min_length=1)  # negate the next word ("не называйте")
    particle_exceptions: list[str] = []  # ...unless it is one of these ("не істеймін": what)
    negative_endings: list[str] = Field(min_length=1)  # Kazakh negative verb forms ("-маңыз")
    negative_words: list[str] = []  # negative forms too short for an ending ("айтпа")
    privatives: list[str] = []  # "without": a prohibition with it is a demand ("без предоплаты не…")
    privative_endings: list[str] = []  # the Kazakh "-сыз/-сіз" ("төлемсіз")
    imperative_endings: list[str] = Field(min_length=1)  # a request to the reader ("-ите", "-ңыз")
    imperative_words: list[str] = []  # requests no ending finds ("скажи", "назови")
    clause_openers: list[str] = []  # end the search for a negation ("а", "но", "енді")
    coordinators: list[str] = []  # ...when they follow a comma ("и", "және")
    subjects: list[str] = []  # a new subject ends it too ("я", "ол")
    agents: list[str] = Field(min_length=1)  # fraudsters as the actor ("мошенники", "алаяқтар")
    reporting_verbs: list[str] = Field(min_length=1)  # a warning's verb ("предупреждает", "ескертеді")
    addressee: list[str] = Field(min_length=1)  # the reader addressed ("вам", "сізге")
    teller: list[str] = []  # a person's own story ("мне", "маған"): it keeps its flags
    quotatives: list[str] = []  # quoted speech ("деп", "говорят"): a quoted request stays reported
    losses: list[str] = []  # a reported loss ("ущерб", "зиян"): its sum is not a request
    idioms: list[str] = []  # set expressions that only look like a request ("назар аударыңыз")


class StructuralSignal(Strict):
    weight: float
    title: Localized


STRUCTURAL_SIGNALS = (
    "link",
    "link_official",
    "link_lookalike",
    "link_shortener",
    "link_risky_tld",
    "link_ip_host",
    "link_punycode",
    "link_at_trick",
    "phone_kz",
    "phone_ru_mobile",
    "phone_foreign",
    "card_number",
    "money_amount",
    "negated_request",  # a request a prohibition turns around: evidence of a genuine warning
    "reported_request",  # a request described as what fraudsters do: evidence of a warning or news
)


class SignalsFile(Strict):
    signals: list[PhraseSignal]
    scope: SignalScope
    structural: dict[str, StructuralSignal]

    @field_validator("structural")
    @classmethod
    def _all_structural_known(cls, value: dict[str, StructuralSignal]) -> dict[str, StructuralSignal]:
        missing = sorted(set(STRUCTURAL_SIGNALS) - set(value))
        unknown = sorted(set(value) - set(STRUCTURAL_SIGNALS))
        if missing:
            raise ValueError(f"missing structural signals: {', '.join(missing)}")
        if unknown:
            raise ValueError(f"unknown structural signals: {', '.join(unknown)} (known: {', '.join(STRUCTURAL_SIGNALS)})")
        return value


class LinksFile(Strict):
    official: list[str] = Field(min_length=1)
    broadcast_allowed: list[str] = Field(min_length=1)
    brands: list[str]
    shorteners: list[str]
    risky_tlds: list[str]
    # Telegram accounts ("@name", t.me/name, tg://resolve?domain=name) and phone numbers a
    # police alert may carry. Empty unless verified: a phone number must be the number of a
    # verified contact in knowledge/contacts.yaml (the loader checks it).
    broadcast_telegram: list[str] = []
    broadcast_phones: list[str] = []

    @field_validator("official", "broadcast_allowed", "shorteners")
    @classmethod
    def _plain_hosts(cls, value: list[str]) -> list[str]:
        for host in value:
            if host != host.lower().strip() or "/" in host or "." not in host:
                raise ValueError(f"'{host}' is not a plain lower-case host name like 'egov.kz'")
        return value

    @field_validator("broadcast_telegram")
    @classmethod
    def _telegram_names(cls, value: list[str]) -> list[str]:
        for name in value:
            if not re.fullmatch(r"[a-z][a-z0-9_]{3,31}", name):
                raise ValueError(f"'{name}' is not a Telegram username: write it lower-case without '@', like 'egov_kz_bot'")
        return value


class Channel(Strict):
    """How a message reached the person (knowledge/channels.yaml): the cues that tell it, and
    the first steps and contacts that fit it."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: Localized  # "a call", shown in "why I think so"
    cues: LocalizedList  # phrases in the syntax of knowledge/signals.yaml ("звонил*", "не кладите трубку")
    link_cue: bool = False  # a link in the text (not an official one) counts as a cue of this channel
    steps: list[Localized] = Field(min_length=1, max_length=3)  # before the scheme's own steps
    contacts: list[str] = []  # before the scheme's own contacts


class ChannelsFile(Strict):
    channels: list[Channel] = Field(min_length=1)


class RiskTexts(Strict):
    high: Localized
    medium: Localized
    low: Localized
    none: Localized


class RepliesFile(Strict):
    risk: RiskTexts
    scheme_line: Localized
    ambiguous_line: Localized
    flags_heading: Localized
    todo_heading: Localized
    report_heading: Localized
    calm_advice: LocalizedList
    empty_input: Localized
    # a genuine warning *about* fraud (police, bank, news): never a red banner
    fraud_warning: Localized
    warning_about: Localized  # {title}: the scheme the warning describes
    warning_advice: LocalizedList
    # "I can't tell": no risk signal, but nothing like what the bot knows either
    unsure: Localized
    how_to_check_heading: Localized
    how_to_check: LocalizedList
    # the details a button under a scam's short answer opens
    why_heading: Localized
    found_heading: Localized  # what this message shows
    signs_heading: Localized  # how the scheme is recognised
    channel_line: Localized  # {channel}: how the message reached the person
    # words that name the bank's own number in a step: a short answer names each contact once
    bank_mentions: LocalizedList
    # why a verdict is hedged, one line per reason the classifier gives
    why: dict[Literal["two_schemes_close", "unlike_known_examples", "no_risk_signal", "reviewed_by_officer"], Localized]

    @field_validator("why")
    @classmethod
    def _every_reason(cls, value: dict[str, Localized]) -> dict[str, Localized]:
        missing = {"two_schemes_close", "unlike_known_examples", "no_risk_signal", "reviewed_by_officer"} - set(value)
        if missing:
            raise ValueError(f"add a kk/ru line for each reason: missing {', '.join(sorted(missing))}")
        return value


# --- help.yaml: what to do after paying a fraudster, and the FAQ ---------------------------

BUTTON_LIMIT = 32
SHORT_TITLE_LIMIT = 20  # a half-width inline button on a 412-px phone shows about 20 characters
ANSWER_LIMIT = 900
# Help texts go to Telegram as plain text: markup would show as stray characters.
_MARKUP = (
    (re.compile(r"</?[A-Za-z!][^>]*>"), "an HTML tag"),
    (re.compile(r"&[A-Za-z]+;|&#\d+;"), "an HTML entity"),
    (re.compile(r"\*\*|__|`|~~"), "Markdown emphasis (**, __, `, ~~)"),
    (re.compile(r"\[[^\]]*\]\([^)]*\)"), "a Markdown link [text](url)"),
    (re.compile(r"^\s*#", re.MULTILINE), "a Markdown heading (#)"),
    (re.compile(r"^\s*[-*+] ", re.MULTILINE), "a '-' or '*' list item (start a list item with '• ')"),
)


def _plain_steps(steps: list[Localized], limit: int) -> list[Localized]:
    """Each step a short plain line (see `_plain`); an error names the step's number."""
    for number, step in enumerate(steps):
        try:
            _plain(step, limit)
        except ValueError as exc:
            raise ValueError(f"step {number}: {exc}") from None
    return steps


def _plain(value: Localized, limit: int, *, multiline: bool = False) -> Localized:
    """A short plain-text Localized: no markup, at most `limit` characters, one line unless multiline."""
    for lang in ("kk", "ru"):
        text = value.get(lang)  # type: ignore[arg-type]
        if text != text.strip():
            raise ValueError(
                f"{lang}: remove the spaces or line breaks at the start or the end "
                "(for a text on several lines write `|-`, not `|`)"
            )
        if len(text) > limit:
            raise ValueError(f"{lang}: {len(text)} characters, at most {limit} allowed: shorten it")
        if not multiline and "\n" in text:
            raise ValueError(f"{lang}: must be one line, without line breaks")
        for pattern, what in _MARKUP:
            if pattern.search(text):
                raise ValueError(f"{lang}: plain text only, remove {what}")
    return value


class FaqEntry(Strict):
    """One question of the help menu: a button, the question and a short plain answer."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    button: Localized
    question: Localized
    answer: Localized
    contacts: list[str] = []
    asked_as: LocalizedList | None = None  # short phrases people type for this question ("куда звонить")

    @field_validator("button")
    @classmethod
    def _short_button(cls, value: Localized) -> Localized:
        return _plain(value, BUTTON_LIMIT)

    @field_validator("question")
    @classmethod
    def _short_question(cls, value: Localized) -> Localized:
        return _plain(value, 200)

    @field_validator("answer")
    @classmethod
    def _short_answer(cls, value: Localized) -> Localized:
        return _plain(value, ANSWER_LIMIT, multiline=True)


class AlreadyPaid(Strict):
    """The urgent steps for someone who has already sent money or told a code."""

    title: Localized
    steps: list[Localized] = Field(min_length=5, max_length=8)
    contacts: list[str] = Field(min_length=1)
    reassurance: Localized

    @field_validator("title")
    @classmethod
    def _short_title(cls, value: Localized) -> Localized:
        return _plain(value, 100)

    @field_validator("steps")
    @classmethod
    def _short_steps(cls, value: list[Localized]) -> list[Localized]:
        return _plain_steps(value, 300)

    @field_validator("reassurance")
    @classmethod
    def _short_reassurance(cls, value: Localized) -> Localized:
        return _plain(value, 300)


# What a person may already have given away; the same kinds as the intent reader's `paid`.
PaidPathKind = Literal["money", "code", "app", "card"]
PAID_PATH_KINDS: tuple[str, ...] = ("money", "code", "app", "card")


class PaidPath(Strict):
    """The urgent path for one thing already given away: the calls first (contacts), then the
    steps that are not calls. Short: it is the whole answer and must fit a phone screen."""

    title: Localized
    contacts: list[str] = Field(min_length=1)
    steps: list[Localized] = Field(min_length=1, max_length=4)
    reassurance: Localized | None = None

    @field_validator("title")
    @classmethod
    def _short_title(cls, value: Localized) -> Localized:
        return _plain(value, 100)

    @field_validator("steps")
    @classmethod
    def _short_steps(cls, value: list[Localized]) -> list[Localized]:
        return _plain_steps(value, 200)

    @field_validator("reassurance")
    @classmethod
    def _short_reassurance(cls, value: Localized | None) -> Localized | None:
        return value if value is None else _plain(value, 200)


class HelpFile(Strict):
    already_paid: AlreadyPaid
    paid_by_kind: dict[PaidPathKind, PaidPath]

    @field_validator("paid_by_kind")
    @classmethod
    def _every_kind(cls, value: dict[str, PaidPath]) -> dict[str, PaidPath]:
        missing = [kind for kind in PAID_PATH_KINDS if kind not in value]
        if missing:
            raise ValueError(f"add the urgent path for: {', '.join(missing)} (each of {', '.join(PAID_PATH_KINDS)})")
        return value
    faq: list[FaqEntry] = Field(min_length=5)

    @field_validator("faq")
    @classmethod
    def _unique_ids(cls, value: list[FaqEntry]) -> list[FaqEntry]:
        seen: set[str] = set()
        for entry in value:
            if entry.id in seen:
                raise ValueError(f"the id '{entry.id}' is used twice; every question needs its own id")
            seen.add(entry.id)
        return value


# --- conversation.yaml: what the bot says around its verdicts -------------------------------

def _line(value: Localized) -> Localized:
    return _plain(value, 200)


def _block(value: Localized) -> Localized:
    return _plain(value, 400, multiline=True)


Line = Annotated[Localized, AfterValidator(_line)]
Block = Annotated[Localized, AfterValidator(_block)]


class SocialTexts(Strict):
    hello: Line
    thanks: Line
    emoji: Line


class NotYetTexts(Strict):
    """"I have not told him the code yet": cues that say "not yet", and what the bot says for
    each thing not given away (`none`: the text does not say what)."""

    cues: LocalizedList
    said: dict[Literal["money", "code", "app", "card", "none"], Line]

    @field_validator("said")
    @classmethod
    def _every_thing(cls, value: dict[str, Localized]) -> dict[str, Localized]:
        missing = [k for k in (*PAID_PATH_KINDS, "none") if k not in value]
        if missing:
            raise ValueError(f"add a line for: {', '.join(missing)}")
        return value


class AgainTexts(Strict):
    """"What if he calls again?": cues, and the line before the scheme's own advice."""

    cues: LocalizedList
    intro: Line
    contacts: list[str] = []  # ways to stop the sender, shown when the scheme reports through them


class FollowupTexts(Strict):
    heading: Line  # {title}: the scheme of the last verdict
    now: Line  # before the scheme's steps: "what to do now"
    not_yet: NotYetTexts
    again: AgainTexts
    benign: Line  # after a verdict that saw no fraud, before "how to check it yourself"


class ConversationFile(Strict):
    """knowledge/conversation.yaml: greetings, thanks, "I don't understand", a question without
    a FAQ answer, and follow-ups to the last verdict. Plain text, short."""

    can_do: Block  # what the bot can do, a few bullet lines
    can_do_short: Line
    social: SocialTexts
    not_understood: Line
    no_faq: Line
    more_paid: Line
    objects: dict[PaidPathKind, LocalizedList]  # words that name what was (not) given away
    followup: FollowupTexts

    @field_validator("objects")
    @classmethod
    def _every_object(cls, value: dict[str, LocalizedList]) -> dict[str, LocalizedList]:
        missing = [kind for kind in PAID_PATH_KINDS if kind not in value]
        if missing:
            raise ValueError(f"add the words for: {', '.join(missing)}")
        return value


# --- regions.yaml: the 17 regions (oblys) and 3 cities of republican significance -----------

# Stable ids (a user's choice may be stored by id): the administrative division since 8 June 2022.
REGION_KINDS: dict[str, Literal["region", "city"]] = {
    "astana": "city", "almaty_city": "city", "shymkent": "city",
    "abai": "region", "akmola": "region", "aktobe": "region", "almaty_region": "region",
    "atyrau": "region", "east_kazakhstan": "region", "jambyl": "region", "jetisu": "region",
    "karaganda": "region", "kostanay": "region", "kyzylorda": "region", "mangystau": "region",
    "north_kazakhstan": "region", "pavlodar": "region", "turkestan": "region", "ulytau": "region",
    "west_kazakhstan": "region",
}


class Region(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    kind: Literal["region", "city"]
    name: Localized

    @field_validator("name")
    @classmethod
    def _short_name(cls, value: Localized) -> Localized:
        return _plain(value, BUTTON_LIMIT)


class RegionsFile(Strict):
    regions: list[Region]

    @field_validator("regions")
    @classmethod
    def _all_regions_once(cls, value: list[Region]) -> list[Region]:
        ids = [r.id for r in value]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"id used twice: {', '.join(twice)}")
        missing = [i for i in REGION_KINDS if i not in ids]
        unknown = [i for i in ids if i not in REGION_KINDS]
        if missing or unknown:
            problems = []
            if missing:
                problems.append(f"missing: {', '.join(missing)}")
            if unknown:
                problems.append(f"unknown id: {', '.join(unknown)}")
            raise ValueError(
                f"{'; '.join(problems)}. The list must hold exactly the 17 regions and 3 cities "
                f"({len(REGION_KINDS)} entries) with these ids: {', '.join(REGION_KINDS)}"
            )
        wrong = [f"{r.id} must be kind: {REGION_KINDS[r.id]}" for r in value if r.kind != REGION_KINDS[r.id]]
        if wrong:
            raise ValueError("; ".join(wrong))
        return value


class KnowledgeBase(Strict):
    """Everything in knowledge/, validated and cross-checked."""

    schemes: dict[str, Scheme]
    benign: list[Example]
    warnings: list[WarningExample]
    contacts: dict[str, Contact]
    signals: SignalsFile
    links: LinksFile
    replies: RepliesFile
    help: HelpFile
    conversation: ConversationFile
    regions: dict[str, Region]  # in file order: the order of the buttons
    fingerprint: str
    intents: list[IntentFile] = Field(default_factory=list)  # knowledge/intents/, in file order
    channels: dict[str, Channel] = Field(default_factory=dict)  # knowledge/channels.yaml, in file order

    # Officers' labelled texts (knowledge/reviewed/, then `with_examples`), by the knowledge
    # base's label (a scheme id, benign, fraud_warning), each text once.
    reviewed: dict[str, list[ReviewedText]] = Field(default_factory=dict)

    def labelled_examples(self) -> list[tuple[str, Example]]:
        """(label, example) pairs for every example, schemes first, in a stable order; the
        reviewed examples last, so the written ones keep their places when reviews come."""
        pairs = [(sid, ex) for sid, scheme in self.schemes.items() for ex in scheme.examples]
        pairs.extend((BENIGN, ex) for ex in self.benign)
        pairs.extend((FRAUD_WARNING, ex) for ex in self.warnings)
        pairs.extend((label, ex) for label, examples in self.reviewed.items() for ex in examples)
        return pairs

    def written_examples(self) -> list[Example]:
        """The examples analysts wrote in knowledge/schemes, benign and warnings."""
        return [*(ex for scheme in self.schemes.values() for ex in scheme.examples), *self.benign, *self.warnings]

    def review_labels(self) -> list[str]:
        """The labels an officer may give a text: every scheme id, not_fraud, fraud_warning."""
        return [*self.schemes, NOT_FRAUD_LABEL, FRAUD_WARNING]

    def knowledge_label(self, label: str) -> str:
        """The knowledge base's label for an officer's: a scheme id stays, ``not_fraud`` (or
        ``benign``) is benign, ``fraud_warning`` stays. Raises `KnowledgeError` for anything
        else, saying what the labels are."""
        return knowledge_label(label, self.schemes)

    def with_examples(self, examples: Iterable[tuple[str, str, str]]) -> KnowledgeBase:
        """A copy with more labelled examples, ``(label, text, lang)`` each (an officer's label,
        see `knowledge_label`), and its own fingerprint, so the model cache and the embedding
        cache keep the two apart.

        Each text counts once (compared as the loader compares: case and spaces aside): a
        later label of the same text replaces an earlier reviewed one (an officer changed
        their mind), and a text the knowledge base already holds as a written example is left
        as written (the analysts' label stays; the exact-match answer still gives the
        officer's). Raises `KnowledgeError` for an unknown label or language."""
        written = {dedup_key(ex.text) for ex in self.written_examples()}
        chosen: dict[str, tuple[str, ReviewedText]] = {
            dedup_key(ex.text): (label, ex) for label, examples in self.reviewed.items() for ex in examples}
        digest = hashlib.sha256(self.fingerprint.encode())
        for number, (label, text, lang) in enumerate(examples):
            ours = self.knowledge_label(label)
            try:
                example = ReviewedText(text=text, lang=lang)  # type: ignore[arg-type]  # checked here
            except ValueError as exc:
                raise KnowledgeError(
                    f"reviewed example {number} («{text[:40]}», lang '{lang}'): not a labelled text; the text "
                    f"must not be empty and the language is one of {', '.join(get_args(ReviewedLang))}") from exc
            digest.update(f"{ours}\0{text}\0{lang}\n".encode())
            key = dedup_key(text)
            if key not in written:
                chosen.pop(key, None)  # a new label goes last, where the newest examples are
                chosen[key] = (ours, example)
        reviewed: dict[str, list[ReviewedText]] = {}
        for ours, example in chosen.values():
            reviewed.setdefault(ours, []).append(example)
        return self.model_copy(update={"reviewed": reviewed, "fingerprint": digest.hexdigest()[:16]})


def knowledge_label(label: str, schemes: Iterable[str]) -> str:
    """See `KnowledgeBase.knowledge_label`; ``schemes``: the scheme ids."""
    schemes = list(schemes)
    if label in schemes or label == FRAUD_WARNING:
        return label
    if label in (NOT_FRAUD_LABEL, BENIGN):
        return BENIGN
    raise KnowledgeError(
        f"unknown label '{label}': an officer's label is a scheme id from knowledge/schemes/ "
        f"({', '.join(schemes)}), {NOT_FRAUD_LABEL} or {FRAUD_WARNING}. If the scheme was renamed "
        "or removed, relabel its reviewed examples (or move them to the file of the label that fits now)"
    )


def officer_label(label: str) -> str:
    """The officers' name of a knowledge-base label: benign is ``not_fraud``, others stay."""
    return NOT_FRAUD_LABEL if label == BENIGN else label


def dedup_key(text: str) -> str:
    """When two examples are one text: case and runs of spaces aside."""
    return " ".join(text.casefold().split())
