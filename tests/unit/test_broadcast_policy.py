"""A broadcast may link only to official domains, whatever the spelling tricks."""

import pytest

from bot.broadcast_policy import forbidden_links

ALLOWED = ["gov.kz", "egov.kz", "police.kz"]


@pytest.mark.parametrize("text", [
    "Подробнее: https://egov.kz/cms/ru/articles/stop-credit",
    "Сайт полиции: police.kz, приложение eGov Mobile",
    "www.gov.kz/memleket/entities/qriim?lang=kk",
    "18.11.2025 бастап 102 нөміріне хабарласыңыз, т.д.",
])
def test_official_links_and_plain_text_pass(text):
    assert forbidden_links(text, ALLOWED) == []


@pytest.mark.parametrize(("text", "bad"), [
    ("Компенсация: https://egov-kz.top/pay", "egov-kz.top"),
    ("Подробнее на kaspi-bonus.top", "kaspi-bonus.top"),
    ("Сайт: еgov.kz.evil.com", "evil.com"),                 # Cyrillic 'е' and a subdomain trick
    ("Пишите: help@gmail.com", "gmail.com"),
    ("police.kz\u200b.phish.ru", "phish.ru"),                  # zero-width character
    ("egov[.]kz.secure-login[.]xyz", "secure-login"),        # defanged
    ("https://xn--80ak6aa92e.com", "xn--80ak6aa92e.com"),     # punycode
    ("gov.kz@evil.com", "evil.com"),                          # the @ trick
])
def test_any_other_host_is_refused(text, bad):
    assert any(bad in link for link in forbidden_links(text, ALLOWED)), forbidden_links(text, ALLOWED)
