"""One link detector for red flags, defanging and the alert allowlist, with the real
public-suffix list: any real zone is a link, dotted words and numbers are not."""

import socket
import time

import pytest

from bot.devtools.bench_inputs import hostile_inputs
from bot.classifier import links as links_module
from bot.classifier.links import LinkInspector, defang, find_hosts
from bot.classifier.normalize import normalize


@pytest.fixture(scope="module")
def inspector(knowledge) -> LinkInspector:
    return LinkInspector(knowledge.links)


# Item 3 of issue 10: zones outside the old hard-coded list, in Kazakh and Russian sentences.
UNCOMMON_ZONES = [
    ("Отправьте на bank-kz.de код из смс", "bank-kz.de"),
    ("Смстегі кодты bank-kz.de сайтына жіберіңіз", "bank-kz.de"),
    ("Войдите на secure-kaspi.page и подтвердите карту", "secure-kaspi.page"),
    ("Картаңызды secure-kaspi.page сайтында растаңыз", "secure-kaspi.page"),
    ("Компенсация по ссылке egov-kz.help до пятницы", "egov-kz.help"),
    ("Өтемақыны egov-kz.help арқылы алыңыз", "egov-kz.help"),
]


@pytest.mark.parametrize(("text", "host"), UNCOMMON_ZONES)
def test_a_host_in_any_real_zone_is_found_and_judged(inspector, text, host):
    found = inspector.find(normalize(text))
    assert [link.host for link in found] == [host]
    assert "link_official" not in found[0].flags


@pytest.mark.parametrize(("text", "host"), UNCOMMON_ZONES)
def test_a_host_in_any_real_zone_is_defanged_when_quoted(inspector, renderer, text, host):
    shown = renderer.quote(text)
    assert host not in shown and host.replace(".", "[.]") in shown
    assert [h for h in find_hosts(inspector.defang_text(text)) if h.kind != "email"] == []


# Item 2 of issue 10: hosts the allowlist missed; the detector finds each one, in kk and ru.
HIDDEN_HOSTS = [
    ("Өтініш: http://93.184.216.34/egov", "http://93.184.216.34/egov"),
    ("Заявление: http://3232235777/", "http://3232235777/"),
    ("Сілтеме: http://0x5db8d822/ ашыңыз", "http://0x5db8d822/"),
    ("Откройте http://0300.0250.0.1/login", "http://0300.0250.0.1/login"),
    ("Кіріңіз: http://[::1]/", "http://[::1]/"),
    ("Войдите: http://[2001:db8::1]:8080/pay", "http://[2001:db8::1]:8080/pay"),
    ("Ботқа жазыңыз: tg://resolve?domain=evil_support_bot", "tg://resolve?domain=evil_support_bot"),
    ("Сайт evil。com арқылы төлеңіз", "evil。com"),
    ("Оплатите на evil．com сегодня", "evil．com"),
    ("Оплатите на evil｡com сегодня", "evil｡com"),
]


@pytest.mark.parametrize(("text", "link"), HIDDEN_HOSTS)
def test_ip_hosts_other_schemes_and_other_full_stops_are_links(inspector, text, link):
    hits = find_hosts(text)
    assert [text[h.start:h.end] for h in hits] == [link]
    assert inspector.find(normalize(text)), "the red flags see it too"
    defanged = inspector.defang_text(text)
    assert link not in defanged and find_hosts(defanged) == []


@pytest.mark.parametrize(("text", "flag"), [
    ("Кіріңіз: http://3232235777/login", "link_ip_host"),
    ("Войдите: http://0x5db8d822/", "link_ip_host"),
    ("Войдите: http://[::1]/", "link_ip_host"),
    ("Кіріңіз: 93.184.216.34/login", "link_ip_host"),
    ("Сыйлық: kaspi-bonus.page/win", "link_lookalike"),
    ("Приз на kaspi.kz@evil.com", "link_at_trick"),
])
def test_numeric_hosts_and_tricks_get_their_red_flag(inspector, text, flag):
    found = inspector.find(normalize(text))
    assert any(flag in link.flags for link in found), found


@pytest.mark.parametrize("text", [
    "и т.д. и т.п., т.е. всё, e.g. так",
    "т.б., т.с.с. және т.т.",
    "Пи равно 3.14, а версия 1.2.10",
    "18.11.2025 бастап, 01.12.25 дейін",
    "С 18.11.2025 в 10:00, сумма 1.500.000 тг",
    "г.Алматы, ул.Абая",
])
def test_dotted_words_numbers_and_dates_are_not_hosts(text):
    assert find_hosts(text) == [] and find_hosts(normalize(text).text) == []


def test_a_sentence_without_a_space_after_the_host_still_ends_the_host():
    text = "Сайт evil.com.Подробнее там"
    assert [h.host for h in find_hosts(text)] == ["evil.com"]


@pytest.mark.parametrize(("url", "shown"), [
    ("https://kaspi.kz/pay", "hxxps://kaspi[.]kz/pay"),
    ("tg://resolve?domain=evil_bot", "tg[:]//resolve?domain=evil_bot"),
    ("evil。com", "evil[.]com"),
    ("kaspi[.]kz", "kaspi[.]kz"),  # already defanged: unchanged
])
def test_defang_breaks_the_scheme_and_every_dot(url, shown):
    assert defang(url) == shown


def test_defanging_twice_changes_nothing_more(inspector):
    once = inspector.defang_text("Кіріңіз: https://bank-kz.de/x және evil。com")
    assert inspector.defang_text(once) == once


def test_hosts_hidden_by_zero_width_characters_are_defanged_too(inspector):
    shown = inspector.defang_text("Перейдите: bank\u200b-kz.de")
    assert "[.]" in shown


def test_the_public_suffix_list_comes_from_the_bundled_snapshot_without_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the public-suffix list must not be fetched")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    links_module._extractor.cache_clear()
    links_module.top_level_domains.cache_clear()
    try:
        tlds = links_module.top_level_domains()
        assert {"kz", "de", "page", "help", "рф", "xn--p1ai"} <= tlds
        assert links_module.registrable_domain("a.b.kaspi.co.uk") == "kaspi.co.uk"
    finally:
        links_module._extractor.cache_clear()
        links_module.top_level_domains.cache_clear()


HOSTILE = {name: text for name, text in hostile_inputs().items() if not name.startswith("normal")}


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_the_link_detector_finishes_quickly_on_a_hostile_text(inspector, text):
    start = time.perf_counter()
    find_hosts(text, nested=True)
    inspector.find(normalize(text))
    inspector.defang_text(text)
    assert time.perf_counter() - start < 0.5


@pytest.mark.parametrize(("text", "host"), [
    ("Кодты bank-kz.de-ге жіберіңіз", "bank-kz.de"),
    ("Өтемақыны egov-kz.help-тен алыңыз", "egov-kz.help"),
    ("Вход через secure-kaspi.page-е", "secure-kaspi.page"),
])
def test_a_kazakh_or_russian_ending_after_a_hyphen_does_not_hide_the_host(inspector, text, host):
    assert [h.host for h in find_hosts(text)] == [host]
    assert host.replace(".", "[.]") in inspector.defang_text(text)
