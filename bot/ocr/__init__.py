"""Reading the text in screenshots: pre-processing, Tesseract, and a worker pool for the bot.

Knows nothing of Telegram: bytes of a picture in, the text read out. The exported names load
on first use (`bot.lazy_exports`): `bot.config` imports ``bot.ocr.settings`` and must not load
Pillow and Tesseract with it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot import lazy_exports

if TYPE_CHECKING:
    from bot.ocr.preprocess import MAX_BYTES, ImageError, prepare
    from bot.ocr.service import OcrBusy, OcrService, OcrTimeout, OcrUnavailable
    from bot.ocr.tesseract import ReadText, TesseractMissing, TesseractReader, find_tesseract

_HOMES = {
    "bot.ocr.preprocess": ("MAX_BYTES", "ImageError", "prepare"),
    "bot.ocr.service": ("OcrBusy", "OcrService", "OcrTimeout", "OcrUnavailable"),
    "bot.ocr.tesseract": ("ReadText", "TesseractMissing", "TesseractReader", "find_tesseract"),
}
__all__ = sorted(name for names in _HOMES.values() for name in names)
__getattr__ = lazy_exports(__name__, {name: home for home, names in _HOMES.items() for name in names})
