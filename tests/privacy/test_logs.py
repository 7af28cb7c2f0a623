"""Log lines are redacted on their way to every root handler, and aiosqlite's statement
logging (which quotes every parameter) stays off even at DEBUG."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Iterator

import aiosqlite
import pytest

from bot.privacy.logs import RedactingFilter, configure_logging, install_redaction


@pytest.fixture
def debug_stream() -> Iterator[io.StringIO]:
    """Logging as `python -m bot` sets it up at LOG_LEVEL=DEBUG, into a string; undone after."""
    root = logging.getLogger()
    saved = root.level, logging.getLogger("aiosqlite").level, logging.getLogger("aiogram.event").level
    before = set(root.handlers)
    stream = io.StringIO()
    handler = configure_logging("DEBUG", logging.StreamHandler(stream))
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(saved[0])
        logging.getLogger("aiosqlite").setLevel(saved[1])
        logging.getLogger("aiogram.event").setLevel(saved[2])
        for h in before:
            for f in [f for f in h.filters if isinstance(f, RedactingFilter)]:
                h.removeFilter(f)


@pytest.mark.parametrize(("text", "secret"), [
    ("Пайдаланушы жіберді: картам 4400 4301 8765 4321, ЖСН 870312450786", "4400 4301 8765 4321"),
    ("Пользователь прислал: звоните +7 705 318 24 96, код 738215", "+7 705 318 24 96"),
])
def test_a_log_line_quoting_user_text_is_redacted(debug_stream, text, secret):
    logging.getLogger("bot.test").info("check failed for %r", text)
    written = debug_stream.getvalue()
    assert "check failed for" in written
    assert secret not in written and "870312450786" not in written and "738215" not in written


def test_a_traceback_quoting_user_text_is_redacted_line_by_line(debug_stream):
    try:
        raise ValueError("bad text: ИИН 870312450786")
    except ValueError:
        logging.getLogger("bot.test").exception("update failed")
    written = debug_stream.getvalue()
    assert "870312450786" not in written
    assert "Traceback (most recent call last)" in written  # the lines without a secret are untouched
    assert 'raise ValueError("bad text: ИИН' not in written  # the line with one is redacted as a whole


def test_a_line_without_a_long_number_is_left_exactly_as_it_was(debug_stream):
    logging.getLogger("bot.test").warning("Picture read: 3 blocks, confidence 87, 0.42 s")
    assert debug_stream.getvalue().endswith("WARNING bot.test: Picture read: 3 blocks, confidence 87, 0.42 s\n")


def test_aiosqlite_never_logs_its_statements_with_their_parameters(debug_stream, tmp_path):
    async def store() -> None:
        async with aiosqlite.connect(tmp_path / "x.db") as conn:
            await conn.execute("CREATE TABLE t (x TEXT)")
            await conn.execute("INSERT INTO t VALUES (?)", ("карта 4400430187654321 zqxjvwk",))

    asyncio.run(store())
    written = debug_stream.getvalue()
    assert "zqxjvwk" not in written and "INSERT" not in written
    assert logging.getLogger().isEnabledFor(logging.DEBUG)  # the level really is DEBUG


def test_redaction_is_installed_once_per_handler():
    logger = logging.getLogger("bot.test.install")
    handler = logging.StreamHandler(io.StringIO())
    logger.addHandler(handler)
    try:
        install_redaction(logger)
        install_redaction(logger)
        assert sum(isinstance(f, RedactingFilter) for f in handler.filters) == 1
    finally:
        logger.removeHandler(handler)


@pytest.mark.parametrize("text", [
    "Қолданушы жазды: картам 4400 4301 8765 4321, кодты айт 738215",
    "Пользователь написал: карта 4400 4301 8765 4321, код 738215",
])
def test_numbers_the_code_computed_stay_readable_beside_a_redacted_user_text(debug_stream, text):
    logging.getLogger("bot.test").info("built in %.1f s over %d examples (auc %.4f); text: %s",
                                       15.2, 1922, 0.9797, text)
    line = debug_stream.getvalue()
    assert "built in 15.2 s over 1922 examples (auc 0.9797)" in line
    assert "4400 4301 8765 4321" not in line and "738215" not in line
