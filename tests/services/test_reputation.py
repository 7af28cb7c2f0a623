"""What a check learns of the identifiers in its text: official (from knowledge/), confirmed by an
officer, reported by N people since a date, or nothing; a clear hides the crowd. The knowledge
base is the real one, the database a real one on each engine (SQLite, PostgreSQL); Kazakh and
Russian side by side. The official numbers are read from knowledge/contacts.yaml, never
written here."""

from __future__ import annotations

import time

import pytest

from bot.classifier.faq import FaqMatcher
from bot.classifier.identifiers import parse_phone
from bot.classifier.intents import IntentReader
from bot.classifier.service import ClassifierService
from bot.i18n import create_i18n
from bot.replies.reputation import ReputationReplies
from bot.replies.verdict import ReplyRenderer
from bot.services.conversation import Conversation, only_identifiers
from bot.services.reputation import Reputation
from bot.storage.conversation import ConversationRepo
from bot.storage import Database, UsersRepo
from bot.storage.reports import DAY, ReportsRepo

FRAUD = parse_phone("+77011234567")  # made up
OFFICER = 9001


@pytest.fixture
def db(engine_db) -> Database:
    """A fresh database on each engine (tests/services/conftest.py)."""
    return engine_db


@pytest.fixture
def reports(db) -> ReportsRepo:
    return ReportsRepo(db, min_reporters=3, min_account_age_days=7)


@pytest.fixture
def reputation(knowledge, reports) -> Reputation:
    return Reputation(knowledge, reports)


async def reported_by(db: Database, reports: ReportsRepo, count: int, identifier=FRAUD, *, age_days=30.0) -> None:
    for reporter in range(1, count + 1):
        await UsersRepo(db).touch(reporter)
        await db.execute("UPDATE users SET created_at = ? WHERE id = ?", (time.time() - age_days * DAY, reporter))
        await reports.report(reporter, [identifier], "almaty_city")


def fraud_texts() -> dict[str, str]:
    return {
        "kk": "Сәлем! Банктің қауіпсіздік қызметі. Шұғыл түрде 8 701 123 45 67 нөміріне қоңырау шалыңыз.",
        "ru": "Здравствуйте! Служба безопасности банка. Срочно перезвоните на 8 701 123 45 67.",
    }


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_number_reported_by_three_people_is_reported_by_three_since_the_first_report(db, reports, reputation,
                                                                                             lang):
    before = time.time()
    await reported_by(db, reports, 3)
    [finding] = await reputation.lookup(fraud_texts()[lang])
    assert finding.identifier == FRAUD
    assert (finding.status, finding.reporters, finding.confirmed, finding.official) == ("reported", 3, False, None)
    assert before <= finding.since <= time.time() and finding.past_threshold and finding.crowd_known


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_an_officers_confirmation_is_shown_apart_from_the_crowds_count(reports, reputation, db, lang):
    await reported_by(db, reports, 1)
    await reports.confirm(OFFICER, FRAUD)
    [finding] = await reputation.lookup(fraud_texts()[lang])
    assert (finding.status, finding.confirmed, finding.reporters) == ("confirmed", True, 1)


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_number_an_officer_cleared_shows_nothing_however_many_reported_it(reports, reputation, db, lang):
    await reported_by(db, reports, 5)
    await reports.clear(OFFICER, FRAUD)
    [finding] = await reputation.lookup(fraud_texts()[lang])
    assert (finding.status, finding.reporters, finding.since, finding.past_threshold) == ("none", 0, None, False)


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_number_nobody_reported_is_found_with_nothing_known(reputation, lang):
    [finding] = await reputation.lookup(fraud_texts()[lang])
    assert (finding.identifier.shown, finding.status, finding.reporters) == ("+7 701 ••• •• 67", "none", 0)


@pytest.mark.parametrize(("lang", "template"), [
    ("kk", "Halyk Bank байланыс орталығына {number} нөмірі арқылы хабарласыңыз."),
    ("ru", "Позвоните в контакт-центр Halyk Bank по номеру {number}."),
])
async def test_a_banks_verified_number_is_official_by_its_contact_even_when_people_reported_it(
        knowledge, reports, reputation, db, lang, template):
    number = knowledge.contacts["halyk_7111"].number
    text = template.format(number=number)
    [short] = await reputation.lookup(text)
    await reported_by(db, reports, 4, short.identifier)  # fraudsters spoof the bank's line; people report it
    [finding] = await reputation.lookup(text)
    assert (finding.identifier.value, finding.status, finding.official) == (number, "official", "halyk_7111")
    assert finding.reporters == 4


@pytest.mark.parametrize(("lang", "text"), [
    ("kk", "Маған {number} теңге аудар."),
    ("ru", "Переведи мне {number} тенге до вечера."),
])
async def test_an_amount_that_reads_like_a_short_number_is_no_official_number(knowledge, reputation, lang, text):
    assert await reputation.lookup(text.format(number=knowledge.contacts["halyk_7111"].number)) == []


@pytest.mark.parametrize(("lang", "text", "official"), [
    ("kk", "Өтінімді https://online.halykbank.kz/login арқылы беріңіз", "halykbank.kz"),
    ("ru", "Подайте заявление на egov.kz, а код никому не сообщайте", "egov.kz"),
    ("ru", "Жалоба: https://prokuror.gov.kz/rus", "prokuror.gov.kz"),
])
async def test_a_site_under_an_official_domain_is_official_by_that_domain(reputation, lang, text, official):
    [finding] = await reputation.lookup(text)
    assert (finding.status, finding.official) == ("official", official)


@pytest.mark.parametrize(("lang", "text"), [
    ("kk", "Бонус алу үшін halykbank-bonus.kz сайтына кіріңіз"),
    ("ru", "Для получения бонуса зайдите на halyk-bank.kz.com"),
])
async def test_a_site_that_imitates_an_official_domain_is_not_official(reputation, lang, text):
    [finding] = await reputation.lookup(text)
    assert (finding.identifier.kind, finding.official, finding.status) == ("domain", None, "none")


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_every_identifier_of_a_text_comes_once_in_order_with_its_own_standing(reports, reputation, db, lang):
    await reported_by(db, reports, 2)
    extra = {"kk": " Немесе Telegram: @halyk_qoldau, тағы да 87011234567", "ru": " Или в Telegram: @halyk_podderzhka, "
             "ещё раз 87011234567"}[lang]
    findings = await reputation.lookup(fraud_texts()[lang] + extra)
    assert [(f.identifier.kind, f.status, f.reporters) for f in findings] == [
        ("phone", "reported", 2), ("telegram", "none", 0)]


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_when_storage_fails_the_official_findings_still_come_and_the_crowd_is_unknown(
        knowledge, reputation, db, lang):
    await db.close()  # every statement on it now fails, as a lost database would
    number = knowledge.contacts["halyk_7111"].number
    text = fraud_texts()[lang] + f" / {number}"
    findings = await reputation.lookup(text)
    assert [(f.status, f.official, f.crowd_known) for f in findings] == [
        ("none", None, False), ("official", "halyk_7111", False)]


async def test_a_text_without_identifiers_costs_no_lookup(reputation, db):
    await db.close()
    assert await reputation.lookup("Сәлем! Қалайсың? / Привет, как дела?") == []



# --- in the conversation: a number sent alone is a lookup, not a check --------------------------

@pytest.fixture(scope="module")
def reader(knowledge) -> IntentReader:
    return IntentReader(knowledge)


@pytest.fixture
async def conversation(knowledge, reader, classifier, reputation, db):
    checker = ClassifierService.in_thread(classifier)
    await checker.warm_up()
    yield Conversation(knowledge, reader, checker, FaqMatcher(knowledge), ReplyRenderer(knowledge),
                       ConversationRepo(db, ttl=1800), reputation=reputation,
                       lookups=ReputationReplies(knowledge, create_i18n()))
    checker.close()


@pytest.mark.parametrize(("text", "alone"), [
    ("8 701 123 45 67", True), ("+7 (701) 123-45-67?", True), ("4400 4302 1234 5679", True), ("@kaspi_helper", True),
    ("KZ86 125K ZT50 0410 0100", True), ("kaspi-bonus.top", True), ("1414 — 8 701 123 45 67", True),
    ("Проверьте номер 8 701 123 45 67", False), ("8 701 123 45 67 кім?", False), ("сәлем", False),
])
def test_a_text_is_only_identifiers_when_every_word_is_part_of_one(text, alone):
    assert only_identifiers(text.lower()) is alone


@pytest.mark.parametrize(("lang", "subject", "nobody"), [
    ("kk", "+7 701 ••• •• 67 нөмірі", "Бұл туралы маған әлі ешкім хабарлаған жоқ."),
    ("ru", "Номер +7 701 ••• •• 67", "Об этом мне пока никто не сообщал."),
])
async def test_a_number_sent_alone_is_looked_up_and_not_checked(conversation, db, lang, subject, nobody):
    reply = await conversation.answer("8 701 123 45 67", user_id=None, lang=lang)
    assert (reply.route, reply.verdict) == ("lookup", None)
    assert subject in reply.text and nobody in reply.text
    assert [f.identifier for f in reply.findings] == [FRAUD]


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_reported_number_sent_alone_says_how_many_reported_it(conversation, db, reports, lang):
    await reported_by(db, reports, 3)
    reply = await conversation.answer("+7 701 123 45 67", user_id=None, lang=lang)
    assert {"kk": "3 адам мұны алаяқтардікі деп хабарлады", "ru": "3 человека сообщили"}[lang] in reply.text


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_look_alike_link_sent_alone_is_still_checked_for_the_link_itself(conversation, lang):
    reply = await conversation.answer("kaspi-bonus.top", user_id=None, lang=lang)
    assert reply.route == "check" and reply.verdict.is_scam
    assert "link_lookalike" in {f.id for f in reply.verdict.red_flags}


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_message_holding_a_number_is_checked_not_looked_up(conversation, lang):
    reply = await conversation.answer(fraud_texts()[lang], user_id=None, lang=lang)
    assert reply.route == "check"


@pytest.mark.parametrize(("lang", "text"), [
    ("kk", "Мен 8 701 123 45 67 нөміріне ақша аударып жібердім"),
    ("ru", "Я уже перевела деньги на номер 8 701 123 45 67"),
])
async def test_the_urgent_steps_say_what_is_known_of_the_number_too(conversation, db, reports, lang, text):
    await reported_by(db, reports, 1)
    await reports.confirm(OFFICER, FRAUD)
    reply = await conversation.answer(text, user_id=None, lang=lang)
    assert reply.route == "paid"
    assert {"kk": "Полиция қызметкері мұның алаяқтардікі екенін растады.",
            "ru": "Сотрудник полиции подтвердил, что это мошенники."}[lang] in reply.text
