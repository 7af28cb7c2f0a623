"""A text the person wants checked → its verdict, kept as a stored check, with what is known of
its numbers, cards and links.

One use case shared by every way a message to check reaches the bot: typed, pasted or
forwarded (the verdict comes from the conversation service), and read from a screenshot
(checked here). No Telegram here; `bot/telegram/answers.py` sends the verdict.

The words, one concept each: the *classifier* (its worker processes: `ClassifierService`) gives a
*verdict* for a text; the verdict kept in the `checks` table (redacted, `ChecksRepo`) is a
*stored check*, whose id the buttons under the answer carry. This service joins the two, and:

- **an officer's label wins**: a text identical, after redaction, to one an officer labelled
  gets the officer's verdict at once (`reviewed_verdict`), before any retrain has learnt it;
- **uncertain verdicts go to the officers**: a verdict the classifier hedged ("I can't tell",
  a reason in `why`, or a low risk) is queued for review when stored, so the knowledge base
  grows where it is weakest;
- **reputation**: the identifiers of the text are looked up (`Reputation`), and under a risky
  verdict the ones a person may report are offered (`Reports.offer`, in memory until tapped).

Storage only remembers, it never decides whether the user gets the verdict: when a write or a
lookup fails or takes longer than a moment (a locked database, a full disk, a read-only
file), the verdict goes out without what needed it, after one log line.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from bot.classifier import Verdict
from bot.classifier.service import ClassifierService
from bot.classifier.verdict import REVIEWED_BY_OFFICER, reviewed_verdict
from bot.knowledge import KnowledgeBase
from bot.metrics import Metrics
from bot.services.conversation import Conversation
from bot.services.reports import Reports
from bot.services.reputation import Finding
from bot.storage import Repositories
from bot.storage.checks import NOVEL, Medium, text_hash
from bot.storage.database import best_effort

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Checked:
    """A verdict, the stored check its buttons point at (None: nothing was stored), what is
    known of the text's identifiers, and the offer of those a person may report (None: none)."""

    verdict: Verdict
    check_id: int | None
    findings: tuple[Finding, ...] = ()
    report_offer: int | None = None


def low_confidence(verdict: Verdict) -> bool:
    """A verdict worth an officer's look: "I can't tell", hedged for a reason, or a low risk
    (neither calm nor a scam). An officer's own label is never uncertain."""
    hedges = [reason for reason in verdict.why if reason != REVIEWED_BY_OFFICER]
    return verdict.kind == "unsure" or bool(hedges) or verdict.risk == "low"


def offers_report(verdict: Verdict) -> bool:
    """Under a risky verdict only: a genuine warning about fraud names no fraudster."""
    return verdict.is_scam and verdict.kind != "fraud_warning"


class Verdicts:
    def __init__(self, checker: ClassifierService, repos: Repositories, conversation: Conversation,
                 reports: Reports, knowledge: KnowledgeBase, metrics: Metrics | None = None, *,
                 on_candidate: Callable[[], None] | None = None) -> None:
        """``metrics``: every verdict kept is counted there (``saqbol_checks_total``) and the
        classifier's time timed; the bot passes its own, a test without one gets a private one.
        ``on_candidate``: called when a risky or novel check was stored (the wave detector's
        nudge: it looks within seconds instead of at its next poll)."""
        self.on_candidate = on_candidate
        self.checker = checker
        self.metrics = metrics if metrics is not None else Metrics(knowledge.schemes)
        self.repos = repos
        self.conversation = conversation
        self.reports = reports
        self.knowledge = knowledge

    async def check(self, text: str) -> Verdict:
        """The classifier's verdict for a text that is a message to check whatever it says (a
        screenshot's text); raises `EmptyText` when there is nothing to read in it."""
        with self.metrics.classifying():
            return await self.checker.check(text)

    async def keep(self, user_id: int | None, text: str, medium: Medium, verdict: Verdict) -> Checked:
        """Applies an officer's label of this very text, stores the check (best effort) and
        queues it for review when uncertain, looks up its identifiers and offers the
        reportable ones under a risky verdict; all before the answer goes out, so its buttons
        can point at them. ``user_id`` None (no sender): nothing is stored or offered."""
        verdict = await self.reviewed(text, verdict)
        self.metrics.checked(verdict.risk, verdict.scheme, verdict.language)
        check_id = None
        if user_id is not None:
            check_id = await best_effort(self.repos.checks.add(user_id, text, medium, verdict), "check")
            if check_id is not None and low_confidence(verdict):
                await best_effort(self.repos.reviews.enqueue_check(check_id, "low_confidence"), "review queue")
            if check_id is not None and self.on_candidate is not None and (
                    verdict.risk in ("high", "medium") or NOVEL in verdict.why):
                self.on_candidate()
        findings = tuple(await self.reports.reputation.lookup(text))
        offer = None
        if user_id is not None and offers_report(verdict):
            offer = await self.reports.offer(user_id, self.reports.reportable(findings))
        return Checked(verdict, check_id, findings, offer)

    async def reviewed(self, text: str, verdict: Verdict) -> Verdict:
        """The officer's verdict when this text (redacted) was labelled, else ``verdict``. A
        label the knowledge base no longer knows (a scheme removed since) is ignored, logged."""
        label = await best_effort(self.repos.reviews.reviewed_label(text_hash(text)), "reviewed label")
        if label is None:
            return verdict
        try:
            return reviewed_verdict(verdict, label, self.knowledge)
        except ValueError as exc:
            log.warning("an officer's label is not in the knowledge base any more, ignored: %s", exc)
            return verdict

    async def remember(self, user_id: int | None, verdict: Verdict) -> None:
        """After the answer: the next follow-up has this verdict as its context (best effort)."""
        if user_id is not None:
            await self.conversation.remember_check(user_id, verdict)
