"""The review use cases: the next item, a label (checked against the knowledge base, learnt in the
background, the notice sender woken), confirm and clear, skip. A real database on each engine
(SQLite, PostgreSQL), the real knowledge base, the session's lexical classifier; Kazakh and
Russian texts side by side."""

from __future__ import annotations


import pytest

from bot.classifier.identifiers import find_identifiers
from bot.classifier.service import ClassifierService
from bot.devtools.devserver.emulator import BotAPIEmulator
from bot.i18n import create_i18n
from bot.services.learning import Learning
from bot.services.notices import NoticeSender
from bot.services.review import ReviewService
from bot.storage import Repositories
from tests.services.conftest import KK_USER, RU_USER
from bot.storage.reviews import IdentifierItem, TextItem

OFFICER = 9002
JOB = {"kk": "Қайырлы кеш, мен кадр іріктеу менеджерімін, бізде икемді кестемен бос орын бар, қызық па?",
       "ru": "Добрый вечер, я менеджер по подбору персонала, у нас есть вакансия с гибким графиком, интересно?"}
USER = {"kk": KK_USER, "ru": RU_USER}


@pytest.fixture
def review(repos, knowledge) -> ReviewService:
    return ReviewService(repos, None, knowledge)


async def disputed(repos: Repositories, classifier, lang: str) -> int:
    """The user of ``lang`` checked the job text of that language and disputed it; the item's id."""
    check_id = await repos.checks.add(USER[lang], JOB[lang], "text", classifier.classify(JOB[lang]))
    await repos.reviews.enqueue_check(check_id, "disputed")
    return await repos.reviews.db.fetchval("SELECT id FROM review_items WHERE check_id = ?", (check_id,))


async def test_an_empty_queue_has_no_next_item(review):
    following = await review.next()
    assert following.item is None and following.pending == 0


async def test_the_next_item_is_the_oldest_dispute_with_the_queue_length(review, repos, classifier):
    first = await disputed(repos, classifier, "kk")
    await disputed(repos, classifier, "ru")
    following = await review.next()
    assert isinstance(following.item, TextItem) and following.item.id == first and following.pending == 2
    assert following.item.reason == "disputed" and following.item.askers == 1


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_label_is_stored_and_everyone_who_asked_has_a_pending_notice(review, repos, classifier, lang):
    item_id = await disputed(repos, classifier, lang)
    labelled = await review.label(OFFICER, item_id, "easy_earnings_job")
    assert labelled is not None and (labelled.label, labelled.noticed) == ("easy_earnings_job", 1)
    assert [(e.label, e.language) for e in await repos.reviews.reviewed_examples()] == [("easy_earnings_job", lang)]
    assert (await review.next()).item is None
    assert await review.label(OFFICER, item_id, "not_fraud") is None  # decided: the button is out of date


@pytest.mark.parametrize("label", ["no_such_scheme", "benign", "skip", ""])
async def test_a_label_that_is_not_the_knowledge_bases_stores_nothing(review, repos, classifier, label):
    item_id = await disputed(repos, classifier, "ru")
    assert await review.label(OFFICER, item_id, label) is None
    assert await repos.reviews.count_reviewed() == 0
    assert (await review.next()).item.id == item_id


async def test_the_labels_are_every_scheme_then_not_fraud_and_a_warning(review, knowledge):
    assert review.labels == [*knowledge.schemes, "not_fraud", "fraud_warning"]


async def test_a_skipped_item_goes_behind_the_others(review, repos, classifier):
    first = await disputed(repos, classifier, "kk")
    second = await disputed(repos, classifier, "ru")
    assert await review.skip(OFFICER, first)
    assert (await review.next()).item.id == second
    assert not await review.skip(OFFICER, 10_000)


async def test_an_identifier_item_is_confirmed_and_another_cleared_and_then_gone(review, repos):
    phone, site = find_identifiers("+7 701 555 12 34 kaspi-bonus.top")
    for identifier in (phone, site):
        await repos.reviews.enqueue_identifier(identifier)
    first = (await review.next()).item
    assert isinstance(first, IdentifierItem) and first.identifier == phone
    assert await review.decide(OFFICER, first.id, "confirmed") == phone
    second = (await review.next()).item
    assert await review.decide(OFFICER, second.id, "cleared") == site
    assert await review.decide(OFFICER, first.id, "cleared") is None  # decided already
    standing = {s.kind: s.review for s in await repos.reports.reputation([phone, site])}
    assert standing == {"phone": "confirmed", "domain": "cleared"}


async def test_a_label_of_a_text_item_is_not_a_decision_on_an_identifier_and_back(review, repos, classifier):
    [phone] = find_identifiers("+7 701 555 12 34")
    await repos.reviews.enqueue_identifier(phone)
    identifier_item = (await review.next()).item.id
    text_item = await disputed(repos, classifier, "ru")
    assert await review.label(OFFICER, identifier_item, "not_fraud") is None
    assert await review.decide(OFFICER, text_item, "confirmed") is None
    assert await repos.reviews.pending() == 2


async def test_a_label_wakes_the_running_notice_sender_and_is_learnt_by_the_classifier(repos, knowledge,
                                                                                        classifier):
    """The real Learning on the session's classifier (retrained on a thread in tests), and a
    sender whose rounds are an hour apart: the notice still goes out at once."""
    checker = ClassifierService.in_thread(classifier)
    learning = Learning(checker, repos.reviews, debounce=0.05)
    notices = NoticeSender(repos.notices, create_i18n(), knowledge, every=3600)
    review = ReviewService(repos, learning, knowledge, notices)
    async with BotAPIEmulator() as emulator:
        emulator.add_user(RU_USER, language_code="ru")
        bot = emulator.create_bot()
        notices.start(bot)
        try:
            await notices.round_after()  # the first round is over: the next one is an hour away
            item_id = await disputed(repos, classifier, "ru")
            assert (await checker.check(JOB["ru"])).scheme != "easy_earnings_job"
            assert await review.label(OFFICER, item_id, "easy_earnings_job") is not None
            await emulator.wait_until(lambda: bool(emulator.bot_messages(RU_USER)), timeout=5)
            assert emulator.bot_messages(RU_USER)[0]["text"].startswith("Ваше сообщение от ")
            await learning.wait_idle()
            assert learning.last is not None and learning.last.reviewed == 1
            assert (await checker.check(JOB["ru"])).scheme == "easy_earnings_job"
        finally:
            await notices.stop()
            learning.close()
            checker.close()
            await bot.session.close()
