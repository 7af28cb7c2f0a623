"""From the bytes a user sent to the pieces of picture worth giving Tesseract.

Tesseract reads black text on a white page at 20–40 px a line best. Phone screenshots are
not that: dark themes, coloured bubbles, a status bar full of clock and battery, and, after
Telegram's compression of a photo to 1280 px, lines only 15–20 px high. So:

1. decode safely (size and pixel limits before anything is decompressed);
2. grayscale, with transparency flattened onto white;
3. dark mode: a mostly dark picture is inverted, so text becomes dark on light, and so are
   rows of light text on a dark bar;
4. text blocks: rows with ink are found, lines close together are grouped into blocks (a
   chat bubble, a header), the status bar at the top of a phone-shaped picture is dropped,
   and each block is cut out with a margin: Tesseract then reads each bubble as one block
   and does not spend time on empty screen;
5. small text is upscaled, so a line is at least ~32 px high.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Literal

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 15 * 1024 * 1024  # far above any screenshot; Telegram lets bots download 20 MB at most
MAX_PIXELS = 40_000_000  # 8K square; a "decompression bomb" is refused before it is decoded
MIN_SIDE = 32
FORMATS = frozenset({"PNG", "JPEG", "WEBP"})
DARK_MEDIAN = 110  # a picture whose median brightness is below this is a dark theme
INK_CONTRAST = 70  # a pixel this much darker than its row's background is ink
TARGET_LINE_PX = 34  # Tesseract's comfortable height for a line of text
MAX_UPSCALE = 3.0
STATUS_BAR_SHARE = 0.045  # of a phone screenshot's height
PHONE_ASPECT = 1.6

ImageProblem = Literal["too_large", "too_small", "broken", "unsupported"]


class ImageError(ValueError):
    """The picture cannot be read as a picture; ``problem`` says why, for the user's answer."""

    def __init__(self, problem: ImageProblem, detail: str = "") -> None:
        super().__init__(problem, detail)
        self.problem: ImageProblem = problem
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.problem}: {self.detail}" if self.detail else self.problem


@dataclass(frozen=True)
class Block:
    """A piece of the picture to read as one block of text, ready for Tesseract."""

    image: Image.Image
    top: int  # in the original picture's rows, to keep blocks in reading order


def decode(data: bytes) -> Image.Image:
    """The picture in grayscale, upright (EXIF rotation applied). Raises `ImageError`."""
    if len(data) > MAX_BYTES:
        raise ImageError("too_large", f"{len(data)} bytes")
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in FORMATS:
                raise ImageError("unsupported", str(image.format))
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ImageError("too_large", f"{width}×{height}")
            if min(width, height) < MIN_SIDE:
                raise ImageError("too_small", f"{width}×{height}")
            upright = ImageOps.exif_transpose(image)
            if upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info:
                canvas = Image.new("RGBA", upright.size, (255, 255, 255, 255))
                upright = Image.alpha_composite(canvas, upright.convert("RGBA"))
            return upright.convert("L")
    except ImageError:
        raise
    except Image.DecompressionBombError as exc:  # Pillow's own guard, for sizes it sees at open
        raise ImageError("too_large", str(exc)) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ImageError("broken", type(exc).__name__) from exc


def dark_on_light(gray: Image.Image) -> Image.Image:
    """Dark text on a light background everywhere: a dark-theme picture is inverted, and so
    is each remaining row whose own background is dark (a messenger's coloured header bar
    with the sender's name in white)."""
    pixels = np.asarray(gray)
    if float(np.median(pixels)) < DARK_MEDIAN:
        pixels = 255 - pixels
    dark_rows = np.percentile(pixels, 75, axis=1) < DARK_MEDIAN
    if dark_rows.any():
        pixels = pixels.copy()
        pixels[dark_rows] = 255 - pixels[dark_rows]
    return Image.fromarray(pixels)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) index ranges where ``mask`` is True."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], mask.astype(np.int8), [0]))))
    return list(zip(edges[0::2].tolist(), edges[1::2].tolist(), strict=True))


def _ink(pixels: np.ndarray) -> np.ndarray:
    """Ink: pixels clearly darker than the usual brightness of their row (its background or
    bubble), so grey bubbles and coloured bars are not taken for text."""
    background = np.percentile(pixels, 75, axis=1, keepdims=True)
    return pixels < background - INK_CONTRAST


def find_blocks(page: Image.Image) -> list[Block]:
    """Blocks of text lines, in reading order, each cropped with a margin and scaled so its
    lines are about `TARGET_LINE_PX` high. An empty page gives no blocks."""
    pixels = np.asarray(page)
    ink = _ink(pixels)
    lines = [(top, bottom) for top, bottom in _runs(ink.sum(axis=1) >= 2) if bottom - top >= 4]
    if not lines:
        return []
    line_height = float(np.median([bottom - top for top, bottom in lines]))
    groups: list[list[tuple[int, int]]] = [[lines[0]]]
    for line in lines[1:]:
        if line[0] - groups[-1][-1][1] <= line_height:  # the next line of the same block
            groups[-1].append(line)
        else:
            groups.append([line])
    height, width = pixels.shape
    if height >= PHONE_ASPECT * width and len(groups) > 1 and groups[0][-1][1] <= STATUS_BAR_SHARE * height:
        groups = groups[1:]  # the status bar: clock, network, battery
    scale = min(MAX_UPSCALE, max(1.0, TARGET_LINE_PX / max(line_height, 1.0)))
    margin = round(line_height * 0.6)
    blocks = []
    for group in groups:
        top, bottom = max(0, group[0][0] - margin), min(height, group[-1][1] + margin)
        columns = np.flatnonzero(ink[top:bottom].any(axis=0))
        left, right = max(0, int(columns[0]) - margin), min(width, int(columns[-1]) + 1 + margin)
        crop = page.crop((left, top, right, bottom))
        if scale > 1.0:
            crop = crop.resize((round(crop.width * scale), round(crop.height * scale)), Image.Resampling.LANCZOS)
        blocks.append(Block(crop, top))
    return blocks


def prepare(data: bytes) -> list[Block]:
    """The whole pipeline: bytes in, blocks to read out. Raises `ImageError`."""
    return find_blocks(dark_on_light(decode(data)))
