"""Redaction: personal numbers never survive, ordinary numbers do."""

import pytest

from bot.privacy import redact


@pytest.mark.parametrize(("text", "secret", "label"), [
    ("Карта 4400 4302 1234 5674, срочно", "4400 4302 1234 5674", "[карта]"),
    ("Картам: 4400-4302-1234-5674", "4400-4302-1234-5674", "[карта]"),
    ("карта 4400430212345678 (Луна не сходится)", "4400430212345678", "[карта]"),
    ("ИИН 900101300123", "900101300123", "[иин]"),
    ("ЖСН: 900101300124", "900101300124", "[иин]"),
    ("Позвоните +7 (701) 234-56-78", "234-56-78", "[телефон]"),
    ("мына нөмірге 8 701 234 56 78 хабарлас", "234 56 78", "[телефон]"),
    ("код из SMS: 4829", "4829", "[код]"),
    ("коды: 123456", "123456", "[код]"),
])
def test_personal_numbers_are_replaced_by_a_label(text, secret, label):
    result = redact(text)
    assert secret.casefold() not in result
    assert label in result.casefold()


@pytest.mark.parametrize("text", [
    "к\u200bо\u200bд 4\u200b8\u200b2\u200b9",   # zero-width characters between the digits
    "код ４８２９",                                # full-width digits
    "код 4 8 2 9",                                 # spaced digits
])
def test_tricks_do_not_smuggle_a_code_past_redaction(text):
    assert "4829" not in redact(text).replace(" ", "")


@pytest.mark.parametrize(("text", "kept"), [
    ("Переведите 50 000 тг до 18:00", "50 000 тг"),
    ("5000 теңге салық төлеңіз", "5000 теңге"),
    ("у вас 3 дня", "3 дня"),
    ("102 нөміріне қоңырау шалыңыз", "102"),
])
def test_amounts_and_short_numbers_stay_readable(text, kept):
    assert kept in redact(text)
