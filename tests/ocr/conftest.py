"""Screenshots drawn from known texts and read once per session, shared by the OCR tests.

Each text of `screenshot_texts.yaml` is drawn once, its look chosen in turn from every
combination the bot meets: light and dark themes, 1080×2400 and small 720×1600 screens, PNG
and JPEG (the way Telegram recompresses a photo); the layout (SMS app or messenger) is the
text's own.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.ocr import TesseractReader, prepare
from bot.devtools.ocr_bench import Sample, load_samples

TEXTS = Path(__file__).with_name("screenshot_texts.yaml")
LOOKS = list(itertools.product(("light", "dark"), ((1080, 2400), (720, 1600)), ("PNG", "JPEG")))


@pytest.fixture(scope="session")
def reader(tesseract) -> TesseractReader:
    return TesseractReader(tesseract)


@dataclass(frozen=True)
class ReadScreenshot:
    sample: Sample
    look: tuple[str, tuple[int, int], str]
    read: str


@pytest.fixture(scope="session")
def samples() -> list[Sample]:
    return load_samples(TEXTS)


@pytest.fixture(scope="session")
def read_screenshots(reader, samples) -> list[ReadScreenshot]:
    shots = []
    for sample, look in zip(samples, itertools.cycle(LOOKS)):
        theme, size, fmt = look
        data = sample.screenshot(theme, size).encode(fmt, quality=80)
        shots.append(ReadScreenshot(sample, look, reader.read(prepare(data), time_limit=30).text))
    return shots
