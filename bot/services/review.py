"""The officers' review queue: the next item, and an officer's decision on it.

Items (`bot.storage.reviews`): *text items* (a check a person disputed, or a verdict the
classifier was unsure of) and *identifier items* (a number, card, site or account that enough
seasoned users reported). An officer labels a text with a scheme, ``not_fraud`` or
``fraud_warning``; confirms or clears an identifier; or skips the item to the back of the queue.

No Telegram here: ids in, results out; `bot/handlers/review.py` words them. Whether the caller is
an officer is the handler's role filter, read on every update before any of this runs; every
decision is written to the audit trail by storage, in the statement that makes it.

A label creates a pending *notice* for everyone who asked about the text (storage does, in the
label's statement); the notice sender is woken to send them (`bot.services.notices`).

A label is also a *reviewed example*: the exact text gets the officer's label at once (the
verdicts' exact-match lookup), and `Learning.schedule()` retrains the classifier with it in the
background (debounced: a run of labels costs one retrain), so similar texts learn it too,
without a restart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from bot.classifier.identifiers import Identifier
from bot.knowledge import KnowledgeBase
from bot.services.notices import NoticeSender
from bot.storage import Repositories
from bot.storage.reviews import IdentifierItem, Labelled, TextItem

if TYPE_CHECKING:
    from bot.services.learning import Learning

Item = TextItem | IdentifierItem
IdentifierDecision = Literal["confirmed", "cleared"]


@dataclass(frozen=True)
class Next:
    """The item to show (None: the queue is empty) and how many are waiting, it included."""

    item: Item | None
    pending: int


class ReviewService:
    def __init__(self, repos: Repositories, learning: Learning | None, knowledge: KnowledgeBase,
                 notices: NoticeSender | None = None) -> None:
        """``learning`` None: labels are stored and matched exactly, without retraining (a
        classifier that cannot be retrained). ``notices``: the sender to wake after a label, so
        the people who asked are told at once; None: at its next round."""
        self.repos = repos
        self.learning = learning
        self.knowledge = knowledge
        self.notices = notices

    @property
    def labels(self) -> list[str]:
        """What a text may be labelled: each scheme, in the knowledge base's order, then
        ``not_fraud`` and ``fraud_warning`` (`KnowledgeBase.review_labels`)."""
        return self.knowledge.review_labels()

    async def next(self) -> Next:
        item = await self.repos.reviews.next_item()
        return Next(item, await self.repos.reviews.pending() if item is not None else 0)

    async def label(self, officer_id: int, item_id: int, label: str) -> Labelled | None:
        """Stores the label of a text item, with a notice for everyone who asked about that
        text, and schedules a retrain. None: the item is gone (decided by another officer,
        deleted with its check by /forget), is not a text item, or the label is not one of
        `labels` (a forged button): nothing is stored."""
        if label not in self.labels:
            return None
        labelled = await self.repos.reviews.label(officer_id, item_id, label)
        if labelled is None:
            return None
        if self.learning is not None:
            self.learning.schedule()
        if labelled.noticed and self.notices is not None:
            self.notices.wake()
        return labelled

    async def decide(self, officer_id: int, item_id: int, decision: IdentifierDecision) -> Identifier | None:
        """Confirms or clears an identifier item (audited by the reviews' triggers); None: the
        item is gone or is not an identifier item."""
        return await self.repos.reviews.decide_identifier(officer_id, item_id, decision)

    async def skip(self, officer_id: int, item_id: int) -> bool:
        """The item goes to the back of the queue (audited); False: it is gone."""
        return await self.repos.reviews.skip(officer_id, item_id)
