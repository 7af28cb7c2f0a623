"""Tesseract through tesserocr, its maintained C-API binding: one engine loaded once per worker
process and reused for every picture (the command-line tool would reload the language models,
~0.3 s, for each one).

The language models come from Debian's packages (tesseract-ocr-kaz, -rus, -eng); where they
or the binding are missing, `find_tesseract` says what to install instead of failing later.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

from bot.ocr.preprocess import Block

# Kazakh first (its alphabet holds Russian's, not the reverse), English before Russian: with
# Russian second, brand names in Latin letters came out Cyrillic ("Kcell" read as "Ксе!").
LANGUAGES = ("kaz", "eng", "rus")
TESSDATA_DIRS = (
    "/usr/share/tesseract-ocr/5/tessdata",
    "/usr/share/tesseract-ocr/4.00/tessdata",
    "/usr/share/tessdata",
    "/usr/local/share/tessdata",
    "/opt/homebrew/share/tessdata",
)
MIN_CONFIDENCE = 35  # Tesseract's mean word confidence (0–100) below which a block is noise


class TesseractMissing(RuntimeError):
    """Tesseract or a language model is not installed; the message says what to install."""


@dataclass(frozen=True)
class Installation:
    tessdata: Path
    languages: tuple[str, ...]

    @property
    def lang_spec(self) -> str:
        return "+".join(self.languages)


def _candidates(explicit: Path | None) -> list[Path]:
    if explicit:  # the operator's choice is final: no silent fallback to another install
        return [explicit]
    found: list[Path] = []
    if prefix := os.environ.get("TESSDATA_PREFIX"):
        found += [Path(prefix), Path(prefix) / "tessdata"]
    return found + [Path(p) for p in TESSDATA_DIRS]


def find_tesseract(tessdata: Path | None = None, languages: tuple[str, ...] = LANGUAGES) -> Installation:
    """Where the binding and the language models are. Raises `TesseractMissing` with the fix."""
    try:
        import tesserocr  # noqa: F401 - only whether it imports
    except ImportError as exc:
        raise TesseractMissing(f"the Python package tesserocr is not installed ({exc}): run `make setup`") from exc
    for folder in _candidates(tessdata):
        if all((folder / f"{lang}.traineddata").is_file() for lang in languages):
            return Installation(folder, languages)
    packages = " ".join(f"tesseract-ocr-{lang}" for lang in languages)
    raise TesseractMissing(
        f"no tessdata folder with {', '.join(languages)} models (looked in "
        f"{', '.join(str(p) for p in _candidates(tessdata))}): apt-get install {packages}, "
        "or set OCR_TESSDATA to the folder"
    )


@dataclass(frozen=True)
class ReadText:
    """What a picture says, block by block in reading order, and how sure Tesseract was."""

    text: str
    confidence: float  # mean over the blocks kept, 0–100
    blocks: int
    seconds: float


class RecognitionTimeout(RuntimeError):
    """Tesseract gave up on a picture that took longer than its time limit."""


class TesseractReader:
    """One Tesseract engine. Not thread-safe: one per worker process."""

    def __init__(self, installation: Installation) -> None:
        import tesserocr

        self._api = tesserocr.PyTessBaseAPI(
            path=f"{installation.tessdata}{os.sep}", lang=installation.lang_spec, psm=tesserocr.PSM.SINGLE_BLOCK
        )

    def read(self, blocks: list[Block], time_limit: float) -> ReadText:
        """Reads the blocks within ``time_limit`` seconds in all. Raises `RecognitionTimeout`."""
        started = time.monotonic()
        texts, confidences = [], []
        for block in sorted(blocks, key=lambda b: b.top):
            left_ms = int((time_limit - (time.monotonic() - started)) * 1000)
            if left_ms <= 0:
                raise RecognitionTimeout(f"over {time_limit:.1f} s")
            self._api.SetImage(block.image)
            if not self._api.Recognize(timeout=left_ms):
                raise RecognitionTimeout(f"over {time_limit:.1f} s")
            confidence = self._api.MeanTextConf()
            text = repair_tenge(repair_latin(tidy(self._api.GetUTF8Text())))
            if text and confidence >= MIN_CONFIDENCE:
                texts.append(text)
                confidences.append(confidence)
        mean = sum(confidences) / len(confidences) if confidences else 0.0
        return ReadText("\n".join(texts), mean, len(texts), time.monotonic() - started)

    def close(self) -> None:
        self._api.End()


_HYPHEN_BREAK = re.compile(r"(\w)-\n(\w)")
_SPACES = re.compile(r"[ \t]+")


def tidy(text: str) -> str:
    """Tesseract's lines as the sender typed them: wrapped lines become one line (a word the
    app broke after its hyphen, "SMS-" / "код", is joined again), blank lines and stray
    spaces go."""
    text = _HYPHEN_BREAK.sub(r"\1-\2", text.strip())
    lines = [_SPACES.sub(" ", line).strip() for line in text.splitlines()]
    return " ".join(line for line in lines if line)


# Latin words that matter in scam messages and that the Cyrillic models misread in DejaVu-like
# fonts ("SMS" comes out as "5М5"). Only a token that maps onto one of these is changed.
LATIN_WORDS = frozenset(w.casefold() for w in (
    "SMS", "MMS", "OTP", "PIN", "CVV", "CVC", "IBAN", "ID", "Kaspi", "Kcell", "Halyk", "Beeline", "Tele2", "Altel",
    "Activ", "eGov", "OLX", "Kolesa", "Krisha", "WhatsApp", "Telegram", "Wildberries", "Freedom", "Jusan", "Forte",
))
_LOOKALIKES = str.maketrans("5013!|АВЕКМНОРСТХаеорсухк", "SOlBllABEKMHOPCTXaeopcyxk")
_TOKEN = re.compile(r"[^\s\-/.,:;«»()]+")


def repair_latin(text: str) -> str:
    """Puts back Latin words read with digits or Cyrillic look-alikes ("5М5" → "SMS")."""
    def fix(match: re.Match[str]) -> str:
        token = match.group()
        latin = token.translate(_LOOKALIKES)
        return latin if latin != token and latin.casefold() in LATIN_WORDS else token

    return _TOKEN.sub(fix, text)


_TENGE = re.compile(r"(\d) ?[ТT](?=[\s.,!?;:)]|$)")


def repair_tenge(text: str) -> str:
    """The tenge sign, which the models do not know, comes out as a letter T after an amount
    ("50 000 Т"); it is put back ("50 000 ₸")."""
    return _TENGE.sub(r"\1 ₸", text)
