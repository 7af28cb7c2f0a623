"""Pre-processing: pictures are refused safely when they are not pictures, and real phone
screenshots are turned into dark-on-light blocks of text without the status bar."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from bot.ocr.preprocess import MAX_BYTES, ImageError, dark_on_light, decode, find_blocks
from bot.devtools.screenshots import Screenshot


def png_bytes(image: Image.Image, fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt)
    return out.getvalue()


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def fake_png_header(width: int, height: int) -> bytes:
    """A tiny PNG file whose header claims a huge size: decoding it would need gigabytes."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(b"\0" * 64))
            + _chunk(b"IEND", b""))


@pytest.mark.parametrize(("data", "problem"), [
    (b"", "broken"),
    (b"not a picture at all", "broken"),
    (png_bytes(Image.new("RGB", (400, 400)))[:200], "broken"),
    (fake_png_header(50_000, 50_000), "too_large"),
    (b"\0" * (MAX_BYTES + 1), "too_large"),
    (png_bytes(Image.new("RGB", (10, 10))), "too_small"),
    (png_bytes(Image.new("RGB", (100, 100)), "GIF"), "unsupported"),
])
def test_what_is_not_a_readable_picture_is_refused_with_the_reason(data, problem):
    with pytest.raises(ImageError) as refused:
        decode(data)
    assert refused.value.problem == problem


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_png_jpeg_and_webp_are_decoded_to_grayscale(fmt):
    image = decode(png_bytes(Image.new("RGB", (300, 200), (200, 30, 30)), fmt))
    assert image.mode == "L" and image.size == (300, 200)


def test_a_transparent_picture_is_flattened_onto_white():
    clear = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    assert np.asarray(decode(png_bytes(clear))).min() == 255


def test_a_dark_theme_screenshot_becomes_dark_text_on_light():
    page = dark_on_light(decode(Screenshot("Назовите код из SMS", "Bank", theme="dark").encode()))
    assert np.median(np.asarray(page)) > 200


def test_light_text_on_a_coloured_header_bar_is_inverted_too():
    light_chat = decode(Screenshot("Сәлем", "Айгүл апай", lang="kk", layout="chat", theme="light").encode())
    header = np.asarray(dark_on_light(light_chat))[100:200]
    assert header.min() < np.percentile(header, 75) - 70  # the white name is now darker than its bar


def test_blocks_come_in_reading_order_without_the_status_bar():
    shot = Screenshot("Бірінші жол. " * 12, "Kaspi", lang="kk")
    blocks = find_blocks(dark_on_light(decode(shot.encode())))
    tops = [block.top for block in blocks]
    assert tops == sorted(tops)
    assert min(tops) > 2400 * 0.045  # the clock and battery row is dropped
    assert len(blocks) >= 3  # header, date chip, bubble (and the input bar)


def test_small_text_is_upscaled_and_large_text_left_as_it_is():
    small = find_blocks(dark_on_light(decode(Screenshot("Код из SMS", "Bank", width=360, height=800).encode())))
    large = find_blocks(dark_on_light(decode(Screenshot("Код из SMS", "Bank").encode())))
    assert max(b.image.width for b in small) > 360  # blown up past the screen's own width
    assert max(b.image.width for b in large) < 1080


def test_an_empty_picture_has_no_blocks():
    assert find_blocks(Image.new("L", (720, 1600), 255)) == []
