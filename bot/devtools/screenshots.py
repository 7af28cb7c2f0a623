"""Synthetic phone screenshots, drawn with Pillow, for measuring the OCR on known text.

Real screenshots carry personal data and cannot be kept in a repository, so the tests and
`python -m bot bench-ocr` draw their own: a status bar, a header with the sender, a date
chip, the message in a bubble with its time, an input bar, in a light or dark theme, as an
SMS app or a messenger shows them. What the picture says is exactly the text given, which
is what makes a character error rate measurable.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from PIL import Image, ImageDraw, ImageFont

Theme = Literal["light", "dark"]
Layout = Literal["sms", "chat"]

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/truetype/noto"),
             Path("/usr/share/fonts/dejavu"), Path("/usr/local/share/fonts"))
FONT_FILES = ("DejaVuSans.ttf", "NotoSans-Regular.ttf")

# Colours as the common apps draw them (approximately).
PALETTES: dict[tuple[Layout, Theme], dict[str, tuple[int, int, int]]] = {
    ("sms", "light"): {"bg": (255, 255, 255), "bar": (247, 247, 247), "bubble": (233, 233, 235),
                       "text": (20, 20, 20), "muted": (120, 120, 128)},
    ("sms", "dark"): {"bg": (0, 0, 0), "bar": (28, 28, 30), "bubble": (38, 38, 40),
                      "text": (240, 240, 240), "muted": (150, 150, 156)},
    ("chat", "light"): {"bg": (231, 222, 210), "bar": (0, 128, 105), "bubble": (255, 255, 255),
                        "text": (17, 27, 33), "muted": (102, 119, 129)},
    ("chat", "dark"): {"bg": (11, 20, 26), "bar": (31, 44, 52), "bubble": (32, 44, 51),
                       "text": (233, 237, 239), "muted": (134, 150, 160)},
}
CHROME = {  # what the apps write around a message, in the phone's language
    "ru": {"today": "Сегодня", "input": "Сообщение", "sms": "SMS/MMS"},
    "kk": {"today": "Бүгін", "input": "Хабарлама", "sms": "SMS/MMS"},
}


class FontMissing(RuntimeError):
    """No DejaVu or Noto font: install the Debian package fonts-dejavu-core."""


@cache
def font_path() -> Path:
    for folder in FONT_DIRS:
        for name in FONT_FILES:
            if (folder / name).is_file():
                return folder / name
    raise FontMissing("no DejaVuSans.ttf or NotoSans-Regular.ttf found: apt-get install fonts-dejavu-core")


@cache
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_path()), size)


@dataclass(frozen=True)
class Screenshot:
    """One received message as a phone shows it."""

    text: str
    sender: str
    lang: Literal["ru", "kk"] = "ru"
    layout: Layout = "sms"
    theme: Theme = "light"
    width: int = 1080
    height: int = 2400

    def draw(self) -> Image.Image:
        return _draw(self)

    def encode(self, fmt: Literal["PNG", "JPEG", "WEBP"] = "PNG", quality: int = 85) -> bytes:
        out = io.BytesIO()
        image = self.draw()
        image.save(out, format=fmt, **({"quality": quality} if fmt != "PNG" else {}))
        return out.getvalue()


def wrap(text: str, font: ImageFont.FreeTypeFont, max_width: float) -> list[str]:
    """Greedy word wrap; a word longer than a line (a long link) is cut where it overflows."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}".strip()
            if font.getlength(candidate) <= max_width:
                line = candidate
                continue
            if line:
                lines.append(line)
            while font.getlength(word) > max_width:
                cut = max(1, next(i for i in range(len(word), 0, -1) if font.getlength(word[:i]) <= max_width))
                lines.append(word[:cut])
                word = word[cut:]
            line = word
        lines.append(line)
    return lines


def _draw(shot: Screenshot) -> Image.Image:
    colours = PALETTES[(shot.layout, shot.theme)]
    chrome = CHROME[shot.lang]
    unit = shot.width / 1080  # sizes below are for a 1080-pixel-wide screen
    body, small = _font(round(42 * unit)), _font(round(30 * unit))
    image = Image.new("RGB", (shot.width, shot.height), colours["bg"])
    pen = ImageDraw.Draw(image)

    # Status bar and the header with the sender.
    on_bar = (255, 255, 255) if shot.layout == "chat" else colours["text"]
    pen.rectangle((0, 0, shot.width, round(250 * unit)), fill=colours["bar"])
    pen.text((round(40 * unit), round(24 * unit)), "14:32", font=small, fill=on_bar)
    pen.text((shot.width - round(230 * unit), round(24 * unit)), "LTE  87%", font=small, fill=on_bar)
    pen.text((round(60 * unit), round(140 * unit)), f"<  {shot.sender}", font=_font(round(48 * unit)), fill=on_bar)

    # The date chip, the bubble, its time.
    y = round(330 * unit)
    chip = chrome["today"] if shot.layout == "chat" else f"{chrome['sms']} · {chrome['today']} 14:31"
    chip_w = small.getlength(chip)
    pen.text(((shot.width - chip_w) / 2, y), chip, font=small, fill=colours["muted"])
    y += round(90 * unit)
    pad, line_h = round(34 * unit), round(58 * unit)
    lines = wrap(shot.text, body, shot.width * 0.72)
    bubble_w = max(body.getlength(line) for line in lines) + 2 * pad
    bubble_h = len(lines) * line_h + 2 * pad + round(40 * unit)
    left = round(36 * unit)
    pen.rounded_rectangle((left, y, left + bubble_w, y + bubble_h), radius=round(36 * unit), fill=colours["bubble"])
    for n, line in enumerate(lines):
        pen.text((left + pad, y + pad + n * line_h), line, font=body, fill=colours["text"])
    pen.text((left + bubble_w - pad - small.getlength("14:31"), y + bubble_h - pad - round(20 * unit)),
             "14:31", font=small, fill=colours["muted"])

    # The input bar at the bottom.
    bottom = shot.height - round(160 * unit)
    pen.rounded_rectangle((round(30 * unit), bottom, shot.width - round(30 * unit), bottom + round(110 * unit)),
                          radius=round(55 * unit), fill=colours["bubble"])
    pen.text((round(80 * unit), bottom + round(34 * unit)), chrome["input"], font=small, fill=colours["muted"])
    return image
