"""Answers are split to fit Telegram's 4096-character limit without breaking HTML."""

from bot.telegram.text import split_message


def test_a_short_answer_is_one_part():
    assert split_message("<b>Высокий риск</b>\nтекст") == ["<b>Высокий риск</b>\nтекст"]


def test_a_long_answer_is_split_at_line_breaks_under_the_limit():
    text = "\n".join(f"<b>строка {n}</b> " + "х" * 50 for n in range(300))
    parts = split_message(text)
    assert len(parts) > 1 and all(len(p) <= 4096 for p in parts)
    assert all(p.count("<b>") == p.count("</b>") for p in parts)
    assert "\n".join(parts) == text


def test_a_single_giant_line_is_cut_without_splitting_an_entity():
    text = ("слово&amp;" * 1000)
    parts = split_message(text, limit=100)
    assert all(len(p) <= 100 for p in parts)
    assert all(not p.endswith(("&", "&a", "&am", "&amp")) for p in parts)
    assert "".join(parts) == text
