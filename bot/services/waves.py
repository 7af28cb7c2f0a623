"""Waves: one new scam message reaching many people at once, found in the checks within minutes,
told to the officers who asked for it, and turned into an alert draft or review-queue items.

Prosecutors publish which schemes cost people money a year after the fact; a bot that
thousands ask "is this a fraud?" sees a wave the day it starts, region by region. The
detector reads the checks of the last day (``WAVE_WINDOW_HOURS``) that were risky, or that the
classifier found unlike every example it knows (`WavesRepo.candidates`), and the calm ones whose
very text ``WAVE_USERS`` people sent (`WavesRepo.repeated`: a scam the classifier misses still
shows as a text many ask about), groups copies of one
message (`bot.classifier.clusters`: exact repeats, then near-duplicates by character n-grams),
and calls a group that reached ``WAVE_USERS`` distinct people a *wave*: its face (a member's
redacted text: the stored checks hold nothing else), counts, regions most frequent first,
languages, first seen, growth (distinct people in the last hour), and the nearest known
scheme (the scheme most of its people's verdicts named).

**One wave, one id.** Grouping runs afresh every time; `WavesRepo.upsert` finds the stored wave
holding most of a group's checks and updates it, so a wave that grows keeps its id and is told
once. **Once across replicas**: every replica's detector may find it; `WavesRepo.claim_report`
lets one of them tell the officers.

**When it runs** (`run`): each replica polls for new candidate checks every few seconds (one
indexed read of the newest rows), and `nudge` (an in-process caller that just stored one) wakes
it at once; either way it waits ``WAVE_DEBOUNCE_SECONDS`` for the rest of a burst, then runs, so
the officers hear of a wave well within a minute of its K-th person. Besides, a sweep every
``WAVE_SWEEP_SECONDS`` updates the growth figures, closes the waves quiet for a whole window, and
is when a calm text repeated word for word is found (no poll looks for those: they cost a GROUP
BY over the day, and the police learn of them within minutes rather than seconds).
Grouping is CPU work (a second or two for a busy day): it runs on a thread, never on the event loop.

**Telling** (`report`): the officers who opted in (`/waves`), their role read again at the
moment of telling (a revoked officer is told nothing), each in their language: "New wave: 7
people in 40 min, regions: …, nearest scheme: …, +5/hour", the face, and two buttons (the
keyboard is the Telegram shell's, handed in by the app): an alert draft, the review queue. One
who chose no language reads the figures in both and the face once, cut so that the message
always fits Telegram's 4,096 characters (`wave_message`).
Telegram's 403 (the officer blocked the bot) skips that officer; flood control is the bot's
retry middleware's; a failed send is logged and not repeated (at most once), unless nobody at
all could be told (Telegram unreachable): then the claim is given back and a later run tells it.

**Acting on a wave**: `draft_alert` writes a broadcast with status ``draft`` (neither sent nor
waiting for approval), both languages pre-filled from the nearest scheme's knowledge (its
title, summary, first red flag and first step; general wording when there is none), for the
officer to edit and submit in the dashboard; `to_review` puts the wave's distinct texts in the
officers' review queue, where a label makes them examples the classifier learns.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import html
import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import I18n

from bot.alerts.repository import BroadcastsRepo
from bot.alerts.sending import recipient_gone
from bot.classifier.clusters import cluster_texts
from bot.i18n import KZ_TIME, LANGUAGES, N_
from bot.knowledge import KnowledgeBase
from bot.knowledge.schema import Lang
from bot.services.background import Rounds
from bot.services.notices import notice_date
from bot.services.settings import WavesSettings
from bot.storage import Repositories
from bot.storage.database import STORAGE_FAULTS
from bot.storage.waves import CandidateCheck, Wave, WaveDraft

if TYPE_CHECKING:
    from bot.metrics import Metrics

log = logging.getLogger(__name__)

POLL_EVERY = 5.0  # seconds between two looks for new candidate checks
MAX_BACKOFF = 300.0  # the longest pause after failing rounds
REVIEW_TEXTS = 20  # distinct texts of one wave put in the review queue at most: enough examples for a scheme
SHOWN_CHARS = 1500  # of the face in the officers' message, at most
MESSAGE_CHARS = 4096  # Telegram's longest message (bot.telegram.text.MESSAGE_LIMIT, a layer above)
HOUR = 3600.0
TOLD, GONE, FAILED = "told", "gone", "failed"  # what telling one officer came to

NEW_WAVE = N_("New wave: {users} people in {span}, regions: {regions}, nearest scheme: {scheme}, +{per_hour}/hour.")
DETAILS = N_("Checks: {checks}; languages: {languages}; first seen {first_seen}.")
SPAN_MINUTES = N_("{minutes} min")
SPAN_HOURS = N_("{hours} h {minutes} min")
NO_REGION = N_("not known")
NO_SCHEME = N_("none close")
LANGUAGE_NAMES = {"kk": N_("Kazakh"), "ru": N_("Russian")}
DRAFT_SCHEME = N_("Police warning: a wave of fraud, «{scheme}».\n{summary}\nHow to recognise it: {flag}\n"
                  "What to do: {step}")
DRAFT_GENERAL = N_("Police warning: fraudsters are sending many people a new kind of message. Do not open its "
                   "links, pay nothing and tell nobody the codes from SMS or your card details. If you already "
                   "paid or told a code, call your bank at once.")

Keyboard = Callable[[int, I18n, Lang], InlineKeyboardMarkup]
"""The wave message's buttons for (wave id, translations, the officer's language): the Telegram
shell's (`bot.telegram.keyboards.wave_actions`), handed in by the app."""


@dataclass(frozen=True)
class Found:
    """One wave a run found: as stored after it (same id as before if it was known), whether
    this run stored it first, and its member checks."""

    wave: Wave
    new: bool
    members: tuple[int, ...]


def distinct_users(checks: Sequence[CandidateCheck]) -> int:
    return len({check.user_id for check in checks})


def describe(checks: Sequence[CandidateCheck], now: float) -> WaveDraft:
    """What a group of checks says as a wave. Counted by distinct people, not checks: one person
    asking five times is not five victims. The face is the text most people sent (the
    earliest on a tie); regions and languages most frequent first; the nearest scheme is the
    one most people's verdicts named."""
    by_text: dict[str, set[int]] = {}
    first_of: dict[str, CandidateCheck] = {}
    for check in checks:
        by_text.setdefault(check.text_hash, set()).add(check.user_id)
        first_of.setdefault(check.text_hash, check)
    face = max(by_text, key=lambda h: (len(by_text[h]), -first_of[h].created_at))
    regions = _ranked((check.user_id, check.region) for check in checks if check.region)
    # a check's language is its verdict's (Kazakh in any alphabet is 'kk'); mixed and other name none
    languages = _ranked((check.user_id, check.language) for check in checks if check.language in LANGUAGES)
    schemes = _ranked((check.user_id, check.scheme) for check in checks if check.scheme)
    return WaveDraft(
        representative=first_of[face].text_redacted,
        scheme=schemes[0] if schemes else None,
        users=distinct_users(checks),
        checks=len(checks),
        regions=regions,
        languages=languages,
        first_seen=min(check.created_at for check in checks),
        last_seen=max(check.created_at for check in checks),
        per_hour=float(len({check.user_id for check in checks if check.created_at >= now - HOUR})),
    )


def _ranked(pairs) -> list[str]:
    """Values by the distinct people who had them, most first (then alphabetically: stable)."""
    people: dict[str, set[int]] = {}
    for user_id, value in pairs:
        people.setdefault(value, set()).add(user_id)
    return sorted(people, key=lambda value: (-len(people[value]), value))


def span_text(wave: Wave, i18n: I18n, lang: Lang) -> str:
    """How long the wave took to reach its people: "40 min", "2 h 5 min" (at least 1 min)."""
    minutes = max(1, round((wave.last_seen - wave.first_seen) / 60))
    if minutes < 60:
        return i18n.gettext(SPAN_MINUTES, locale=lang).format(minutes=minutes)
    return i18n.gettext(SPAN_HOURS, locale=lang).format(hours=minutes // 60, minutes=minutes % 60)


def wave_figures(wave: Wave, knowledge: KnowledgeBase, i18n: I18n, lang: Lang) -> str:
    """The officers' message's figures in one language, HTML: what, how many, where, since when."""
    text = i18n.gettext
    regions = ", ".join(knowledge.regions[r].name.get(lang) if r in knowledge.regions else r for r in wave.regions)
    scheme = knowledge.schemes.get(wave.scheme) if wave.scheme else None
    header = text(NEW_WAVE, locale=lang).format(
        users=wave.users, span=span_text(wave, i18n, lang), regions=regions or text(NO_REGION, locale=lang),
        scheme=scheme.title.get(lang) if scheme else text(NO_SCHEME, locale=lang), per_hour=round(wave.per_hour))
    languages = ", ".join(text(LANGUAGE_NAMES[code], locale=lang) for code in wave.languages if code in LANGUAGE_NAMES)
    details = text(DETAILS, locale=lang).format(
        checks=wave.checks, languages=languages or "—",
        first_seen=notice_date(wave.first_seen, lang) + ", "  # Kazakhstan's day and time
        + dt.datetime.fromtimestamp(wave.first_seen, KZ_TIME).strftime("%H:%M"))
    return f"<b>{html.escape(header)}</b>\n{html.escape(details)}"


def wave_message(wave: Wave, knowledge: KnowledgeBase, i18n: I18n, *languages: Lang) -> str:
    """The officers' message, HTML: the figures in each of ``languages`` (both for an officer
    who chose none), then the face once, redacted as stored and escaped, cut (at SHOWN_CHARS,
    and shorter if need be) so that the whole always fits one Telegram message, whatever the
    face's length and however many regions."""
    if not languages:
        raise ValueError("name the language(s) of the message: 'kk', 'ru' or both")
    figures = "\n\n".join(wave_figures(wave, knowledge, i18n, lang) for lang in languages)
    frame = f"{figures}\n\n<blockquote expandable></blockquote>"
    room, face, shown = MESSAGE_CHARS - len(frame), wave.representative, SHOWN_CHARS
    while True:
        quoted = html.escape(face if shown >= len(face) else face[:shown].rstrip() + "…")
        if len(quoted) <= room or shown <= 0:  # escaping lengthens a text: cut by what is too much
            break
        shown -= len(quoted) - room
    return f"{figures}\n\n<blockquote expandable>{quoted if len(quoted) <= room else ''}</blockquote>"


def draft_texts(scheme_id: str | None, knowledge: KnowledgeBase, i18n: I18n) -> dict[Lang, str]:
    """An alert's two texts to start from: the nearest scheme's own words in the knowledge
    base (title, summary, its first red flag and first step), or a general warning when the
    wave is like no known scheme. The officer edits them; the link policy checks them at submit."""
    scheme = knowledge.schemes.get(scheme_id) if scheme_id else None
    texts: dict[Lang, str] = {}
    for lang in LANGUAGES:
        if scheme is None:
            texts[lang] = i18n.gettext(DRAFT_GENERAL, locale=lang)
        else:
            texts[lang] = i18n.gettext(DRAFT_SCHEME, locale=lang).format(
                scheme=scheme.title.get(lang), summary=scheme.summary.get(lang),
                flag=scheme.red_flags[0].get(lang), step=scheme.what_to_do[0].get(lang))
    return texts


class WaveDetector:
    """Finds waves (`detect`), tells the officers (`report`), and runs both in the background
    once `start` is given the bot's main Bot; `draft_alert` and `to_review` are the officers'
    two actions on a wave (the Telegram buttons and the dashboard call them)."""

    def __init__(self, repos: Repositories, knowledge: KnowledgeBase, i18n: I18n, settings: WavesSettings, *,
                 broadcasts: BroadcastsRepo, keyboard: Keyboard | None = None, metrics: Metrics | None = None,
                 poll_every: float = POLL_EVERY) -> None:
        if poll_every <= 0:
            raise ValueError("poll_every must be above 0 seconds")
        self.repos = repos
        self.knowledge = knowledge
        self.i18n = i18n
        self.settings = settings
        self.broadcasts = broadcasts
        self.keyboard = keyboard
        self.metrics = metrics
        self.poll_every = poll_every
        self._nudged = asyncio.Event()
        self._background: Rounds[list[Found]] = Rounds("waves", "the wave detector")
        self._read_until: float | None = None  # created_at of the newest candidate the last detect read
        self._seen_until: float | None = None  # created_at of the newest candidate a round has read
        self.rounds = 0  # rounds `run` has finished: how often it looked (the tests of when it runs read it)
        self.timings: dict[str, float] = {}  # the last detect's parts, in seconds: read, group, store

    @property
    def window(self) -> float:
        return self.settings.window_hours * HOUR

    # --- finding -------------------------------------------------------------------------------

    async def detect(self, now: float, *, sweep: bool = True) -> list[Found]:
        """The waves in the checks of the window before ``now`` (checks dated after ``now`` are
        not looked at: a test's clock decides), stored or updated. A ``sweep`` also looks for calm
        texts repeated word for word (`WavesRepo.repeated`: a GROUP BY over the whole window, too
        dear for every poll) and closes the waves quiet for a whole window; the rounds a poll or a
        nudge starts are not sweeps. Grouping runs on a thread."""
        since = now - self.window
        started = time.perf_counter()
        risky = await self.repos.waves.candidates(since)
        self._read_until = max((c.created_at for c in risky if c.created_at <= now), default=None)
        repeated = await self.repos.waves.repeated(since, self.settings.users) if sweep else []
        candidates = sorted((c for c in [*risky, *repeated] if c.created_at <= now), key=lambda c: (c.created_at, c.id))
        read = time.perf_counter()
        found: list[Found] = []
        groups: list[list[int]] = []
        if candidates:
            groups = (await asyncio.to_thread(cluster_texts, [c.text_redacted for c in candidates],
                                              [c.text_hash for c in candidates])).groups
        grouped = time.perf_counter()
        for group in groups:
            checks = [candidates[i] for i in group]
            if distinct_users(checks) < self.settings.users:
                continue
            members = tuple(sorted(c.id for c in checks))
            wave_id, new = await self.repos.waves.upsert(describe(checks, now), members, now)
            stored = await self.repos.waves.find(wave_id)
            if stored is None:  # deleted between the two statements: nothing to tell
                continue
            if new:
                log.info("wave %d found: %d people, %d checks", wave_id, stored.users, stored.checks)
                if self.metrics is not None:
                    self.metrics.waves_detected.inc()
            found.append(Found(stored, new, members))
        if sweep:
            await self.repos.waves.close_quiet(since)
        self.timings = {"read": read - started, "group": grouped - read, "store": time.perf_counter() - grouped}
        return found

    # --- telling -------------------------------------------------------------------------------

    async def report(self, bot: Bot, found: Sequence[Found], now: float) -> int:
        """Tells the officers who opted in of each wave nobody has told them of yet (claimed
        first: one replica tells, once); returns the messages sent. With nobody watching, the
        claim is kept for later: an officer who opts in hears of the open waves at the next run."""
        untold = [f.wave for f in found if f.wave.reported_at is None and f.wave.status == "open"]
        if not untold:
            return 0
        officers = [(user_id, lang) for user_id, lang in await self.repos.waves.audience()
                    if await self.repos.roles.role_of(user_id) != "citizen"]
        if not officers:
            return 0
        sent = 0
        for wave in untold:
            if not await self.repos.waves.claim_report(wave.id, now):
                continue  # another replica told them
            outcomes = [await self._tell(bot, user_id, lang, wave) for user_id, lang in officers]
            sent += outcomes.count(TOLD)
            if TOLD not in outcomes and FAILED in outcomes:  # Telegram unreachable: try again next run
                await self.repos.waves.release_report(wave.id)
        return sent

    async def _tell(self, bot: Bot, user_id: int, lang: str | None, wave: Wave) -> str:
        """TOLD, GONE (the officer blocked the bot or has no chat: skipped) or FAILED (a 5xx,
        the network, flood control longer than the retry middleware waits)."""
        languages: tuple[Lang, ...] = (lang,) if lang in LANGUAGES else LANGUAGES  # type: ignore[assignment]
        text = wave_message(wave, self.knowledge, self.i18n, *languages)
        markup = self.keyboard(wave.id, self.i18n, languages[0]) if self.keyboard is not None else None
        try:
            await bot.send_message(user_id, text, reply_markup=markup)
        except TelegramAPIError as exc:
            if recipient_gone(exc):
                log.info("waves: officer %s cannot be reached (%s); skipped", user_id, exc)
                return GONE
            log.warning("waves: telling officer %s of wave %d failed (%s)", user_id, wave.id, exc)
            return FAILED
        return TOLD

    async def round(self, bot: Bot, now: float | None = None, *, sweep: bool = True) -> list[Found]:
        """One run: detect (a sweep or not: `detect`), then tell."""
        now = time.time() if now is None else now
        found = await self.detect(now, sweep=sweep)
        await self.report(bot, found, now)
        return found

    # --- the officers' opt-in ------------------------------------------------------------------

    async def watch(self, officer_id: int, on: bool | None = None) -> bool:
        """Tells the officer of new waves from now on (``on``), or no more; ``None`` switches to
        the other state. Audited. Returns whether they are told now. The role is the caller's
        to check (the officers' router), and is checked again at each telling."""
        turn_on = (not await self.repos.waves.watching(officer_id)) if on is None else on
        await self.repos.waves.watch(officer_id, turn_on)
        await self.repos.roles.audit(officer_id, "waves", "on" if turn_on else "off")
        return turn_on

    async def count_open(self) -> int:
        """The waves open now (found, not yet closed, dismissed or drafted)."""
        return await self.repos.waves.count_open()

    # --- acting on a wave ----------------------------------------------------------------------

    async def draft_alert(self, wave_id: int, officer_id: int) -> int:
        """The id of an alert draft made from the wave: both languages pre-filled (`draft_texts`),
        the wave's regions (all of Kazakhstan when none is known), its nearest scheme; audited.
        Pressing again while that draft is still a draft returns the same one.

        Once, however many press at once (two officers, or the Telegram button and the
        dashboard's, on any replica): the wave takes the new draft only over the one its caller
        saw (`WavesRepo.set_broadcast`, one conditional statement); a caller who lost deletes its
        own draft, unseen, and returns the winner's."""
        wave = await self.repos.waves.find(wave_id)
        if wave is None:
            raise LookupError(f"no wave {wave_id}: it was deleted; open the list of waves again")
        if wave.broadcast_id is not None:
            existing = await self.broadcasts.find(wave.broadcast_id)
            if existing is not None and existing.status == "draft":
                return existing.id
        texts = draft_texts(wave.scheme, self.knowledge, self.i18n)
        regions = tuple(r for r in wave.regions if r in self.knowledge.regions) or ("national",)
        broadcast_id = await self.broadcasts.draft(officer_id, texts["kk"], texts["ru"], regions, wave.scheme)
        if not await self.repos.waves.set_broadcast(wave_id, broadcast_id, replacing=wave.broadcast_id):
            await self.broadcasts.discard_draft(broadcast_id)  # another press won: its draft is the wave's
            now = await self.repos.waves.find(wave_id)
            if now is None:
                raise LookupError(f"no wave {wave_id}: it was deleted; open the list of waves again")
            if now.broadcast_id is None:  # unreachable: set_broadcast never clears it
                raise RuntimeError(f"wave {wave_id} lost its alert draft while it was being made; press again")
            return now.broadcast_id
        await self.repos.roles.audit(officer_id, "wave_draft", f"wave {wave_id} -> broadcast {broadcast_id}")
        return broadcast_id

    async def to_review(self, wave_id: int) -> int:
        """Puts the wave's distinct texts (the latest REVIEW_TEXTS) in the officers' review queue,
        so that a label makes them examples the classifier learns; a text already labelled or
        queued is not queued twice (`ReviewsRepo.enqueue_check`). Returns the texts put forward.

        Queued as 'low_confidence' (the bot was not sure: these are texts unlike what it knows,
        or a scheme it recognised only roughly): a reason of its own, 'wave', needs a migration
        that rebuilds `review_items` (its CHECK lists the reasons)."""
        if await self.repos.waves.find(wave_id) is None:
            raise LookupError(f"no wave {wave_id}: it was deleted; open the list of waves again")
        texts: dict[str, int] = {}
        for member in await self.repos.waves.members(wave_id, limit=REVIEW_TEXTS * 20):
            texts.setdefault(member.text_redacted, member.check_id)
        chosen = list(texts.values())[:REVIEW_TEXTS]
        for check_id in chosen:
            await self.repos.reviews.enqueue_check(check_id, "low_confidence")
        return len(chosen)

    # --- in the background ---------------------------------------------------------------------

    def nudge(self) -> None:
        """A risky or novel check was just stored: run after the debounce, not at the next sweep."""
        self._nudged.set()

    async def _new_candidates(self) -> bool:
        """Whether risky or novel checks came after the newest one a round has read (one indexed
        read of the newest rows)."""
        if self._seen_until is None:
            self._seen_until = time.time()
        newest = await self.repos.waves.candidates(self._seen_until)
        return any(c.created_at > self._seen_until for c in newest)

    async def round_after(self) -> list[Found]:
        """Nudges the detector and returns what the first round that starts after this call
        found (after the debounce). Needs the detector running."""
        return await self._background.next_round(self.nudge)

    async def run(self, bot: Bot) -> None:
        """Rounds until cancelled: after a nudge or new candidates (plus the debounce), and a
        sweep (`detect`) every ``WAVE_SWEEP_SECONDS``, the first at start. Each round moves the
        poll's mark to the newest candidate it read, so a check is news to one round only: a
        nudged round is not followed by a second one for the same checks. Failing rounds (a
        locked database) pause, doubling up to MAX_BACKOFF; one failure never ends the task."""
        loop = asyncio.get_running_loop()
        next_sweep = loop.time()
        failures = 0
        while True:
            if loop.time() < next_sweep and not self._nudged.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._nudged.wait(), min(self.poll_every, next_sweep - loop.time()))
                woke = self._nudged.is_set()
                if not woke and loop.time() < next_sweep:
                    try:
                        woke = await self._new_candidates()
                    except Exception:  # noqa: BLE001 - a look that fails is retried at the next poll
                        log.warning("waves: looking for new checks failed; trying again", exc_info=True)
                    if not woke:
                        continue
                if woke and self.settings.debounce_seconds:
                    await asyncio.sleep(self.settings.debounce_seconds)  # the rest of the burst
            sweep = loop.time() >= next_sweep
            self._nudged.clear()
            waiters = self._background.begin()
            now = time.time()
            try:
                found = await self.round(bot, now, sweep=sweep)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if isinstance(exc, STORAGE_FAULTS):  # a locked or full database: the checks wait in it
                    log.warning("waves: the database failed a round (%s); trying again later", exc)
                else:
                    log.exception("waves: a round failed; trying again later")
                self.rounds += 1
                failures += 1
                self._background.failed(waiters, exc)
                await asyncio.sleep(min(MAX_BACKOFF, self.poll_every * 2 ** failures))
                continue
            self.rounds += 1
            failures = 0
            # What this round read is not news to the next poll (a check stored since is).
            self._seen_until = max(self._seen_until or 0.0, self._read_until or 0.0) or now
            self._background.done(waiters, found)
            if sweep:
                next_sweep = loop.time() + self.settings.sweep_seconds

    def start(self, bot: Bot) -> asyncio.Task[None]:
        """`run` in the background, telling through ``bot``; `stop` ends it."""
        return self._background.start(lambda: self.run(bot))

    async def stop(self) -> None:
        """Cancels the task; a round in flight is cut (its grouping thread finishes unused)."""
        await self._background.stop()
