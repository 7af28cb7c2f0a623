"""Numbers in a text: found in linear time, whatever the text, and read the way people write them."""

import time

import pytest

from bot.devtools.bench_inputs import hostile_inputs
from bot.classifier.numbers import (
    find_amounts,
    find_cards,
    find_iins,
    find_number_runs,
    find_phone_numbers,
    find_phones,
)

HOSTILE = {name: text for name, text in hostile_inputs().items() if not name.startswith("normal")}
DETECTORS = [find_amounts, find_cards, find_iins, find_phones, find_number_runs, find_phone_numbers]


@pytest.mark.parametrize("detector", DETECTORS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_each_number_detector_finishes_quickly_on_a_hostile_text(detector, text):
    # The bound is generous (the benchmark reports the real figure, a few ms): a quadratic
    # pattern took 2.3 s on "9" * 4096 and fails this by far.
    start = time.perf_counter()
    detector(text)
    assert time.perf_counter() - start < 0.5


def test_a_wall_of_digits_costs_about_as_much_as_a_tenth_of_it_times_ten():
    """Linear, not quadratic: 10x the text may cost about 10x, never 100x."""
    def cost(n: int) -> float:
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            find_amounts("9" * n + " ")
            find_amounts("1 " * n)
            best = min(best, time.perf_counter() - start)
        return best
    assert cost(4000) < 30 * cost(400) + 0.002


@pytest.mark.parametrize(("text", "amount"), [
    ("Шотыңызға 50 000 тг аударыңыз", "50 000 тг"),
    ("Переведите 50 000 тг на карту", "50 000 тг"),
    ("Ұтысыңыз 1,5 млн теңге", "1,5 млн"),
    ("Ваш выигрыш 1,5 млн рублей", "1,5 млн"),
    ("Бонус $ 500 бүгін ғана", "$ 500"),
    ("Бонус $ 500 только сегодня", "$ 500"),
])
def test_amounts_are_found_with_their_unit(text, amount):
    assert [text[f.start:f.end] for f in find_amounts(text)] == [amount]


@pytest.mark.parametrize("text", [
    "Мына нөмірге қоңырау шалыңыз: +7 700 999 11 22",
    "Позвоните по номеру +7 700 999 11 22",
    "Нөмір: +7–701–888–45–67",
    "Номер: 8_701_123_45_67",
    "Нөмір 701/123/45/67",
    "Звоните 8.701.123.45.67",
    "Нөмір 8\u00a0701\u2009123\u202f45\u00a067",
])
def test_phone_numbers_with_any_separator_are_one_number(text):
    runs = find_phone_numbers(text)
    assert len(runs) == 1 and len(runs[0].digits) in (10, 11)


@pytest.mark.parametrize("text", [
    "18.11.2025 бастап сағат 10:00-де 102 нөміріне хабарласыңыз",
    "С 18.11.2025 в 10:00 звоните 102",
    "Залал 2 500 000 теңге, 1, 2, 3 және 4-тармақтар",
    "Ущерб 2 500 000 тенге, пункты 1, 2, 3 и 4",
])
def test_dates_times_amounts_and_lists_are_not_phone_numbers(text):
    assert find_phone_numbers(text) == []


def test_a_date_does_not_glue_a_time_onto_a_phone_number():
    runs = find_number_runs("18.11.2025 10:00 701 123 45 67")
    assert [r.digits for r in runs] == ["7011234567"]
