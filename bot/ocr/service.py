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

import logging
import os
from concurrent.futures.process import BrokenProcessPool

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
from bot.ocr.settings import OcrSettings
from bot.workers.pool import WorkerPool

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
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # one core a worker; the pool is the parallelism
    _worker_reader = TesseractReader(installation)


def read_in_worker(data: bytes, time_limit: float) -> ReadText:
    assert _worker_reader is not None, "the pool initializer builds the reader"
    return _worker_reader.read(prepare(data), time_limit)


class OcrService:
    def __init__(self, settings: OcrSettings | None = None, *, languages: tuple[str, ...] = LANGUAGES) -> None:
        settings = settings or OcrSettings()
        self.time_limit = settings.time_limit
        self.capacity = settings.workers + settings.queue
        self._workers = settings.workers
        self._pending = 0
        self._pool: WorkerPool | None = None
        try:
            installation = find_tesseract(settings.tessdata, languages)
            self._pool = WorkerPool(_start_worker, (installation,), workers=settings.workers, name="ocr")
            self.unavailable_reason: str | None = None
        except TesseractMissing as exc:
            self.unavailable_reason = str(exc)
            log.warning("pictures will not be read on this server: %s", exc)

    @property
    def available(self) -> bool:
        return self._pool is not None

    async def read(self, data: bytes) -> ReadText:
        """The text in a picture. Raises `OcrUnavailable`, `OcrBusy`, `OcrTimeout`, `ImageError`."""
        if self._pool is None:
            raise OcrUnavailable(self.unavailable_reason)
        if len(data) > MAX_BYTES:  # refused before it costs a worker anything
            raise ImageError("too_large", f"{len(data)} bytes")
        if self._pending >= self.capacity:
            raise OcrBusy(f"{self._pending} pictures in the queue")
        self._pending += 1
        try:
            return await self._read(self._pool, data)
        finally:
            self._pending -= 1

    async def _read(self, pool: WorkerPool, data: bytes) -> ReadText:
        # Waiting in the queue does not count against a picture's own limit.
        queued_ahead = max(0, self._pending - self._workers)
        budget = (self.time_limit + GRACE) * (1 + queued_ahead / self._workers)
        try:
            return await pool.run(read_in_worker, data, self.time_limit, timeout=budget)
        except RecognitionTimeout as exc:
            raise OcrTimeout(str(exc)) from exc
        except TimeoutError as exc:
            raise OcrTimeout(f"no answer from the worker in {budget:.0f} s") from exc
        except BrokenProcessPool as exc:  # a worker died on this picture (out of memory, a crash)
            log.error("OCR worker died (%s); starting new ones", exc)
            raise ImageError("broken", "the reader crashed on it") from exc

    async def warm_up(self) -> None:
        """Starts the workers, so the first user's picture does not wait for them."""
        if self._pool is not None:
            await self._pool.warm_up()

    def close(self, timeout: float = 3.0) -> None:
        """Stops the readers; one still reading after ``timeout`` seconds is terminated."""
        if self._pool is not None:
            self._pool.close(timeout)
