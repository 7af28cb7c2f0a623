"""The identifiers of a text in their one normal form: every spelling of a number, card, IBAN,
site or account lands on the same value, so a report and a later lookup meet. Kazakh and
Russian texts side by side; the numbers here are made up (valid in form only)."""

from __future__ import annotations

import time

import pytest

from bot.classifier.identifiers import Identifier, find_identifiers, normalize_iban, parse_phone

CARD = "4400430212345679"  # Luhn-valid, made up
IBAN = "KZ86125KZT5004100100"  # mod-97-valid, made up


def values(text: str) -> list[tuple[str, str]]:
    return [(i.kind, i.value) for i in find_identifiers(text)]


@pytest.mark.parametrize("text", [
    "Маған мына нөмірге хабарлас: 8 (701) 123-45-67",
    "Перезвоните мне по номеру +7 701 1234567",
    "Нөмірім 87011234567, жаз",
    "Мой номер 8-701-123-45-67, пишите",
])
def test_every_spelling_of_a_kazakh_mobile_number_is_one_e164_number(text):
    [phone] = find_identifiers(text)
    assert (phone.kind, phone.value, phone.phone_type, phone.region) == ("phone", "+77011234567", "mobile", "KZ")


@pytest.mark.parametrize(("text", "value", "kind", "region"), [
    ("Бөлімшенің нөмірі 8 727 250 12 34", "+77272501234", "landline", "KZ"),
    ("Служба безопасности: +7 916 123 45 67", "+79161234567", "mobile", "RU"),
])
def test_a_landline_and_a_russian_mobile_are_told_apart_from_a_kazakh_mobile(text, value, kind, region):
    [phone] = find_identifiers(text)
    assert (phone.value, phone.phone_type, phone.region) == (value, kind, region)


def test_a_phone_shows_only_the_operator_code_and_its_last_two_digits():
    assert parse_phone("87011234567").shown == "+7 701 ••• •• 67"
    assert parse_phone("+79161234567").shown == "+7 916 ••• •• 67"


@pytest.mark.parametrize("text", [
    "Ақшаны мына картаға аудар: 4400 4302 1234 5679",
    "Переведите на карту 4400-4302-1234-5679 срочно",
])
def test_a_luhn_valid_card_is_its_digits_and_is_never_read_as_a_phone(text):
    assert find_identifiers(text) == [Identifier("card", CARD, "4400 •••• •••• 5679")]


@pytest.mark.parametrize("text", ["Картаға аудар: 4400 4302 1234 5678", "Номер заказа 4400 4302 1234 5678"])
def test_sixteen_digits_that_fail_the_luhn_check_are_no_card(text):
    assert [i.kind for i in find_identifiers(text)] != ["card"]


@pytest.mark.parametrize("text", [
    f"Шотқа аударыңыз: {' '.join(IBAN[i:i + 4] for i in range(0, 20, 4))}",
    f"Реквизиты для оплаты: {IBAN.lower()}",
])
def test_an_iban_with_valid_check_digits_is_found_written_in_groups_or_in_one_piece(text):
    assert find_identifiers(text) == [Identifier("iban", IBAN, "KZ86 •••• •••• •••• 0100")]


def test_an_iban_with_a_wrong_check_digit_or_length_is_refused():
    assert normalize_iban(IBAN) == IBAN
    assert normalize_iban("KZ87" + IBAN[4:]) is None
    assert normalize_iban(IBAN + "1") is None
    assert values("Шот KZ87125KZT5004100100 / счёт KZ87125KZT5004100100") == []


@pytest.mark.parametrize("text", [
    "Бонусты мына жерден ал: https://pay.kaspi-bonus.kz/claim?id=7",
    "Получите бонус на сайте kaspi-bonus.kz.",
    "Сілтеме: kaspi-bonus[.]kz/claim",
    "Ссылка: hxxps://www.kaspi-bonus.kz",
])
def test_a_link_or_a_bare_domain_is_its_registrable_domain_and_is_shown_defanged(text):
    assert find_identifiers(text) == [Identifier("domain", "kaspi-bonus.kz", "kaspi-bonus[.]kz")]


def test_a_public_suffix_of_two_labels_keeps_the_registered_name():
    assert values("Кіріңіз: secure.login.halyk-pay.com.kz") == [("domain", "halyk-pay.com.kz")]


@pytest.mark.parametrize("text", [
    "Telegram-да жазыңыз: @Kaspi_Support_KZ",
    "Пишите в Телеграм t.me/kaspi_support_kz",
    "Напишите сюда: tg://resolve?domain=kaspi_support_kz",
    "Жаз: https://telegram.me/Kaspi_Support_KZ/",
])
def test_a_telegram_account_is_its_username_however_it_is_linked(text):
    assert find_identifiers(text) == [Identifier("telegram", "kaspi_support_kz", "@kaspi_support_kz")]


@pytest.mark.parametrize("text", ["Топқа қосыл: t.me/+AbCdEf123", "Вступайте: t.me/joinchat/AbCdEf123"])
def test_a_telegram_invite_link_names_no_account(text):
    assert values(text) == []


@pytest.mark.parametrize("text", ["Хат жазыңыз: support@kaspi-bonus.kz", "Пишите на почту ivan.petrov@mail.ru"])
def test_an_email_address_is_neither_a_telegram_account_nor_a_site_to_report(text):
    """Its domain is a mail provider's far too often to be reported as the fraudster's."""
    assert values(text) == []


@pytest.mark.parametrize("text", [
    "WhatsApp-қа жаз: wa.me/77011234567",
    "Напишите в WhatsApp: https://api.whatsapp.com/send?phone=77011234567",
])
def test_a_whatsapp_link_is_the_phone_it_opens(text):
    assert values(text) == [("phone", "+77011234567")]


@pytest.mark.parametrize(("text", "name"), [
    ("Дүкеніміз: instagram.com/Arzan.Shop.KZ/", "arzan.shop.kz"),
    ("Наш магазин https://www.instagram.com/arzan.shop.kz?igsh=1", "arzan.shop.kz"),
    ("Сторис: instagram.com/stories/arzan.shop.kz/123", "arzan.shop.kz"),
])
def test_an_instagram_account_is_its_name_and_a_post_link_names_none(text, name):
    assert values(text) == [("instagram", name)]
    assert values("Пост: instagram.com/p/CxYz123/") == []


@pytest.mark.parametrize("text", [
    "Нөмір: +7\u200b701\u200b123 45 67, @kаspi_suppоrt_kz",  # zero-width spaces, Cyrillic а and о
    "Номер: +7\u2060701 123 45 67, @kаspi_suppоrt_kz",
])
def test_zero_width_characters_and_cyrillic_look_alikes_do_not_hide_an_identifier(text):
    assert values(text) == [("phone", "+77011234567"), ("telegram", "kaspi_support_kz")]


def test_each_identifier_comes_once_in_the_order_it_first_appears():
    text = "Жаз @fake_halyk, 8 701 123 45 67. Или +77011234567, @Fake_Halyk, карта 4400430212345679"
    assert values(text) == [("telegram", "fake_halyk"), ("phone", "+77011234567"), ("card", CARD)]


@pytest.mark.parametrize("text", [
    "Сәлем! Ертең 18.11.2025 сағат 18:00-де кездесеміз, 50 000 теңге әкел.",
    "Привет! Встреча 18.11.2025 в 18:00, возьми 50 000 тенге, т.д. и т.п.",
    "",
])
def test_dates_amounts_and_plain_words_are_no_identifiers(text):
    assert values(text) == []


@pytest.mark.parametrize("text", [
    "tg://resolve?" + "a&" * 5000,
    "kz12" + "abcd" * 5000,
    "@" + "a_" * 5000,
    "8 701 " * 2000,
    "instagram.com/" + "a." * 5000,
    "Жаз " * 3000 + "/ Пиши " * 3000,
])
def test_a_long_crafted_text_is_read_in_linear_time(text):
    """One user's text must not slow the bot for everybody: 10,000 characters in well under
    a second whatever they are (a quadratic pattern takes seconds here)."""
    started = time.perf_counter()
    find_identifiers(text)
    assert time.perf_counter() - started < 0.5
