"""`python -m bot bench-ocr`: seconds per phone screenshot and the character error rate.

Screenshots are drawn (`bot.devtools.screenshots`) from a file of known texts, so what they say is
known exactly. Timing covers what the bot's worker does for one picture (decode,
pre-processing, OCR) in one process, on the full-size 1080×2400 pictures, light and dark,
interleaved with a baseline on the same picture: the whole screenshot handed to Tesseract
as it is. Several runs; the medians and the ratio to the baseline are what to quote on a
shared machine. The error rate is pooled per language over every text, at 1080×2400 and at
a small 720×1600.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import tesserocr
import yaml
from PIL import Image

from bot.classifier import Classifier
from bot.ocr.preprocess import decode, prepare
from bot.ocr.quality import ErrorRate, character_error_rate, total
from bot.devtools.screenshots import Screenshot
from bot.ocr.tesseract import TesseractReader, find_tesseract

CER_TARGET = {"ru": 0.03, "kk": 0.05}
P95_TARGET = 1.5
SIZES = ((1080, 2400), (720, 1600))


@dataclass(frozen=True)
class Sample:
    id: str
    lang: Literal["ru", "kk"]
    scheme: str
    layout: Literal["sms", "chat"]
    sender: str
    text: str

    def screenshot(self, theme: Literal["light", "dark"], size: tuple[int, int] = SIZES[0]) -> Screenshot:
        return Screenshot(self.text, self.sender, self.lang, self.layout, theme, *size)


def load_samples(path: Path) -> list[Sample]:
    return [Sample(**row) for row in yaml.safe_load(path.read_text(encoding="utf-8"))["texts"]]


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def read_all(reader: TesseractReader, samples: Sequence[Sample], size: tuple[int, int]) -> list[tuple[Sample, str]]:
    """Each text drawn once light and once dark, and what was read from it."""
    return [(sample, reader.read(prepare(sample.screenshot(theme, size).encode()), time_limit=30).text)
            for sample in samples for theme in ("light", "dark")]


def error_rates(reads: Sequence[tuple[Sample, str]]) -> dict[str, ErrorRate]:
    """Pooled CER per language."""
    by_lang: dict[str, list[ErrorRate]] = {}
    for sample, read in reads:
        by_lang.setdefault(sample.lang, []).append(character_error_rate(sample.text, read))
    return {lang: total(rates) for lang, rates in sorted(by_lang.items())}


def scheme_agreement(classifier: Classifier, reads: Sequence[tuple[Sample, str]]) -> tuple[int, int]:
    """Scam screenshots whose verdict names the same scheme as the verdict on the text."""
    scams = [(sample, read) for sample, read in reads if sample.scheme != "benign"]
    same = sum(classifier.classify(sample.text).scheme == classifier.classify(read).scheme for sample, read in scams)
    return same, len(scams)


def run_ocr_bench(texts: Path, classifier: Classifier, *, runs: int = 3, timed: int = 40) -> str:
    installation = find_tesseract()
    reader = TesseractReader(installation)
    samples = load_samples(texts)
    baseline = tesserocr.PyTessBaseAPI(path=f"{installation.tessdata}/", lang=installation.lang_spec)
    lines = [f"Tesseract {tesserocr.tesseract_version().split()[1]} ({installation.lang_spec}), one process; "
             f"{len(samples)} texts from {texts}"]

    # Russian and Kazakh alternate, and so do light and dark, so the timed pictures are a fair mix.
    mixed = [s for pair in zip(*(([s for s in samples if s.lang == lang]) for lang in ("ru", "kk"))) for s in pair]
    pictures = [s.screenshot("dark" if n % 4 >= 2 else "light").encode() for n, s in enumerate(mixed[:timed])]
    lines.append(f"seconds per 1080×2400 screenshot ({len(pictures)} pictures, light and dark, SMS and chat):")
    medians: dict[str, list[float]] = {"p50": [], "p95": [], "base50": [], "base95": []}
    for run in range(1, runs + 1):
        ours, plain = [], []
        for data in pictures:
            ours.append(_timed(lambda d=data: reader.read(prepare(d), time_limit=30)))
            plain.append(_timed(lambda d=data: _whole_page(baseline, decode(d))))
        medians["p50"].append(percentile(ours, 0.5))
        medians["p95"].append(percentile(ours, 0.95))
        medians["base50"].append(percentile(plain, 0.5))
        medians["base95"].append(percentile(plain, 0.95))
        lines.append(f"  run {run}: p50 {medians['p50'][-1]:.3f} s  p95 {medians['p95'][-1]:.3f} s   "
                     f"(baseline p50 {medians['base50'][-1]:.3f} s  p95 {medians['base95'][-1]:.3f} s)")
    p50, p95 = statistics.median(medians["p50"]), statistics.median(medians["p95"])
    base50 = statistics.median(medians["base50"])
    lines.append(f"  median of {runs} runs: p50 {p50:.3f} s  p95 {p95:.3f} s  "
                 f"(target p95 ≤ {P95_TARGET} s: {'met' if p95 <= P95_TARGET else 'MISSED'}); "
                 f"p50 / baseline p50 = {p50 / base50:.2f}")
    baseline.End()

    lines.append("character error rate (each text light and dark; message vs. the best-matching stretch read), "
                 f"and the scheme named on the screenshot vs. on the text ({classifier.backend} classifier):")
    for width, height in SIZES:
        reads = read_all(reader, samples, (width, height))
        for lang, rate in error_rates(reads).items():
            verdict = "met" if rate.rate <= CER_TARGET[lang] else "MISSED"
            lines.append(f"  {lang} {width}×{height}: {rate.rate:.2%} ({rate.edits} edits / {rate.characters} chars; "
                         f"target ≤ {CER_TARGET[lang]:.0%}: {verdict})")
        same, scams = scheme_agreement(classifier, reads)
        lines.append(f"  same scheme {width}×{height}: {same}/{scams} = {same / scams:.1%} (target ≥ 95%)")
    reader.close()
    return "\n".join(lines)


def _whole_page(api: tesserocr.PyTessBaseAPI, page: Image.Image) -> str:
    """The baseline: the screenshot as it is, Tesseract's own page segmentation."""
    api.SetImage(page)
    return api.GetUTF8Text()

