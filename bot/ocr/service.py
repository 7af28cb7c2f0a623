"""Screenshot reading as an asynchronous service for the bot.

OCR costs 0.2–1 s of CPU a picture, so it never runs on the event loop: a pool of worker
processes (spawned, each with its Tesseract engine loaded once) reads the pictures.

- **Bounded queue.** At most ``workers + queue`` pictures are accepted at once; one more gets
  `OcrBusy` at once, and the user is asked to send it again in a minute, instead of waiting
  behind a crowd with no answer. Text checks never wait for pictures: they use another process.
- **Time limit per picture.** Tesseract stops a recognition that runs past the limit, inside
  the worker (its own timeout), so a heavy picture frees its worker; the event loop also stops
  waiting a little after the limit, whatever happens in the worker.
- **No Tesseract.** The service starts anyway and says why once in the log; `read` raises
  `OcrUnavailable`, and the bot tells the user it cannot read pictures on this server.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from bot.ocr.preprocess import MAX_BYTES, ImageError, prepare
from bot.ocr.tesseract import (
    LANGUAGES,
    Installation,
    ReadText,
    RecognitionTimeout,
    TesseractMissing,
    TesseractReader,
    find_tesseract,
)

from bot.workers.lifetime import exit_with_parent, stop_pool

log = logging.getLogger(__name__)

GRACE = 2.0  # seconds the event loop waits past the limit before giving up on a worker


class OcrUnavailable(RuntimeError):
    """This server cannot read pictures (Tesseract or its language models are missing)."""


class OcrBusy(RuntimeError):
    """Too many pictures are being read right now; try again shortly."""


class OcrTimeout(RuntimeError):
    """The picture took longer than the time limit to read."""


# The worker process's own engine, built by the pool's initializer; state of that process only.
_worker_reader: TesseractReader | None = None


def _start_worker(installation: Installation) -> None:
    global _worker_reader  # noqa: PLW0603 - the documented per-process worker state
    exit_with_parent()  # a kill -9 of the bot must not leave readers running
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # one core a worker; the pool is the parallelism
    _worker_reader = TesseractReader(installation)


def read_in_worker(data: bytes, time_limit: float) -> ReadText:
    assert _worker_reader is not None, "the pool initializer builds the reader"
    return _worker_reader.read(prepare(data), time_limit)


class OcrService:
    def __init__(self, *, workers: int = 1, queue: int = 8, time_limit: float = 8.0,
                 tessdata: Path | None = None, languages: tuple[str, ...] = LANGUAGES) -> None:
        self.time_limit = time_limit
        self.capacity = workers + queue
        self._workers = workers
        self._pending = 0
        self._executor: ProcessPoolExecutor | None = None
        try:
            self._installation: Installation | None = find_tesseract(tessdata, languages)
            self.unavailable_reason: str | None = None
        except TesseractMissing as exc:
            self._installation = None
            self.unavailable_reason = str(exc)
            log.warning("pictures will not be read on this server: %s", exc)

    @property
    def available(self) -> bool:
        return self._installation is not None

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=self._workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker, initargs=(self._installation,))
        return self._executor

    async def read(self, data: bytes) -> ReadText:
        """The text in a picture. Raises `OcrUnavailable`, `OcrBusy`, `OcrTimeout`, `ImageError`."""
        if self._installation is None:
            raise OcrUnavailable(self.unavailable_reason)
        if len(data) > MAX_BYTES:  # refused before it costs a worker anything
            raise ImageError("too_large", f"{len(data)} bytes")
        if self._pending >= self.capacity:
            raise OcrBusy(f"{self._pending} pictures in the queue")
        self._pending += 1
        try:
            return await self._read(data)
        finally:
            self._pending -= 1

    async def _read(self, data: bytes) -> ReadText:
        pool = self._pool()
        future = asyncio.get_running_loop().run_in_executor(pool, read_in_worker, data, self.time_limit)
        # Waiting in the queue does not count against a picture's own limit.
        queued_ahead = max(0, self._pending - self._workers)
        budget = (self.time_limit + GRACE) * (1 + queued_ahead / self._workers)
        try:
            return await asyncio.wait_for(future, budget)
        except RecognitionTimeout as exc:
            raise OcrTimeout(str(exc)) from exc
        except TimeoutError as exc:
            raise OcrTimeout(f"no answer from the worker in {budget:.0f} s") from exc
        except BrokenProcessPool as exc:  # a worker died on this picture (out of memory, a crash)
            log.error("OCR worker died (%s); starting new ones", exc)
            self._executor = None
            raise ImageError("broken", "the reader crashed on it") from exc

    async def warm_up(self) -> None:
        """Starts the workers, so the first user's picture does not wait for them."""
        if self._installation is not None:
            pool = self._pool()
            await asyncio.gather(*(asyncio.get_running_loop().run_in_executor(pool, _ready) for _ in range(self._workers)))

    def close(self, timeout: float = 3.0) -> None:
        """Stops the readers; one still reading after ``timeout`` seconds is terminated."""
        if self._executor is not None:
            stop_pool(self._executor, timeout)
            self._executor = None


def _ready() -> bool:
    return _worker_reader is not None
