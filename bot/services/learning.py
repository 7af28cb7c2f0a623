"""The knowledge base grows without a restart (issue 14): officers' labels become examples and
the classifier is retrained with them in the background.

An officer labels texts one after another in `/review`; each label calls `schedule`, which
waits until the officer pauses (DEBOUNCE seconds without a new label, at most MAX_WAIT after
the first one) and then retrains once with every reviewed example in the database, not one
retrain per label. At start (`at_start`) a database that already holds reviewed examples
retrains the classifier the bot just built from the written knowledge base; the bot answers
meanwhile with that one. `ClassifierService.retrain` does the work: a low-priority child
fits, a new worker is swapped in between two batches, and a failure keeps the classifier in
use (it logs; the next label tries again).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from typing import TYPE_CHECKING

from bot.classifier.retraining import RetrainFailed, RetrainReport

if TYPE_CHECKING:
    from bot.classifier.service import ClassifierService
    from bot.storage.reviews import ReviewsRepo

log = logging.getLogger(__name__)

DEBOUNCE = 2.0  # seconds without a new label before the retrain starts
MAX_WAIT = 30.0  # ...but no later than this after the first label of a run of them


class Learning:
    """Retrains ``checker`` with the reviewed examples ``reviews`` holds."""

    def __init__(self, checker: ClassifierService, reviews: ReviewsRepo, *, debounce: float = DEBOUNCE,
                 max_wait: float = MAX_WAIT) -> None:
        self.checker = checker
        self.reviews = reviews
        self.debounce = debounce
        self.max_wait = max_wait
        self._timer: asyncio.Task[None] | None = None
        self._first_asked: float | None = None  # the first schedule() of the run the timer waits for
        self._tasks: set[asyncio.Task[RetrainReport | None]] = set()
        self.last: RetrainReport | None = None  # the last retrain swapped in

    def schedule(self) -> None:
        """A label was given: retrain soon, once for a run of labels. Call from the event loop."""
        now = time.monotonic()
        if self._timer is not None and not self._timer.done():
            self._timer.cancel()
        else:
            self._first_asked = now
        assert self._first_asked is not None
        delay = max(0.0, min(self.debounce, self._first_asked + self.max_wait - now))
        self._timer = asyncio.get_running_loop().create_task(self._after(delay), name="learning-debounce")

    async def _after(self, delay: float) -> None:
        await asyncio.sleep(delay)
        self._first_asked = None
        self._in_background()

    def _in_background(self) -> None:
        task = asyncio.get_running_loop().create_task(self._quietly(), name="learning-retrain")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _quietly(self) -> RetrainReport | None:
        try:
            return await self.retrain_now()
        except RetrainFailed:
            return None  # ClassifierService logged why; the classifier in use stays
        except Exception:  # noqa: BLE001 - a background task has nobody to raise to
            log.exception("learning: the reviewed examples could not be read; the classifier in use stays")
            return None

    async def retrain_now(self) -> RetrainReport | None:
        """Retrain with every reviewed example now and wait for the swap. None when there is no
        reviewed example and nothing was learnt before (the written knowledge base is in use).
        Raises `RetrainFailed` (the classifier in use stays)."""
        examples = await self.reviews.reviewed_examples()
        if not examples and self.last is None:
            log.info("learning: no reviewed examples yet; the classifier of the written knowledge base stays")
            return None
        labels = Counter(example.label for example in examples)
        log.info("learning: retraining with %d reviewed examples (%s)", len(examples),
                 ", ".join(f"{label} {count}" for label, count in labels.most_common()))
        started = time.perf_counter()
        report = await self.checker.retrain([(e.label, e.text, e.language) for e in examples])
        self.last = report
        log.info("learning: %d reviewed examples in use after %.1f s (fit %.1f s); out of fold recall %.3f, "
                 "FPR %.3f, scheme accuracy %.3f", report.reviewed, time.perf_counter() - started,
                 report.fit_seconds, report.recall, report.fpr, report.scheme_accuracy)
        return report

    async def at_start(self) -> None:
        """When the database holds reviewed examples, retrain in the background (the bot answers
        with the written knowledge base's classifier meanwhile). Returns at once."""
        count = await self.reviews.count_reviewed()
        if count:
            log.info("learning: %d reviewed examples in the database; retraining in the background", count)
            self._in_background()

    @property
    def idle(self) -> bool:
        return (self._timer is None or self._timer.done()) and not self._tasks

    async def wait_idle(self) -> None:
        """Until no retrain is waiting or running (for tests and a clean stop)."""
        while not self.idle:
            pending = [*self._tasks, *([self._timer] if self._timer is not None and not self._timer.done() else [])]
            await asyncio.gather(*pending, return_exceptions=True)

    def close(self) -> None:
        """Stops a waiting or running retrain (the bot is stopping)."""
        if self._timer is not None:
            self._timer.cancel()
        for task in self._tasks:
            task.cancel()
