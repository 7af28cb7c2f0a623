"""A text the person wants checked → its verdict, kept as a stored check.

One use case shared by every way a message to check reaches the bot: typed, pasted or
forwarded (the verdict comes from the conversation service), and read from a screenshot
(checked here). No Telegram here; `bot/telegram/answers.py` sends the verdict.

The words, one concept each: the *classifier* (its worker processes: `ClassifierService`) gives a
*verdict* for a text; the verdict kept in the `checks` table (redacted, `ChecksRepo`) is a
*stored check*, whose id the buttons under the answer carry. This service joins the two.

Storage only remembers, it never decides whether the user gets the verdict: when the write
fails or takes longer than a moment (a locked database, a full disk, a read-only file), the
verdict goes out without the buttons that need the stored check, after one log line.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.classifier import Verdict
from bot.classifier.service import ClassifierService
from bot.services.conversation import Conversation
from bot.storage.checks import ChecksRepo, Medium
from bot.storage.database import best_effort


@dataclass(frozen=True)
class Checked:
    """A verdict and the stored check its buttons point at (None: nothing was stored)."""

    verdict: Verdict
    check_id: int | None


class Verdicts:
    def __init__(self, checker: ClassifierService, checks: ChecksRepo, conversation: Conversation) -> None:
        self.checker = checker
        self.checks = checks
        self.conversation = conversation

    async def check(self, text: str) -> Verdict:
        """The classifier's verdict for a text that is a message to check whatever it says (a
        screenshot's text); raises `EmptyText` when there is nothing to read in it."""
        return await self.checker.check(text)

    async def keep(self, user_id: int | None, text: str, medium: Medium, verdict: Verdict) -> Checked:
        """Stores the check (best effort) before the answer goes out, so its buttons can point
        at it; ``user_id`` None (no sender): nothing is stored."""
        check_id = None
        if user_id is not None:
            check_id = await best_effort(self.checks.add(user_id, text, medium, verdict), "check")
        return Checked(verdict, check_id)

    async def remember(self, user_id: int | None, verdict: Verdict) -> None:
        """After the answer: the next follow-up has this verdict as its context (best effort)."""
        if user_id is not None:
            await self.conversation.remember_check(user_id, verdict)
