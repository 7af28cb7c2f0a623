"""The small repairs after Tesseract, and the error-rate measure the targets rely on."""

from __future__ import annotations

import pytest

from bot.ocr import TesseractMissing, find_tesseract
from bot.ocr.quality import character_error_rate, edits_to_substring
from bot.ocr.tesseract import repair_latin, repair_tenge, tidy


@pytest.mark.parametrize(("read", "meant"), [
    ("Назовите код из 5М5.", "Назовите код из SMS."),
    ("5М5-кодты айтыңыз", "SMS-кодты айтыңыз"),
    ("Ваш номер Ксе!! заблокирован", "Ваш номер Kcell заблокирован"),
    ("SMS/ММ5 · Бүгін", "SMS/MMS · Бүгін"),
])
def test_latin_words_read_as_lookalikes_are_put_back(read, meant):
    assert repair_latin(read) == meant


@pytest.mark.parametrize("text", ["МОС 555 ТОО", "Сәлем, 5 минуттан кейін", "код 4521"])
def test_ordinary_words_and_numbers_are_not_touched(text):
    assert repair_latin(text) == text


@pytest.mark.parametrize(("read", "meant"), [
    ("депозит 50 000 Т, он вернется", "депозит 50 000 ₸, он вернется"),
    ("балансыңызда 250 T қалды", "балансыңызда 250 ₸ қалды"),
])
def test_the_tenge_sign_after_an_amount_is_restored(read, meant):
    assert repair_tenge(read) == meant


def test_a_word_starting_with_t_after_a_number_is_not_a_tenge_sign():
    assert repair_tenge("5 Тенге, 3 Т-банк") == "5 Тенге, 3 Т-банк"


def test_wrapped_lines_become_one_line_and_hyphenated_words_are_joined():
    assert tidy("Назовите код из SMS-\nсообщения.\n\n  Срочно!  ") == "Назовите код из SMS-сообщения. Срочно!"


def test_error_rate_counts_edits_against_the_best_matching_stretch():
    assert edits_to_substring("код", "< Bank\nВаш код 1234\n14:31") == 0
    assert edits_to_substring("кот", "Ваш код") == 1
    rate = character_error_rate("Назовите код", "14:31 Назовнте  код\nСообщение")
    assert (rate.edits, rate.characters) == (1, 12)


def test_error_rate_of_nothing_read_is_total():
    assert character_error_rate("SMS", "").rate == 1.0


def test_missing_language_models_name_the_packages_to_install(tmp_path):
    with pytest.raises(TesseractMissing, match="tesseract-ocr-kaz"):
        find_tesseract(tmp_path)
