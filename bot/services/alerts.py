"""The police-alert use cases that the /broadcast dialog calls: check a text, submit an alert
for approval, review, approve, reject, cancel.

No Telegram here: ids and texts in, results out; the handler words them for the officer and
sends the messages. What an officer may do is decided here, and every decision is written to
the audit trail here, so that no dialog can forget to. The officer's role itself is checked by
the handler's filter on every update, before any of this runs.

Words (see ``bot.alerts``): an *alert* is the police message people receive; a *broadcast* is
one sending of it, a row in ``broadcasts``, written at submission and sent once approved.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum

from aiogram.utils.i18n import I18n

from bot.alerts import DeliveryEngine, Progress
from bot.alerts.message import alert_html
from bot.alerts.policy import MAX_ALERT_CHARS, forbidden_links
from bot.alerts.repository import Broadcast, BroadcastsRepo, BroadcastStatus
from bot.knowledge import KnowledgeBase
from bot.knowledge.schema import Lang
from bot.privacy.redaction import redact
from bot.storage.roles import RolesRepo

MAX_REASON_CHARS = 500


class Problem(StrEnum):
    EMPTY = "empty"
    TOO_LONG = "too_long"
    FORBIDDEN = "forbidden"  # names a link, account or phone number off the allowlist


@dataclass(frozen=True)
class Refusal:
    """Why a text cannot be an alert, with what the officer needs to fix it: its ``length``
    against ``limit``, or the ``forbidden`` parts as written and what is ``allowed``."""

    problem: Problem
    length: int = 0
    limit: int = MAX_ALERT_CHARS
    forbidden: tuple[str, ...] = ()
    allowed: tuple[str, ...] = ()


@dataclass(frozen=True)
class Submitted:
    """A stored alert waiting for approval, and the officers to ask."""

    broadcast: Broadcast
    approvers: list[int]


@dataclass(frozen=True)
class Review:
    """What an officer's Approve or Reject press finds: no such alert (``broadcast`` None), the
    officer's own alert (``own``: refused, and audited), one already decided, or one ``open``
    for this officer's decision."""

    broadcast: Broadcast | None
    own: bool = False

    @property
    def open(self) -> bool:
        return self.broadcast is not None and not self.own and self.broadcast.status is BroadcastStatus.PENDING


@dataclass(frozen=True)
class Rejection:
    """A rejected alert and the reason stored with it (trimmed; '-' when none was given)."""

    broadcast: Broadcast
    reason: str


class AlertService:
    """``superadmins`` (ADMIN_IDS) may approve besides the officers; ``paid`` sends approved
    alerts with ``allow_paid_broadcast`` (BROADCAST_PAID)."""

    def __init__(self, knowledge: KnowledgeBase, broadcasts: BroadcastsRepo, roles: RolesRepo,
                 engine: DeliveryEngine, i18n: I18n, *, superadmins: frozenset[int], paid: bool) -> None:
        self.knowledge = knowledge
        self.broadcasts = broadcasts
        self.roles = roles
        self.engine = engine
        self.i18n = i18n
        self.superadmins = superadmins
        self.paid = paid

    # --- composing ------------------------------------------------------------------------------

    def check(self, text: str) -> Refusal | None:
        """None when ``text`` (stripped) may be sent to subscribers; otherwise why not. A police
        alert must never carry a phishing link: only the allowlist in knowledge/links.yaml."""
        text = text.strip()
        if not text:
            return Refusal(Problem.EMPTY)
        if len(text) > MAX_ALERT_CHARS:
            return Refusal(Problem.TOO_LONG, length=len(text))
        links = self.knowledge.links
        bad = forbidden_links(text, links.broadcast_allowed, links.broadcast_telegram, links.broadcast_phones)
        if bad:
            return Refusal(Problem.FORBIDDEN, forbidden=tuple(bad), allowed=tuple(links.broadcast_allowed))
        return None

    def as_received(self, text: str, lang: Lang) -> str:
        """The alert exactly as a subscriber in ``lang`` gets it (HTML): for the preview."""
        return alert_html(self.i18n, text, lang)

    async def audience(self, regions: Iterable[str]) -> int:
        """How many subscribers an alert to these regions would reach now."""
        return await self.broadcasts.audience(tuple(regions))

    async def submit(self, author_id: int, text_kk: str, text_ru: str, regions: Iterable[str],
                     scheme: str | None) -> Submitted:
        """Stores the alert, waiting for a second officer, exactly as previewed and as
        recipients will get it (header + escaped text), audits it, and finds who may approve:
        every officer and superadmin but the author. Texts are checked again here, so that no
        caller can store one the policy refuses."""
        for lang, text in (("kk", text_kk), ("ru", text_ru)):
            refusal = self.check(text)
            if refusal is not None:
                raise ValueError(f"the {lang} text is refused ({refusal.problem}): check it with check() before submit()")
        broadcast_id = await self.broadcasts.submit(author_id, self.as_received(text_kk, "kk"),
                                                    self.as_received(text_ru, "ru"), tuple(regions), scheme)
        await self.roles.audit(author_id, "submit", f"broadcast {broadcast_id}")
        broadcast = await self.broadcasts.get(broadcast_id)
        return Submitted(broadcast, await self.broadcasts.approvers(self.superadmins, author_id))

    # --- drafts (a wave's alert, edited in the dashboard) ---------------------------------------

    def _checked(self, text_kk: str, text_ru: str) -> None:
        for lang, text in (("kk", text_kk), ("ru", text_ru)):
            refusal = self.check(text)
            if refusal is not None:
                raise ValueError(f"the {lang} text is refused ({refusal.problem}): check it with check() first")

    async def save_draft(self, draft_id: int, officer: int, text_kk: str, text_ru: str,
                         regions: Iterable[str]) -> bool:
        """Saves a draft's texts and regions, checked by the link policy like any alert's (a
        draft holds no text that could not be sent); audited. False when it is no longer a draft."""
        self._checked(text_kk, text_ru)
        saved = await self.broadcasts.update_draft(draft_id, text_kk.strip(), text_ru.strip(), tuple(regions))
        if saved:
            await self.roles.audit(officer, "draft", f"broadcast {draft_id}")
        return saved

    async def submit_draft(self, draft_id: int, officer: int, text_kk: str, text_ru: str,
                           regions: Iterable[str]) -> Submitted | None:
        """A draft submitted for approval exactly as `submit` stores a new alert: texts checked
        again, stored as recipients get them, the submitting officer its author (a second one
        approves), audited; None when it is no longer a draft (submitted by someone else)."""
        self._checked(text_kk, text_ru)
        if not await self.broadcasts.submit_draft(draft_id, officer, self.as_received(text_kk.strip(), "kk"),
                                                  self.as_received(text_ru.strip(), "ru"), tuple(regions)):
            return None
        await self.roles.audit(officer, "submit", f"broadcast {draft_id}")
        broadcast = await self.broadcasts.get(draft_id)
        return Submitted(broadcast, await self.broadcasts.approvers(self.superadmins, officer))

    # --- deciding -------------------------------------------------------------------------------

    async def review(self, broadcast_id: int, officer: int) -> Review:
        """Before an officer decides: an author pressing their own alert's buttons is refused and
        the attempt audited (a second officer must decide)."""
        broadcast = await self.broadcasts.find(broadcast_id)
        if broadcast is not None and broadcast.author_id == officer:
            await self.roles.audit(officer, "denied", f"self-approval of broadcast {broadcast.id}")
            return Review(broadcast, own=True)
        return Review(broadcast)

    async def approve(self, broadcast_id: int, officer: int) -> bool:
        """Approves a pending alert (paid sending if BROADCAST_PAID) and audits it. False when
        somebody decided first, or the officer is its author. Sending starts with
        ``start_delivery``: the officer's progress message is posted in between, only once the
        decision stands, and must be known before the engine's first report."""
        if not await self.broadcasts.decide(broadcast_id, officer, approve=True, paid=self.paid):
            return False
        await self.roles.audit(officer, "approve", f"broadcast {broadcast_id}")
        return True

    async def start_delivery(self, broadcast_id: int, progress_chat_id: int,
                             progress_message_id: int) -> asyncio.Task[Progress]:
        """Queues an approved alert for every subscriber it is meant for and sends it in the
        background (the engine holds the task and logs its failure; the handler answers at
        once); the engine's progress edits that message."""
        await self.broadcasts.set_progress_message(broadcast_id, progress_chat_id, progress_message_id)
        await self.engine.enqueue(broadcast_id)
        return self.engine.start(broadcast_id)

    async def reject(self, broadcast_id: int, officer: int, reason: str) -> Rejection | None:
        """Rejects a pending alert with the officer's reason (which the author will read) and
        audits it, the reason redacted. None when somebody decided first, or there is no such
        alert, or the officer is its author."""
        reason = reason.strip()[:MAX_REASON_CHARS] or "-"
        broadcast = await self.broadcasts.find(broadcast_id)
        if broadcast is None or not await self.broadcasts.decide(broadcast_id, officer, approve=False, reason=reason):
            return None
        await self.roles.audit(officer, "reject", f"broadcast {broadcast_id}: {redact(reason)}")
        return Rejection(replace(broadcast, status=BroadcastStatus.REJECTED), reason)

    async def cancel(self, broadcast_id: int, officer: int) -> None:
        """Stops a broadcast: the messages already on their way arrive, nothing more is sent."""
        self.engine.cancel(broadcast_id)
        await self.roles.audit(officer, "cancel", f"broadcast {broadcast_id}")
