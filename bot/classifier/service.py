"""The classifier as an asynchronous service for the bot.

Classification is CPU work (about 1–2 ms a text lexical, tens of ms with the transformer),
so it never runs on the event loop:

- In production it runs in a **child process** that builds the classifier itself: the bot's
  event loop and the classifier then use two cores instead of fighting over one GIL (with
  both in one process, a 2 ms classification took 8 ms under load, waiting for the GIL).
- Tests hand in a ready classifier and run it on a **thread**, to build it only once.

Either way texts are classified in **batches**: texts that arrive while a batch is being
classified go together into the next one. Alone, a text is checked at once; under load one
batch costs far less than its texts one by one (one encoder call, one hand-off), so
throughput rises exactly when it is needed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from concurrent.futures.process import BrokenProcessPool
from functools import partial

from bot.classifier import Classifier, Verdict
from bot.classifier.settings import ClassifierSettings
from bot.workers.pool import WorkerPool

log = logging.getLogger(__name__)

MAX_BATCH = 32
MAX_BATCH_CHARS = 4096  # one of Telegram's longest messages per batch: a batch stays a few ms
SHORT_TEXT = 1000  # texts this short always join the next batch
CLOSE_TIMEOUT = 3.0  # seconds a worker process gets to exit when the bot stops
LOG_FORMAT = "%(levelname)s %(name)s [classifier]: %(message)s"
Outcome = Verdict | Exception
Pending = tuple[str, "asyncio.Future[Verdict]"]


def classify_outcomes(classifier: Classifier, texts: Sequence[str]) -> list[Outcome]:
    """One call for the batch; if any text fails (an empty one, say), each text alone, so one
    bad text never costs the others their answers. Exceptions are returned, not raised."""
    try:
        return list(classifier.classify_many(texts))
    except Exception:  # noqa: BLE001 - sorted out text by text below
        outcomes: list[Outcome] = []
        for text in texts:
            try:
                outcomes.append(classifier.classify(text))
            except Exception as exc:  # noqa: BLE001 - handed to the waiting handler
                if not isinstance(exc, ValueError):
                    log.exception("classifier failed on a text of %d characters", len(text))
                outcomes.append(exc)
        return outcomes


# The child process's own classifier, built once by the pool's initializer. It is state of
# that worker process only; the bot's process never reads it.
_worker_classifier: Classifier | None = None


def _build_in_worker(settings: ClassifierSettings, log_level: str) -> None:
    """The pool's initializer, in the child: it gets the classifier's section of the settings
    and the log level, nothing else (no bot token crosses into it)."""
    global _worker_classifier  # noqa: PLW0603 - the documented per-process worker state
    from bot.knowledge import load_knowledge

    logging.basicConfig(level=log_level, format=LOG_FORMAT)
    _worker_classifier = Classifier.build(load_knowledge(settings.knowledge_dir), settings)


def _classify_in_worker(texts: Sequence[str]) -> list[Outcome]:
    assert _worker_classifier is not None, "the pool initializer builds the classifier"
    return classify_outcomes(_worker_classifier, texts)


def next_batch(pending: list[Pending], max_batch: int,
               max_chars: int = MAX_BATCH_CHARS) -> tuple[list[Pending], list[Pending]]:
    """(the next batch, what stays queued). The oldest text always goes, then the others
    shortest first: short ones (up to SHORT_TEXT characters) always, longer ones while the
    batch holds at most ``max_chars``. One user's walls of text then go one a batch, and a
    short message that arrives behind them goes in the next batch instead of waiting for all
    of them; taking the oldest first means no text waits forever."""
    order = [0, *sorted(range(1, len(pending)), key=lambda i: len(pending[i][0]))]
    chosen: set[int] = set()
    chars = 0
    for i in order:
        size = len(pending[i][0])
        if len(chosen) >= max_batch or (chosen and size > SHORT_TEXT and chars + size > max_chars):
            break
        chosen.add(i)
        chars += size
    return [p for i, p in enumerate(pending) if i in chosen], [p for i, p in enumerate(pending) if i not in chosen]


class ClassifierService:
    def __init__(self, pool: WorkerPool, classify: Callable[[Sequence[str]], list[Outcome]],
                 max_batch: int = MAX_BATCH) -> None:
        self.pool = pool
        self._classify = classify
        self.max_batch = max_batch
        self._queue: asyncio.Queue[tuple[str, asyncio.Future[Verdict]]] | None = None
        self._worker: asyncio.Task[None] | None = None

    @classmethod
    def in_thread(cls, classifier: Classifier) -> ClassifierService:
        return cls(WorkerPool.threads(name="classify"), partial(classify_outcomes, classifier))

    @classmethod
    def in_process(cls, settings: ClassifierSettings, log_level: str = "INFO") -> ClassifierService:
        """The classifier built and run in a child process, from ``settings`` alone."""
        return cls(WorkerPool(_build_in_worker, (settings, log_level), name="classifier"), _classify_in_worker)

    async def warm_up(self) -> Verdict:
        """Check one text, so a broken model or knowledge base fails at start, not on a user."""
        return await self.check("SaqBol")

    async def check(self, text: str) -> Verdict:
        """Raises `EmptyText` when there is nothing to check."""
        if self._queue is None or self._worker is None or self._worker.done():
            self._queue = asyncio.Queue()
            self._worker = asyncio.create_task(self._work(self._queue), name="classifier-batches")
        future: asyncio.Future[Verdict] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((text, future))
        return await future

    async def _work(self, queue: asyncio.Queue[tuple[str, asyncio.Future[Verdict]]]) -> None:
        pending: list[Pending] = []
        while True:
            if not pending:
                pending.append(await queue.get())
            while not queue.empty():
                pending.append(queue.get_nowait())
            batch, pending = next_batch(pending, self.max_batch)
            try:
                outcomes: list[Outcome] = await self.pool.run(self._classify, [text for text, _ in batch])
            except BrokenProcessPool as exc:  # the child died (out of memory, killed): the next batch starts a new one
                log.error("classifier process died (%s); starting a new one", exc)
                outcomes = [exc] * len(batch)
            except RuntimeError as exc:  # the pool is closed, the bot is stopping: nobody waits forever
                outcomes = [exc] * len(batch)
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                if future.done():  # the waiting handler was cancelled
                    continue
                if isinstance(outcome, Exception):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)

    def close(self, timeout: float = CLOSE_TIMEOUT) -> None:
        """Stops the worker: the batch it is on finishes (milliseconds), queued ones are dropped.
        Waits for the process to exit, up to ``timeout`` seconds, then terminates it, so that a
        stopping bot leaves no classifier process behind."""
        if self._worker is not None:
            self._worker.cancel()
        self.pool.close(timeout)
