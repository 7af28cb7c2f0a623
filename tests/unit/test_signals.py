"""Red flags: each is named and quotes the words it came from. kk and ru side by side."""

import pytest

from bot.classifier.normalize import normalize
from bot.classifier.numbers import find_cards, find_iins, find_phones, iin_ok, luhn_ok
from bot.classifier.signals import SignalDetector


@pytest.fixture(scope="module")
def detector(kb):
    return SignalDetector(kb)


def flags(detector, text):
    found = detector.detect(normalize(text))
    return {f.id: f.quote for f in found}


@pytest.mark.parametrize(
    "text",
    [
        "Назовите, пожалуйста, код из смс",  # ru
        "Сізге келген кодты айтыңызшы",  # kk
        "sizge kelgen kodty aitynyz",  # kk in Latin letters
        "Продиктуйте к о д",  # spaced letters
        "cообщите код",  # homoglyph
    ],
)
def test_request_for_a_code(detector, text):
    assert "asks_code" in flags(detector, text)


@pytest.mark.parametrize(
    "text",
    [
        "Код подтверждения: 4821. Никому не сообщайте его.",
        "Растау коды: 4821. Кодты ешкімге айтпаңыз.",
    ],
)
def test_a_real_otp_warns_instead_of_asking(detector, text):
    found = flags(detector, text)
    assert "protective_warning" in found
    assert "asks_code" not in found


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("Переведите деньги на безопасный счет", "asks_transfer"),
        ("Ақшаны қауіпсіз шотқа аударыңыз", "asks_transfer"),
        ("Скачайте AnyDesk, я помогу", "remote_access"),
        ("AnyDesk қосымшасын жүктеп алыңыз", "remote_access"),
        ("Это тайна следствия, никому не рассказывайте", "secrecy"),
        ("Туыстарыңызға айтпаңыз, тергеу құпиясы", "secrecy"),
        ("Вы выиграли автомобиль!", "winnings"),
        ("Сіз көлік ұтып алдыңыз!", "winnings"),
        ("Ваш номер будет заблокирован", "threat"),
        ("Нөміріңіз бұғатталады", "threat"),
    ],
)
def test_phrase_signals(detector, text, flag):
    assert flag in flags(detector, text)


def test_flag_quotes_the_users_own_words(detector):
    found = flags(detector, "Срочно! Продиктуйте к о д из SMS")
    assert "к о д" in found["asks_code"]


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("Получите приз: kaspi-bonus.top/win", "link_lookalike"),
        ("Сыйлықты алыңыз: hxxps://halyk-kz[.]online", "link_lookalike"),
        ("Перейдите: https://kaspі.kz/pay", "link_punycode"),  # Cyrillic і inside the host
        ("Перейдите: https://xn--kspi-6ve.kz", "link_punycode"),
        ("Толығырақ: bit.ly/3abcd", "link_shortener"),
        ("Войдите: http://185.22.10.4/login", "link_ip_host"),
        ("Вход: https://kaspi.kz@evil.example.com/login", "link_at_trick"),
        ("Анықтама: https://egov.kz/services", "link_official"),
        ("Оплата: post-kz.delivery-info.xyz", "link_risky_tld"),
    ],
)
def test_link_signals(detector, text, flag):
    assert flag in flags(detector, text)


def test_an_official_link_is_not_a_lookalike(detector):
    found = flags(detector, "Сайт банка: https://halykbank.kz/cards")
    assert "link_official" in found and "link_lookalike" not in found


def test_dotted_abbreviations_are_not_links(detector):
    assert not any(f.startswith("link") for f in flags(detector, "и т.д. и т.п., т.е. всё"))


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("звоните +7 701 123 45 67", "phone_kz"),
        ("маған 8 (777) 123-45-67 нөміріне хабарласыңыз", "phone_kz"),
        ("перезвоните +7 925 123 45 67", "phone_ru_mobile"),
        ("WhatsApp: +998 90 123 45 67", "phone_foreign"),
    ],
)
def test_phone_numbers(text, kind):
    assert [f.kind for f in find_phones(normalize(text).text)] == [kind]


def test_card_numbers_need_a_valid_checksum():
    assert luhn_ok("4400430212345679") and not luhn_ok("4400430212345678")
    assert find_cards("карта 4400 4302 1234 5679")
    assert not find_cards("заказ 4400 4302 1234 5678")


def test_iin_needs_a_valid_check_digit():
    assert iin_ok("900101300017") and not iin_ok("900101300018")
    assert find_iins("ЖСН 900101300017") and not find_iins("номер 900101300018")


def test_a_card_number_is_not_read_as_a_phone():
    assert find_phones("карта 4400 4302 1234 5679") == []
