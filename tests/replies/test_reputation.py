"""What is known of a number, card or link, in Kazakh and Russian: the crowd's count with its
date in words and the right numeral form, an officer's confirmation on its own line, official
contacts named from knowledge/contacts.yaml, and nothing at all when nothing is known or an
officer cleared it. The real knowledge base and catalogues."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from bot.classifier.identifiers import Identifier, find_identifiers, parse_phone
from bot.i18n import create_i18n
from bot.i18n import KZ_TIME
from bot.replies.reputation import ReputationReplies
from bot.services.reputation import Finding

PHONE = parse_phone("+77011234567")  # made up
NOV_12 = datetime(2026, 11, 12, 10, 0, tzinfo=KZ_TIME).timestamp()
NOW = datetime(2026, 12, 4, 12, 0, tzinfo=KZ_TIME).timestamp()


@pytest.fixture(scope="module")
def replies(knowledge) -> ReputationReplies:
    return ReputationReplies(knowledge, create_i18n())


def reported(count: int, *, confirmed: bool = False, since: float = NOV_12, ident: Identifier = PHONE) -> Finding:
    return Finding(ident, None, confirmed, count, since if count else None, count >= 3)


@pytest.mark.parametrize(("lang", "line"), [
    ("kk", "⚠️ 12 қарашадан бері 7 адам мұны алаяқтардікі деп хабарлады."),
    ("ru", "⚠️ С 12 ноября 7 человек сообщили, что это мошенники."),
])
def test_a_reported_number_says_how_many_people_and_since_when_in_words(replies, lang, line):
    known = replies.known([reported(7)], lang, now=NOW)
    subject = {"kk": "<b>+7 701 ••• •• 67 нөмірі</b>", "ru": "<b>Номер +7 701 ••• •• 67</b>"}[lang]
    assert known == f"{subject}\n{line}"


@pytest.mark.parametrize(("count", "ru"), [
    (1, "1 человек сообщил"), (3, "3 человека сообщили"), (7, "7 человек сообщили"), (21, "21 человек сообщил"),
    (22, "22 человека сообщили"), (11, "11 человек сообщили"),
])
def test_russian_numerals_take_their_own_form_and_kazakh_needs_none(replies, count, ru):
    assert ru in replies.known([reported(count)], "ru", now=NOW)
    assert f"{count} адам мұны алаяқтардікі деп хабарлады" in replies.known([reported(count)], "kk", now=NOW)


@pytest.mark.parametrize(("lang", "month", "expected"), [
    ("ru", 1, "с 5 января"), ("kk", 1, "5 қаңтардан бері"), ("ru", 3, "с 5 марта"), ("kk", 3, "5 наурыздан бері"),
    ("ru", 9, "с 5 сентября"), ("kk", 9, "5 қыркүйектен бері"), ("ru", 12, "с 5 декабря"),
    ("kk", 12, "5 желтоқсаннан бері"),
])
def test_the_date_of_the_first_report_is_written_in_each_languages_words(replies, lang, month, expected):
    when = datetime(2026, month, 5, 9, 0, tzinfo=KZ_TIME).timestamp()
    assert replies.since(when, lang, now=NOW) == expected


@pytest.mark.parametrize(("lang", "expected"), [("kk", "2025 жылдан бері"), ("ru", "с 2025 года")])
def test_a_first_report_of_an_earlier_year_gives_the_year(replies, lang, expected):
    assert replies.since(datetime(2025, 6, 1, tzinfo=KZ_TIME).timestamp(), lang, now=NOW) == expected


def test_a_report_late_in_the_evening_in_kazakhstan_is_dated_that_day(replies):
    """23:30 in Almaty is 18:30 UTC the same day, but 00:30 on the 13th is still the 12th in UTC."""
    assert replies.since(datetime(2026, 11, 13, 0, 30, tzinfo=KZ_TIME).timestamp(), "ru", now=NOW) == "с 13 ноября"


@pytest.mark.parametrize(("lang", "confirmed", "crowd"), [
    ("kk", "🚫 Полиция қызметкері мұның алаяқтардікі екенін растады.", "⚠️ 12 қарашадан бері 3 адам"),
    ("ru", "🚫 Сотрудник полиции подтвердил, что это мошенники.", "⚠️ С 12 ноября 3 человека"),
])
def test_an_officers_confirmation_and_the_crowds_count_are_shown_apart(replies, lang, confirmed, crowd):
    lines = replies.known([reported(3, confirmed=True)], lang, now=NOW).split("\n")
    assert lines[1] == confirmed and lines[2].startswith(crowd)


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_nothing_is_shown_under_a_verdict_when_nothing_is_known_or_an_officer_cleared_it(replies, lang):
    cleared = reported(0)  # what Reputation gives for a cleared identifier: no count, no date
    assert replies.known([cleared], lang, now=NOW) is None
    assert replies.known([], lang) is None


@pytest.mark.parametrize(("lang", "line"), [
    ("kk", "✅ Бұл — ресми нөмір. Halyk Bank байланыс орталығы — 7111."),
    ("ru", "✅ Это официальный номер. Контакт-центр Halyk Bank — 7111."),
])
def test_an_official_number_is_named_with_its_contact_from_the_knowledge_base(replies, knowledge, lang, line):
    official = Finding(Identifier("phone", "7111", "7111"), "halyk_7111", False, 0, None, False)
    assert knowledge.contacts["halyk_7111"].text.get(lang) in line
    assert replies.known([official], lang).split("\n")[1] == line


@pytest.mark.parametrize(("lang", "line"), [("kk", "✅ Бұл — ресми сайт."), ("ru", "✅ Это официальный сайт.")])
def test_an_official_site_says_so(replies, lang, line):
    [site] = find_identifiers("https://kaspi.kz/shop")
    assert replies.known([Finding(site, "kaspi.kz", False, 0, None, False)], lang).endswith(line)


@pytest.mark.parametrize(("lang", "nobody", "advice"), [
    ("kk", "Бұл туралы маған әлі ешкім хабарлаған жоқ.", "сенуге болады деген сөз емес"),
    ("ru", "Об этом мне пока никто не сообщал.", "ещё не значит, что можно доверять"),
])
def test_a_lookup_of_an_unknown_number_says_nobody_reported_it_and_that_this_proves_nothing(replies, lang, nobody,
                                                                                            advice):
    answer = replies.lookup([reported(0)], lang, now=NOW)
    assert nobody in answer and advice in answer


@pytest.mark.parametrize(("lang", "advice"), [
    ("kk", "Жауап бермеңіз, ақша аудармаңыз, сілтемелерді ашпаңыз."),
    ("ru", "Не отвечайте, не переводите деньги и не открывайте ссылки."),
])
def test_a_lookup_of_a_reported_number_advises_not_to_answer(replies, lang, advice):
    assert replies.lookup([reported(4)], lang, now=NOW).endswith("\n\n" + advice)


@pytest.mark.parametrize(("lang", "spoof"), [("kk", "нөмірді қолдан жасай алады"), ("ru", "подделывать номер")])
def test_a_lookup_of_an_official_number_warns_that_a_caller_id_can_be_faked(replies, lang, spoof):
    official = Finding(Identifier("phone", "7111", "7111"), "halyk_7111", False, 0, None, False)
    assert spoof in replies.lookup([official], lang)


@pytest.mark.parametrize(("lang", "expected"), [
    ("kk", "Қазір алаяқтар туралы хабарламаларды тексере алмаймын"),
    ("ru", "Сейчас не могу проверить сообщения о мошенниках"),
])
def test_a_lookup_when_the_database_failed_says_it_cannot_check_now(replies, lang, expected):
    assert expected in replies.lookup([replace(reported(0), crowd_known=False)], lang)


@pytest.mark.parametrize(("lang", "saved", "now"), [
    ("kk", "Рақмет! +7 701 ••• •• 67 нөмірі: хабарламаңыз сақталды.", "Енді бұл туралы 3 адам хабарлады."),
    ("ru", "Спасибо! Номер +7 701 ••• •• 67: ваше сообщение записано.", "Теперь об этом сообщили 3 человека."),
])
def test_after_a_report_the_answer_says_how_many_people_reported_it_now(replies, lang, saved, now):
    assert replies.after_report(PHONE, lang, new=True, reporters=3, to_review=False) == f"{saved} {now}"


@pytest.mark.parametrize(("lang", "once"), [("kk", "әр адам бір рет қана есептеледі"),
                                             ("ru", "каждый человек учитывается один раз")])
def test_a_second_report_by_the_same_person_says_it_counts_once(replies, lang, once):
    assert once in replies.after_report(PHONE, lang, new=False, reporters=1, to_review=False)


@pytest.mark.parametrize(("kind", "text", "kk", "ru"), [
    ("card", "4400 4302 1234 5679", "4400 •••• •••• 5679 картасы", "Карта 4400 •••• •••• 5679"),
    ("telegram", "@kaspi_helper_kz", "@kaspi_helper_kz Telegram аккаунты", "Telegram-аккаунт @kaspi_helper_kz"),
    ("domain", "kaspi-bonus.top", "kaspi-bonus[.]top сайты", "Сайт kaspi-bonus[.]top"),
])
def test_each_kind_of_identifier_is_named_in_each_language(replies, kind, text, kk, ru):
    [ident] = find_identifiers(text)
    assert ident.kind == kind
    assert (replies.subject(ident, "kk"), replies.subject(ident, "ru")) == (kk, ru)
