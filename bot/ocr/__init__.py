"""Reading the text in screenshots: pre-processing, Tesseract, and a worker pool for the bot.

Knows nothing of Telegram: bytes of a picture in, the text read out.
"""

from bot.ocr.preprocess import MAX_BYTES, ImageError, prepare
from bot.ocr.service import OcrBusy, OcrService, OcrTimeout, OcrUnavailable
from bot.ocr.tesseract import ReadText, TesseractMissing, TesseractReader, find_tesseract

__all__ = [
    "MAX_BYTES",
    "ImageError",
    "OcrBusy",
    "OcrService",
    "OcrTimeout",
    "OcrUnavailable",
    "ReadText",
    "TesseractMissing",
    "TesseractReader",
    "find_tesseract",
    "prepare",
]
