"""A picture as a Telegram app sends it: what the emulator makes of an image a user "sends as
a photo" (the demo page's picture button).

Telegram does not hand a bot the file the person picked. The app turns the picture upright
(EXIF orientation), re-encodes it as JPEG and uploads it in several sizes; the bot gets a
``photo`` array of PhotoSize, smallest first, and downloads the one it wants with getFile.
The emulator does the same here, so the bot's picture path runs exactly as in production,
and the page can show a small size in the bubble and the largest on tap.

Everything stays in memory (the emulator's file store); nothing is written to disk.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PHOTO_BYTES = 10 * 1024 * 1024  # Telegram's limit for a picture sent as a photo
MAX_PHOTO_PIXELS = 40_000_000  # checked before decoding, so a "decompression bomb" is refused cheaply
MAX_ASPECT = 20  # Telegram refuses photos whose sides differ more than 20 times
SIDE_LIMITS = (320, 800, 1280, 2560)  # Telegram's "m", "x", "y", "w" sizes (longest side)
JPEG_QUALITY = 87
FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP")  # what phone galleries and cameras hand a browser


PROBLEMS = ("empty", "too_large", "not_image", "too_many_pixels", "bad_shape")


class PhotoRefused(ValueError):
    """The file cannot be sent as a photo. ``problem`` is one of ``empty``, ``too_large``,
    ``not_image``, ``too_many_pixels``, ``bad_shape``; the message says what to do."""

    def __init__(self, problem: str, message: str) -> None:
        super().__init__(message)
        self.problem = problem


@dataclass(frozen=True)
class PhotoSize:
    """One size of the photo as JPEG bytes."""

    data: bytes
    width: int
    height: int


def _opened(data: bytes) -> Image.Image:
    if not data:
        raise PhotoRefused("empty", "the file is empty: pick the picture again")
    if len(data) > MAX_PHOTO_BYTES:
        raise PhotoRefused("too_large", f"the file is {len(data)} bytes; a photo may be {MAX_PHOTO_BYTES} bytes at most")
    try:
        with warnings.catch_warnings():  # Pillow warns of a big picture; the pixel check below refuses it
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=FORMATS)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise PhotoRefused("not_image", f"not a picture in any of {', '.join(FORMATS)}") from None
    width, height = image.size
    if width * height > MAX_PHOTO_PIXELS:
        raise PhotoRefused("too_many_pixels", f"{width}×{height} pixels; at most {MAX_PHOTO_PIXELS} are accepted")
    if min(width, height) < 1 or max(width, height) > MAX_ASPECT * min(width, height):
        raise PhotoRefused("bad_shape", f"{width}×{height}: the sides may differ {MAX_ASPECT} times at most")
    return image


def telegram_sizes(data: bytes) -> list[PhotoSize]:
    """The sizes Telegram would make of this picture, smallest first; the largest keeps the
    picture's own resolution up to 2560 px on its longest side (no upscaling).

    Raises :class:`PhotoRefused` for an empty, oversized, undecodable or absurd file.
    """
    image = _opened(data)
    try:
        image = ImageOps.exif_transpose(image)
        image.load()
    except (OSError, ValueError, Image.DecompressionBombError):
        raise PhotoRefused("not_image", "the picture is damaged and cannot be opened") from None
    if image.mode not in ("RGB", "L"):
        background = Image.new("RGB", image.size, (255, 255, 255))  # transparency becomes white, as in Telegram
        rgba = image.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        image = background
    longest = max(image.size)
    sizes: list[PhotoSize] = []
    for limit in SIDE_LIMITS:
        scale = min(1.0, limit / longest)
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        if sizes and (sizes[-1].width, sizes[-1].height) == size:
            break  # the picture is smaller than this limit: its own size is already the last one
        resized = image if size == image.size else image.resize(size, Image.Resampling.LANCZOS)
        out = io.BytesIO()
        resized.convert("RGB").save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
        sizes.append(PhotoSize(out.getvalue(), *size))
    return sizes
