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

**Retraining** (`retrain`, issue 14): a classifier fitted on the knowledge base plus officers'
examples replaces the one in use without a restart, and no check fails or waits for it. In
production a throwaway child at low priority with one thread fits it and saves it in the
model cache (retraining.py); a new worker then loads it from there (on a low-priority thread
of its own), answers one check, and is swapped in between two batches; the old worker is
closed once its last batch is answered. In the tests' in-thread mode a new thread does the
same. One retrain runs at a time and the latest request wins: a request that comes while one
is running stops it (in-thread: lets it finish unused) and runs instead, and the earlier
callers get the report of the one that ran. A failed retrain logs one line, raises
`RetrainFailed`, and the classifier in use goes on.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from bot.classifier.retraining import (
    Example,
    RetrainFailed,
    RetrainReport,
    fit_and_cache,
    low_priority,
    on_low_priority_thread,
    summary,
)
from bot.classifier.settings import ClassifierSettings
from bot.workers.pool import WorkerPool

if TYPE_CHECKING:
    # Imported where used: a worker process imports this module to find its initializer, and
    # the model's libraries (numpy, scikit-learn: a second of CPU) should load in the
    # initializer, on the low-priority thread of a worker a retrain starts.
    from bot.classifier.classifier import Classifier
    from bot.classifier.verdict import Verdict

log = logging.getLogger(__name__)

MAX_BATCH = 32
MAX_BATCH_CHARS = 4096  # one of Telegram's longest messages per batch: a batch stays a few ms
SHORT_TEXT = 1000  # texts this short always join the next batch
CLOSE_TIMEOUT = 3.0  # seconds a worker process gets to exit when the bot stops
LOG_FORMAT = "%(levelname)s %(name)s [classifier]: %(message)s"
RETRAIN_TIMEOUT = 1800.0  # seconds a retrain may take, niced on a busy machine, before it counts as failed
Outcome = "Verdict | Exception"
Pending = tuple[str, "asyncio.Future[Verdict]"]
Classify = Callable[[Sequence[str]], list[Outcome]]


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


def _build_in_worker(settings: ClassifierSettings, log_level: str, examples: Sequence[Example] = (),
                     quietly: bool = False) -> None:
    """The pool's initializer, in the child: it gets the classifier's section of the settings,
    the log level and the officers' examples of the last retrain, nothing else (no bot token
    crosses into it). ``quietly``: a worker started by a retrain loads (or, with no model
    cache, fits) its classifier on a low-priority thread, beside the worker answering now."""
    global _worker_classifier  # noqa: PLW0603 - the documented per-process worker state
    from bot.classifier.classifier import Classifier
    from bot.knowledge import load_knowledge

    logging.basicConfig(level=log_level, format=LOG_FORMAT)

    def build() -> Classifier:
        knowledge = load_knowledge(settings.knowledge_dir)
        return Classifier.build(knowledge.with_examples(examples) if examples else knowledge, settings)

    _worker_classifier = on_low_priority_thread(build) if quietly else build()


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


class _Superseded(Exception):
    """A newer retrain request came while this one was being built."""


@dataclass
class _Request:
    examples: list[Example]
    waiters: list[asyncio.Future[RetrainReport]] = field(default_factory=list)


# Builds the classifier for a retrain: (the pool it answers in, the batch function, figures).
Builder = Callable[[list[Example], "ClassifierService"], Awaitable[tuple[WorkerPool, Classify, dict[str, Any]]]]


class ClassifierService:
    def __init__(self, pool: WorkerPool, classify: Classify, max_batch: int = MAX_BATCH, *,
                 builder: Builder | None = None) -> None:
        self._runner: tuple[WorkerPool, Classify] = (pool, classify)
        self.max_batch = max_batch
        self._queue: asyncio.Queue[tuple[str, asyncio.Future[Verdict]]] | None = None
        self._worker: asyncio.Task[None] | None = None
        self._builder = builder
        self._request: _Request | None = None  # the latest retrain request not started yet
        self._retraining: asyncio.Task[None] | None = None
        self._newer = asyncio.Event()  # set when a request comes while a retrain runs
        self._starting: set[WorkerPool] = set()  # pools a retrain has started and not swapped in yet
        self._batch_pool: WorkerPool | None = None  # the pool the batch in flight runs on
        self._batch_over = asyncio.Event()
        self.retrains = 0  # retrains swapped in

    @property
    def pool(self) -> WorkerPool:
        """The pool that answers checks now (a retrain swaps it)."""
        return self._runner[0]

    @classmethod
    def in_thread(cls, classifier: Classifier) -> ClassifierService:
        """For tests: a ready classifier on a thread. A retrain rebuilds it (`Classifier.rebuild`:
        same settings and backend) on the knowledge base it was built on plus the examples."""
        base = classifier.knowledge

        async def build(examples: list[Example], service: ClassifierService) -> tuple[WorkerPool, Classify, dict]:
            pool = service._started(WorkerPool.threads(name="classify"))
            started = time.perf_counter()
            fresh = await pool.run(lambda: classifier.rebuild(base.with_examples(examples)))
            return pool, partial(classify_outcomes, fresh), summary(fresh, len(examples), time.perf_counter() - started)

        return cls(WorkerPool.threads(name="classify"), partial(classify_outcomes, classifier), builder=build)

    @classmethod
    def in_process(cls, settings: ClassifierSettings, log_level: str = "INFO") -> ClassifierService:
        """The classifier built and run in a child process, from ``settings`` alone."""

        async def build(examples: list[Example], service: ClassifierService) -> tuple[WorkerPool, Classify, dict]:
            fitter = service._started(WorkerPool(low_priority, name="classifier-retrain"))
            try:
                figures = await fitter.run(fit_and_cache, settings, examples, log_level)
            finally:
                service._starting.discard(fitter)
                await asyncio.to_thread(fitter.close, 0.5)
            pool = service._started(WorkerPool(_build_in_worker, (settings, log_level, tuple(examples), True),
                                               name="classifier"))
            await pool.warm_up()  # loads the classifier the fitter saved, on a low-priority thread
            return pool, _classify_in_worker, figures

        return cls(WorkerPool(_build_in_worker, (settings, log_level), name="classifier"), _classify_in_worker,
                   builder=build)

    def _started(self, pool: WorkerPool) -> WorkerPool:
        self._starting.add(pool)
        return pool

    async def retrain(self, examples: Sequence[Example]) -> RetrainReport:
        """A classifier fitted on the knowledge base plus ``examples`` (``(label, text, lang)``:
        an officer's label — a scheme id, not_fraud or fraud_warning —, the redacted text, its
        language; all of them, not only the new ones) replaces the one in use; see the module's
        doc. Returns when it answers checks, or when a later request's retrain does (whose
        report it returns). Raises `RetrainFailed` (logged) and keeps the classifier in use."""
        if self._builder is None:
            raise RetrainFailed("this classifier service cannot retrain: make it with in_thread or in_process")
        waiter: asyncio.Future[RetrainReport] = asyncio.get_running_loop().create_future()
        earlier = self._request.waiters if self._request is not None else []
        self._request = _Request([(str(label), str(text), str(lang)) for label, text, lang in examples],
                                 [*earlier, waiter])
        self._newer.set()
        if self._retraining is None or self._retraining.done():
            self._retraining = asyncio.create_task(self._retrain_loop(), name="classifier-retrain")
        return await waiter

    @property
    def retraining(self) -> bool:
        return self._retraining is not None and not self._retraining.done()

    async def _retrain_loop(self) -> None:
        while self._request is not None:
            request, self._request = self._request, None
            self._newer.clear()
            try:
                report = await self._retrain_one(request.examples)
            except _Superseded:
                assert self._request is not None, "superseded by a request"
                self._request.waiters[:0] = request.waiters  # the newer retrain answers them
                log.info("retrain with %d reviewed examples stopped: a newer request came", len(request.examples))
                continue
            except Exception as exc:  # noqa: BLE001 - any failure keeps the classifier in use
                cause = f"{type(exc).__name__}: {str(exc)[:1000]}"
                log.error("retrain with %d reviewed examples failed (%s); the classifier in use stays",
                          len(request.examples), cause)
                error = RetrainFailed(f"the retrain failed ({cause}); the classifier in use stays")
                for waiter in request.waiters:
                    if not waiter.done():
                        waiter.set_exception(error)
                continue
            report.log(log)
            for waiter in request.waiters:
                if not waiter.done():
                    waiter.set_result(report)

    async def _retrain_one(self, examples: list[Example]) -> RetrainReport:
        assert self._builder is not None
        started = time.perf_counter()
        build = asyncio.ensure_future(self._builder(examples, self))
        newer = asyncio.ensure_future(self._newer.wait())
        done: set[asyncio.Future[Any]] = set()
        try:
            done, _ = await asyncio.wait({build, newer}, timeout=RETRAIN_TIMEOUT, return_when=asyncio.FIRST_COMPLETED)
        finally:
            newer.cancel()
            if build not in done:  # superseded, timed out, or the service is closing
                build.cancel()
                await asyncio.gather(build, return_exceptions=True)
                await self._close_starting()
        if build not in done:
            if newer in done:
                raise _Superseded
            raise TimeoutError(f"no classifier after {RETRAIN_TIMEOUT:.0f} s")
        try:
            pool, classify, figures = build.result()
            warm = (await pool.run(classify, ["SaqBol"]))[0]  # answers a check before it answers people
            if isinstance(warm, Exception):
                raise warm
        except BaseException:
            await self._close_starting()
            raise
        old_pool = self.pool
        self._runner = (pool, classify)  # the next batch goes to the new classifier
        self._starting.discard(pool)
        self.retrains += 1
        while self._batch_pool is old_pool:  # the batch in flight on the old one is answered first
            self._batch_over.clear()
            await self._batch_over.wait()
        await asyncio.to_thread(old_pool.close)
        return RetrainReport(seconds=round(time.perf_counter() - started, 2), **figures)

    async def _close_starting(self) -> None:
        pools, self._starting = list(self._starting), set()
        for pool in pools:
            await asyncio.to_thread(pool.close, 0.5)

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
            pool, classify = self._runner
            self._batch_pool = pool
            try:
                outcomes: list[Outcome] = await pool.run(classify, [text for text, _ in batch])
            except BrokenProcessPool as exc:  # the child died (out of memory, killed): the next batch starts a new one
                log.error("classifier process died (%s); starting a new one", exc)
                outcomes = [exc] * len(batch)
            except RuntimeError as exc:  # the pool is closed, the bot is stopping: nobody waits forever
                outcomes = [exc] * len(batch)
            finally:
                self._batch_pool = None
                self._batch_over.set()
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
        if self._retraining is not None:
            self._retraining.cancel()
        for pool in [*self._starting, self.pool]:
            pool.close(timeout)
        self._starting.clear()
