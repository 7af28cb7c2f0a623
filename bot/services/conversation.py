"""A conversation, not a classifier: what does the person need, given what the bot said last?

The people SaqBol is for do not only paste suspicious messages. They say that the money is
already gone, ask where to call, answer the bot's last verdict ("I have not told him the code
yet"), say hello or thanks. Judging each of those alone as a suspicious text gives a victim a
scheme guess instead of the urgent steps, and a green "no signs of fraud" in the middle of a
scam. So every text is first read for its intent (`bot/classifier/intents.py`), in the context of
the bot's last verdict to this user (`bot/storage/conversation.py`, 30 minutes by default), and
then answered by the path that fits:

- a message or the person's own story: the fraud check, as before; its verdict is remembered;
- "I already paid / told the code / installed the app / gave the card": that urgent path;
- a question: its FAQ answer, or the list of questions the bot can answer;
- a follow-up: the last verdict's scheme, its own steps, and an answer to what was said;
- a greeting, thanks or an emoji: a short friendly answer saying what the bot can do;
- a number, card, IBAN, account or official site sent alone: a lookup, not a check (there is
  no message to judge): what is known of it (official, confirmed by an officer, reported by
  people); any other link sent alone is checked, for the classifier judges the link itself
  (a look-alike of a bank's site, a risky zone), and its answer says what is known of it too;
- anything else: "I don't understand" and what the bot can do.

No Telegram here: text in, a `Reply` out; the handler sends it, then lets the reply store what
is to be remembered (`Reply.settle`: answer first, store after). Storage is best effort, as on
every answer path: a failing database costs the context, never the answer.
"""

from __future__ import annotations

import html
import logging
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal, Protocol

from bot.knowledge.schema import Lang
from bot.classifier.service import ClassifierService
from bot.classifier import EmptyText, Verdict
from bot.classifier.language import detect_language
from bot.classifier.normalize import fold, normalize
from bot.replies.conversation import ConversationReplies, FollowupKind, NotYetObject
from bot.classifier.faq import FaqMatcher
from bot.knowledge import KnowledgeBase
from bot.metrics import Metrics
from bot.replies.reputation import ReputationReplies
from bot.replies.verdict import ReplyRenderer
from bot.services.reputation import Finding, Reputation
from bot.storage.conversation import ConversationMemory, Memory, VerdictNote
from bot.storage.database import best_effort

if TYPE_CHECKING:
    from bot.classifier.intents import IntentGuess

log = logging.getLogger(__name__)

Route = Literal["check", "paid", "faq", "no_faq", "followup", "social", "other", "empty", "lookup"]
Keyboard = Literal["faq_list", "back_to_faq"]
PAID_KINDS = ("money", "code", "app", "card")
# Longer than this is a pasted message or a long story: checked as it always was, without
# reading its intent (which would only cost time on a 4096-character wall).
READ_LIMIT = 1000
# A calm verdict on a line this short, inside a scam conversation, is a reply to the bot rather
# than a new message to check: it is answered in the conversation's context instead.
CONTEXT_LINE = 200
# The order in which the words of what was (not) given away are tried: card data before codes
# ("CVV-код"), codes before money ("отправила код").
OBJECT_ORDER: tuple[NotYetObject, ...] = ("card", "code", "app", "money")
# A number or link sent alone is short; longer is a message that happens to hold one.
LOOKUP_LIMIT = 200
# Characters that make a word part of an identifier: digits, and what links and accounts are
# written with ("kaspi-bonus.top/x", "@name", "https://").
IDENTIFIER_MARKS = frozenset("@./:")


class IntentReading(Protocol):
    def read(self, text: str, previous: str | None, *, forwarded: bool = False) -> IntentGuess: ...


@dataclass(frozen=True)
class Reply:
    """What to send: either a verdict (``route == "check"``: the handler renders it, with its
    buttons and notes, as it always did) or a ready HTML ``text`` with an optional keyboard."""

    route: Route
    lang: Lang
    intent: str
    text: str | None = None
    verdict: Verdict | None = None
    keyboard: Keyboard | None = None
    store: Callable[[], Awaitable[object]] | None = None  # what to remember, once the answer is out
    findings: tuple[Finding, ...] = ()  # a lookup: what is known of each identifier (the report buttons)

    async def settle(self) -> None:
        """Remember this turn (best effort); call it after the answer is sent."""
        if self.store is not None:
            await self.store()


@dataclass(frozen=True)
class Plan:
    """The decision, before any text is rendered: which path, and what it needs."""

    route: Route
    intent: str
    paid: str | None = None
    social: str | None = None
    faq_id: str | None = None
    followup: FollowupKind | None = None
    said: NotYetObject = "none"
    tentative: bool = False  # paid only by the reader's lean towards it: the classifier decides


def _cues(phrases: list[str]) -> list[str]:
    return [fold(normalize(p).text) for p in phrases]


def visible_kind(text: str) -> Literal["empty", "symbols", "words"]:
    """Whether a text has nothing to read, only emoji and punctuation, or words."""
    norm = normalize(text) if len(text) <= 4 * READ_LIMIT else None
    shown = [ch for ch in (norm.text if norm else text) if not ch.isspace()]
    if not shown:
        return "empty"
    if any(ch.isalnum() for ch in shown):
        return "words"
    return "symbols"


def only_identifiers(norm: str) -> bool:
    """Whether a normalised text is nothing but numbers, links and accounts ("+7 701 123 45 67",
    "kaspi-bonus.top", "@helper_kz"): every word holds a digit or a link's or account's mark,
    or no letter at all ("—", "?"). "Проверьте номер 8 701…" has words: it is a message."""
    words = norm.split()
    return bool(words) and all(
        any(ch.isdigit() or ch in IDENTIFIER_MARKS for ch in word) or not any(ch.isalpha() for ch in word)
        for word in words
    )


def _judged_link(finding: Finding) -> bool:
    """A site that is not an official one: sent alone it is still checked, since the classifier
    judges the link itself (a look-alike of a bank, a risky zone), which a count of reports
    cannot; the check's answer carries what is known of it too."""
    return finding.identifier.kind == "domain" and not finding.official


def is_emoji(text: str) -> bool:
    """An emoji or pictograph anywhere in a text of symbols (👍, 🙏, ❤️, :) is punctuation)."""
    return any(unicodedata.category(ch) == "So" for ch in text)


class Conversation:
    def __init__(self, knowledge: KnowledgeBase, reader: IntentReading, checker: ClassifierService, faq: FaqMatcher,
                 renderer: ReplyRenderer, memory: ConversationMemory, *, reputation: Reputation | None = None,
                 lookups: ReputationReplies | None = None, metrics: Metrics | None = None) -> None:
        """``reputation`` and ``lookups`` (its texts): a number or link sent alone is looked up;
        without them it is read like any other text. ``metrics``: the classifier's time is
        timed there (``saqbol_classify_seconds``); the bot passes its own."""
        self.knowledge = knowledge
        self.reputation = reputation
        self.lookups = lookups
        self.reader = reader
        self.checker = checker
        self.metrics = metrics if metrics is not None else Metrics(knowledge.schemes)
        self.faq = faq
        self.renderer = renderer
        self.memory = memory
        self.texts = ConversationReplies(knowledge)
        frame = knowledge.conversation
        self._not_yet = {lang: _cues(frame.followup.not_yet.cues.get(lang)) for lang in ("kk", "ru")}
        self._again = {lang: _cues(frame.followup.again.cues.get(lang)) for lang in ("kk", "ru")}
        self._objects = {kind: _cues(words.kk + words.ru) for kind, words in frame.objects.items()}

    # --- the decision -------------------------------------------------------------------------

    def plan(self, text: str, guess: IntentGuess, memory: Memory | None, *, forwarded: bool = False) -> Plan:
        """Which path answers ``text``, read as ``guess`` after ``memory``. Paid first (the most
        urgent), then a follow-up that has something to follow, then a FAQ answer for anything
        that is not a message to check, then the intent's own path."""
        intent = guess.intent
        if forwarded:
            return Plan("check", "message")
        if intent == "paid":
            return Plan("paid", intent, paid=guess.paid if guess.paid in PAID_KINDS else "money", tentative=guess.tentative)
        if intent == "followup" and memory is not None and (memory.verdict is not None or memory.paid):
            return self._followup_plan(text, memory)
        if intent != "message":
            faq_id = self.faq.match(text)
            if faq_id is not None:
                return Plan("faq", intent, faq_id=faq_id)
        match intent:
            case "question":
                return Plan("no_faq", intent)
            case "greeting":
                return Plan("social", intent, social=guess.social or "hello")
            case "message" | "story":
                return Plan("check", intent)
            case _:  # other, or a follow-up with nothing to follow
                return Plan("other", intent)

    def _followup_plan(self, text: str, memory: Memory) -> Plan:
        scheme = memory.verdict.scheme if memory.verdict else None
        if memory.verdict is None and memory.paid in PAID_KINDS:  # after the urgent steps, they stay the answer
            return Plan("paid", "followup", paid=memory.paid)
        if scheme not in self.knowledge.schemes:
            return Plan("followup", "followup", followup=None)  # after a calm verdict: how to check it
        folded = normalize(text).folded
        if any(cue in folded for lang in ("kk", "ru") for cue in self._not_yet[lang]):
            said = next((kind for kind in OBJECT_ORDER if any(w in folded for w in self._objects[kind])), "none")
            return Plan("followup", "followup", followup="not_yet", said=said)
        if any(cue in folded for lang in ("kk", "ru") for cue in self._again[lang]):
            return Plan("followup", "followup", followup="again")
        return Plan("followup", "followup", followup="now")

    # --- the answer ---------------------------------------------------------------------------

    async def answer(self, text: str, *, user_id: int | None, lang: Lang | None, forwarded: bool = False) -> Reply:
        """The reply to one text. ``lang``: the user's language when known (chosen, or Telegram's),
        else None: the text's own language. ``user_id`` None: nobody to remember for."""
        shown = visible_kind(text)
        if shown == "empty":
            reply_lang = lang or "ru"
            return Reply("empty", reply_lang, "other",
                         text=_esc(self.knowledge.replies.empty_input.get(reply_lang)))
        bare = await self._bare(text) if not forwarded and shown == "words" and len(text) <= LOOKUP_LIMIT else None
        if bare is not None and self.lookups is not None and not any(_judged_link(f) for f in bare):
            reply_lang = lang or detect_language(normalize(text)).reply_lang
            return Reply("lookup", reply_lang, "lookup", text=self.lookups.lookup(bare, reply_lang),
                         findings=tuple(bare))
        memory = await self._recall(user_id)
        if forwarded or len(text) > READ_LIMIT or bare is not None:  # a bare link: the verdict judges it
            plan = Plan("check", "message")
        elif shown == "symbols":
            plan = Plan("social", "greeting", social="emoji") if is_emoji(text) else Plan("other", "other")
        else:
            guess = self.reader.read(text, memory.previous if memory else None, forwarded=forwarded)
            plan = self.plan(text, guess, memory, forwarded=forwarded)
        if plan.route == "check":
            return await self._check(text, plan, memory, user_id=user_id, lang=lang, forwarded=forwarded)
        if plan.tentative:
            # Read as "I paid" only by the reader's lean towards the urgent path: the urgent steps
            # («🚨 the money is gone») if the classifier sees a scam in it, else the verdict of an
            # ordinary story ("I paid the courier at the door") rather than an alarm.
            verdict = await self._classify(text)
            if verdict is not None and not verdict.is_scam:
                return await self._check(text, Plan("check", "story"), memory, user_id=user_id, lang=lang,
                                         forwarded=forwarded, verdict=verdict)
        reply_lang = lang or detect_language(normalize(text)).reply_lang
        return await self._with_reputation(
            replace(self._render(plan, memory, reply_lang), store=self._memo(user_id, memory, plan)), text)

    async def _classify(self, text: str) -> Verdict | None:
        """The classifier's verdict, timed; None for a text with nothing to judge."""
        try:
            with self.metrics.classifying():
                return await self.checker.check(text)
        except EmptyText:
            return None

    async def _check(self, text: str, plan: Plan, memory: Memory | None, *, user_id: int | None,
                     lang: Lang | None, forwarded: bool, verdict: Verdict | None = None) -> Reply:
        verdict = verdict or await self._classify(text)
        if verdict is None:
            reply_lang = lang or "ru"
            return Reply("empty", reply_lang, plan.intent, text=_esc(self.knowledge.replies.empty_input.get(reply_lang)))
        reply_lang = lang or verdict.reply_language
        in_scam = memory is not None and memory.in_scam
        if in_scam and not verdict.is_scam and not forwarded and len(text) <= CONTEXT_LINE:
            # "я ему еще не говорила код" checks calm on its own; inside a scam it is a reply to the
            # bot, and a green banner now would reassure the person in the middle of the scam.
            follow = self._followup_plan(text, memory)
            return await self._with_reputation(
                replace(self._render(follow, memory, reply_lang), store=self._memo(user_id, memory, follow)), text)
        store = None
        if user_id is not None:
            note = note_of(verdict)
            store = lambda: best_effort(self.memory.remember(user_id, plan.intent, verdict=note),  # noqa: E731
                                        "conversation memory")
        return Reply("check", reply_lang, plan.intent, verdict=verdict, store=store)

    async def _bare(self, text: str) -> list[Finding] | None:
        """What is known of a number, card, IBAN, link or account sent alone; None for any other
        text (or when this conversation has no reputation to look up)."""
        if self.reputation is None or self.lookups is None or not only_identifiers(normalize(text).text):
            return None
        return await self.reputation.lookup(text) or None

    async def _with_reputation(self, reply: Reply, text: str) -> Reply:
        """A reply that is not a verdict (the urgent steps, a follow-up, a FAQ answer...) to a
        text holding a number or link something is known of says it too: "I sent money to
        8 701…" learns that an officer confirmed that number is a fraudster's."""
        if self.reputation is None or self.lookups is None or len(text) > READ_LIMIT:
            return reply
        findings = await self.reputation.lookup(text)
        known = self.lookups.known(findings, reply.lang) if findings else None
        if not known:
            return reply
        return replace(reply, text=f"{reply.text}\n\n{known}" if reply.text else known, findings=tuple(findings))

    async def remember_check(self, user_id: int, verdict: Verdict) -> None:
        """For a verdict given outside `answer` (a screenshot): the next follow-up has its context."""
        await best_effort(self.memory.remember(user_id, "message", verdict=note_of(verdict)), "conversation memory")

    async def _recall(self, user_id: int | None) -> Memory | None:
        if user_id is None:
            return None
        return await best_effort(self.memory.recall(user_id), "conversation memory")

    def _memo(self, user_id: int | None, memory: Memory | None, plan: Plan) -> Callable[[], Awaitable[object]] | None:
        """A turn without a verdict keeps the thread alive; with nothing to remember (no
        verdict, nothing paid) nothing is stored."""
        if user_id is None or (memory is None and plan.route != "paid"):
            return None
        paid = plan.paid if plan.route == "paid" else None
        return lambda: best_effort(self.memory.remember(user_id, plan.intent, paid=paid), "conversation memory")

    def _render(self, plan: Plan, memory: Memory | None, lang: Lang) -> Reply:
        texts = self.texts
        match plan.route:
            case "paid":
                kind = plan.paid or "money"
                return Reply("paid", lang, plan.intent, text=texts.paid(kind, lang))  # type: ignore[arg-type]
            case "faq":
                answer = self.renderer.faq_answer(plan.faq_id or "", lang, html=True)
                if answer is not None:
                    return Reply("faq", lang, plan.intent, text=answer, keyboard="back_to_faq")
                return Reply("no_faq", lang, plan.intent, text=texts.no_faq(lang), keyboard="faq_list")
            case "no_faq":
                return Reply("no_faq", lang, plan.intent, text=texts.no_faq(lang), keyboard="faq_list")
            case "followup":
                scheme = memory.verdict.scheme if memory and memory.verdict else None
                if plan.followup is None or scheme not in self.knowledge.schemes:
                    return Reply("followup", lang, plan.intent, text=texts.followup_benign(lang))
                return Reply("followup", lang, plan.intent,
                             text=texts.followup(scheme, plan.followup, lang, plan.said))
            case "social":
                social = plan.social or "hello"
                return Reply("social", lang, plan.intent, text=texts.social(social, lang))  # type: ignore[arg-type]
            case _:
                return Reply("other", lang, plan.intent, text=texts.not_understood(lang))


def note_of(verdict: Verdict) -> VerdictNote:
    """What is remembered of a verdict: the scheme it named (a scam) or warned about (a genuine
    warning), its risk and kind, and its channel when the classifier gives one."""
    if verdict.is_scam:
        scheme = verdict.scheme
    elif verdict.kind == "fraud_warning":
        scheme = verdict.warns_about
    else:
        scheme = None
    channel = getattr(verdict, "channel", None)  # the channel finder may not be there
    return VerdictNote(scheme=scheme, risk=verdict.risk, kind=verdict.kind,
                       channel=str(channel) if channel is not None else None)


def _esc(text: str) -> str:
    return html.escape(text, quote=False)
