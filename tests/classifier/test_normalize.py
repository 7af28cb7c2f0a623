"""Normalisation undoes the tricks used to slip past filters, and keeps the user's words."""

import pytest

from bot.classifier.normalize import normalize


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Kаspi", "kaspi"),  # Cyrillic а inside a Latin word
        ("cообщите", "сообщите"),  # Latin c inside a Russian word
        ("Һаlyk", "halyk"),  # Kazakh һ posing as Latin h
        ("сiлтеме", "сілтеме"),  # Latin i inside a Kazakh word becomes Kazakh і
    ],
)
def test_homoglyphs_are_folded_into_the_words_script(raw, expected):
    assert normalize(raw).text == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("назовите к о д", "назовите код"),
        ("к.о.д из смс", "код из смс"),
        ("п-е-р-е-в-о-д", "перевод"),
        ("к о д ы н айтыңыз", "кодын айтыңыз"),
    ],
)
def test_letter_by_letter_words_are_joined(raw, expected):
    assert normalize(raw).text == expected


def test_ordinary_single_letter_words_stay_apart():
    assert normalize("я и ты").text == "я и ты"


@pytest.mark.parametrize("invisible", ["\u200b", "\u200c", "\u200d", "\u00ad", "\u2060", "\ufeff", "\u202e"])
def test_invisible_characters_are_removed(invisible):
    assert normalize(f"ко{invisible}д").text == "код"
    assert normalize(f"құпия{invisible}сөз").text == "құпиясөз"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("kaspi[.]kz/bonus", "kaspi.kz/bonus"),
        ("hxxps://halyk-bonus(.)top", "https://halyk-bonus.top"),
        ("egov{dot}kz", "egov.kz"),
    ],
)
def test_defanged_links_are_restored(raw, expected):
    assert normalize(raw).text == expected


def test_fullwidth_and_case_are_folded():
    assert normalize("ＫＡＳＰＩ ДЕНЬГИ Ёлка").text == "kaspi деньги елка"


def test_folded_form_meets_kazakh_typed_without_its_letters_or_in_latin():
    assert normalize("Сізге ақша").folded == normalize("сизге акша").folded == normalize("sizge aqsha").folded


def test_quote_maps_back_to_the_original_characters():
    norm = normalize("Срочно: cообщите к о д!")
    start = norm.text.index("код")
    assert norm.quote(start, start + 3) == "к о д"


@pytest.mark.parametrize("raw", ["", " ", "\x00\x01\x02", "🙂" * 50, "a" * 100_000, "\ud800"])
def test_never_raises(raw):
    normalize(raw)


@pytest.mark.parametrize(
    ("raw", "part", "quoted"),
    [
        ("Сілтемеге өтіңіз", "силтеме", "Сілтеме"),  # kk: a part of a word, through the folded form
        ("Срочно cообщите код", "сооб", "cооб"),  # ru: a homoglyph word keeps each letter's place
    ],
)
def test_a_quote_of_part_of_a_word_is_exactly_that_part(raw, part, quoted):
    norm = normalize(raw)
    start = norm.folded.index(part)
    assert norm.quote(start, start + len(part), folded=True) == quoted
