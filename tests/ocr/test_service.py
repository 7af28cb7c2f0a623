"""The OCR service as the bot uses it: worker processes, a bounded queue, a time limit per
picture, and a clear refusal where Tesseract is missing."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator

import pytest

from bot.ocr import ImageError, OcrBusy, OcrService, OcrTimeout, OcrUnavailable
from bot.ocr.settings import OcrSettings
from bot.devtools.screenshots import Screenshot

SCAM_RU = Screenshot("Служба безопасности Kaspi: назовите код из SMS, чтобы отменить перевод.", "Kaspi").encode("JPEG")
LONG_KK = Screenshot("Құрметті клиент, картаңыз бұғатталды, SMS-кодты айтыңыз. " * 12, "Halyk", lang="kk").encode()


@pytest.fixture
async def ocr(tesseract) -> AsyncIterator[OcrService]:  # `tesseract`: skips or fails without it
    service = OcrService(OcrSettings(workers=1, queue=1, time_limit=8.0))
    await service.warm_up()
    yield service
    service.close()


async def test_a_screenshot_is_read_in_a_worker_process(ocr):
    read = await ocr.read(SCAM_RU)
    assert "назовите код из SMS" in read.text and read.confidence > 60


async def test_a_broken_picture_is_reported_from_the_worker(ocr):
    with pytest.raises(ImageError) as refused:
        await ocr.read(b"\x89PNG\r\n\x1a\n and then nothing")
    assert refused.value.problem == "broken"
    assert "SMS" in (await ocr.read(SCAM_RU)).text  # the worker is still there for the next one


async def test_reading_never_blocks_the_event_loop(ocr):
    lags = []

    async def tick() -> None:
        while True:
            started = time.perf_counter()
            await asyncio.sleep(0.01)
            lags.append(time.perf_counter() - started - 0.01)

    ticker = asyncio.create_task(tick())
    await asyncio.gather(ocr.read(LONG_KK), ocr.read(SCAM_RU))
    ticker.cancel()
    assert len(lags) > 10 and max(lags) < 0.1


async def test_more_pictures_than_workers_and_queue_are_refused_at_once(ocr):
    outcomes = await asyncio.gather(*(ocr.read(SCAM_RU) for _ in range(4)), return_exceptions=True)
    busy = [o for o in outcomes if isinstance(o, OcrBusy)]
    assert len(busy) == 2  # capacity: one worker and one place in the queue
    assert all("SMS" in o.text for o in outcomes if not isinstance(o, OcrBusy))


async def test_a_picture_over_the_time_limit_is_given_up(tesseract):
    service = OcrService(OcrSettings(workers=1, queue=0, time_limit=0.05))
    try:
        with pytest.raises(OcrTimeout):
            await service.read(LONG_KK)
        service.time_limit = 8.0
        assert "SMS" in (await service.read(SCAM_RU)).text  # the worker was freed
    finally:
        service.close()


async def test_without_language_models_reading_is_refused_and_logged_once(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="bot.ocr.service"):
        service = OcrService(OcrSettings(tessdata=tmp_path))
        for _ in range(2):
            with pytest.raises(OcrUnavailable, match="tesseract-ocr-rus"):
                await service.read(SCAM_RU)
    assert not service.available
    assert len([r for r in caplog.records if "will not be read" in r.getMessage()]) == 1
