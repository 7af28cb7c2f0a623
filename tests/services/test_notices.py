"""The notices telling people that an officer reviewed their text: the words in Kazakh and
Russian, one a day, and what each of Telegram's answers does to a notice. A real database on
each engine (SQLite, PostgreSQL), the real knowledge base, a real aiogram Bot against the local
Bot API emulator."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.enums import ParseMode

from bot.devtools.devserver.emulator import BotAPIEmulator
from bot.i18n import create_i18n
from bot.i18n import KZ_TIME
from bot.services.notices import NoticeSender, notice_text
from bot.storage import Repositories
from tests.services.conftest import KK_USER, RU_USER
from bot.storage.notices import DAY

OFFICER = 9002
NOV_12 = dt.datetime(2026, 11, 12, 10, 30, tzinfo=KZ_TIME).timestamp()
JOB_KK = "Қайырлы кеш, мен кадр іріктеу менеджерімін, бізде икемді кестемен бос орын бар, қызық па?"
JOB_RU = "Добрый вечер, я менеджер по подбору персонала, у нас есть вакансия с гибким графиком, интересно?"
MEETING_RU = "Здравствуйте! Собрание по ремонту детской площадки во дворе будет в субботу в 11 часов"


@pytest.fixture
async def emulator() -> AsyncIterator[BotAPIEmulator]:
    async with BotAPIEmulator() as running:
        for user, lang in ((KK_USER, "kk"), (RU_USER, "ru")):
            running.add_user(user, language_code=lang)
        yield running


@pytest.fixture
async def bot(emulator) -> AsyncIterator[Bot]:
    bot = emulator.create_bot(default=DefaultBotProperties(parse_mode=ParseMode.HTML))
    try:
        yield bot
    finally:
        await bot.session.close()


@pytest.fixture
def sender(repos, knowledge) -> NoticeSender:
    return NoticeSender(repos.notices, create_i18n(), knowledge, pause=0)


async def labelled(repos: Repositories, classifier, text: str, label: str, *users: int,
                   asked_at: float = NOV_12) -> None:
    """Each user checked ``text`` at ``asked_at``; an officer labels it (which creates the notices)."""
    check_ids = [await repos.checks.add(user, text, "text", classifier.classify(text)) for user in users]
    await repos.reviews.db.execute(f"UPDATE checks SET created_at = ? WHERE id IN ({','.join('?' * len(check_ids))})",
                                   (asked_at, *check_ids))
    await repos.reviews.enqueue_check(check_ids[0], "disputed")
    item_id = await repos.reviews.db.fetchval("SELECT id FROM review_items WHERE check_id = ?", (check_ids[0],))
    assert await repos.reviews.label(OFFICER, item_id, label) is not None


async def rows(repos: Repositories, sql: str) -> list[tuple]:
    return [tuple(row) for row in await repos.reviews.db.fetchall(sql)]


def texts(emulator: BotAPIEmulator, user: int) -> list[str]:
    return [m["text"] for m in emulator.bot_messages(user)]


@pytest.mark.parametrize(("label", "kk", "ru"), [
    ("easy_earnings_job",
     "12 қараша күні тексеруге жіберген хабарламаңыз: полиция қызметкері бұл алаяқтық екенін растады "
     "(«Оңай табыс уәдесі, жалған жұмыс» схемасы).\nАқша аударып не кодты айтып қойған болсаңыз: /paid",
     "Ваше сообщение от 12 ноября: сотрудник полиции подтвердил, что это мошенничество "
     "(схема «Обещание лёгкого заработка, фальшивая работа»).\nЕсли вы уже перевели деньги или назвали код: /paid"),
    ("not_fraud",
     "12 қараша күні тексеруге жіберген хабарламаңыз: полиция қызметкері тексерді — бұл алаяқтық емес.",
     "Ваше сообщение от 12 ноября: сотрудник полиции проверил — это не мошенничество."),
    ("fraud_warning",
     "12 қараша күні тексеруге жіберген хабарламаңыз: полиция қызметкері тексерді — бұл алаяқтықтың өзі емес, "
     "алаяқтық туралы ескерту (банктен, полициядан немесе жаңалықтардан).",
     "Ваше сообщение от 12 ноября: сотрудник полиции проверил — это предупреждение о мошенничестве "
     "(от банка, полиции или из новостей), а не само мошенничество."),
])
def test_each_label_is_told_in_kazakh_and_russian_with_the_day_the_person_asked(knowledge, label, kk, ru):
    i18n = create_i18n()
    assert notice_text(label, NOV_12, "kk", i18n, knowledge) == kk
    assert notice_text(label, NOV_12, "ru", i18n, knowledge) == ru


def test_the_day_is_kazakhstans_even_when_it_is_still_yesterday_in_utc(knowledge):
    just_after_midnight = dt.datetime(2026, 11, 12, 0, 30, tzinfo=KZ_TIME).timestamp()  # 11 November, 19:30 UTC
    assert notice_text("not_fraud", just_after_midnight, "ru", create_i18n(), knowledge).startswith(
        "Ваше сообщение от 12 ноября:")


async def test_everyone_who_asked_gets_their_notice_in_their_language_once(repos, classifier, sender, bot, emulator):
    await labelled(repos, classifier, JOB_RU, "easy_earnings_job", KK_USER, RU_USER)
    done = await sender.send_due(bot)
    assert (done.sent, done.dropped, done.failed) == (2, 0, 0)
    assert texts(emulator, KK_USER)[0].startswith("12 қараша күні тексеруге жіберген хабарламаңыз")
    assert texts(emulator, RU_USER)[0].startswith("Ваше сообщение от 12 ноября")
    assert (await sender.send_due(bot)).sent == 0
    assert len(texts(emulator, KK_USER)) == len(texts(emulator, RU_USER)) == 1


async def test_a_person_gets_at_most_one_notice_a_day_and_the_next_one_the_day_after(repos, classifier, sender, bot,
                                                                                      emulator):
    await labelled(repos, classifier, JOB_RU, "easy_earnings_job", RU_USER)
    await labelled(repos, classifier, MEETING_RU, "not_fraud", RU_USER)
    assert (await sender.send_due(bot)).sent == 1
    assert (await sender.send_due(bot)).sent == 0
    assert len(texts(emulator, RU_USER)) == 1
    tomorrow = await repos.reviews.db.fetchval("SELECT noticed_at FROM users WHERE id = ?", (RU_USER,)) + DAY + 1
    assert (await sender.send_due(bot, now=tomorrow)).sent == 1
    assert texts(emulator, RU_USER)[1].endswith("это не мошенничество.")


async def test_a_person_who_blocked_the_bot_loses_their_pending_notices(repos, classifier, sender, bot, emulator):
    await labelled(repos, classifier, JOB_KK, "easy_earnings_job", KK_USER, RU_USER)
    emulator.block(KK_USER)
    done = await sender.send_due(bot)
    assert (done.sent, done.dropped) == (1, 1)
    assert await rows(repos, "SELECT user_id FROM notices") == [(RU_USER,)]


async def test_flood_control_ends_the_round_and_the_notice_waits_for_the_next(repos, classifier, sender, bot,
                                                                               emulator):
    await labelled(repos, classifier, JOB_RU, "easy_earnings_job", RU_USER)
    emulator.fail("sendMessage", error_code=429, retry_after=7)
    done = await sender.send_due(bot)
    assert (done.sent, done.retry_after) == (0, 7.0)
    assert texts(emulator, RU_USER) == []
    assert (await sender.send_due(bot)).sent == 1
    assert len(texts(emulator, RU_USER)) == 1


@pytest.mark.parametrize("error_code", [500, 502])
async def test_a_server_error_keeps_the_notice_for_a_later_round(repos, classifier, sender, bot, emulator, error_code):
    await labelled(repos, classifier, JOB_KK, "easy_earnings_job", KK_USER)
    emulator.fail("sendMessage", error_code=error_code)
    done = await sender.send_due(bot)
    assert (done.sent, done.failed, done.dropped) == (0, 1, 0)
    assert await rows(repos, "SELECT sent_at FROM notices") == [(None,)]
    assert (await sender.send_due(bot)).sent == 1


async def test_after_forget_nothing_is_sent(repos, classifier, sender, bot, emulator):
    await labelled(repos, classifier, JOB_RU, "easy_earnings_job", KK_USER, RU_USER)
    await repos.users.forget(KK_USER)
    assert (await sender.send_due(bot)).sent == 1
    assert texts(emulator, KK_USER) == [] and len(texts(emulator, RU_USER)) == 1


async def test_the_running_sender_is_woken_by_a_new_notice_and_waits_as_telegram_asked(repos, classifier, knowledge,
                                                                                        bot, emulator):
    sender = NoticeSender(repos.notices, create_i18n(), knowledge, every=3600, pause=0)
    sender.start(bot)
    try:
        assert (await sender.round_after()).sent == 0
        await labelled(repos, classifier, JOB_RU, "easy_earnings_job", RU_USER)
        emulator.fail("sendMessage", error_code=429, retry_after=1)
        loop = asyncio.get_running_loop()
        refused_at = loop.time()
        assert (await sender.round_after()).retry_after == 1.0
        assert (await sender.round_after()).sent == 1  # not before Telegram's second has passed
        assert loop.time() - refused_at >= 1.0
    finally:
        await sender.stop()


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_the_senders_of_three_replicas_running_at_once_tell_each_person_once(repos, classifier, knowledge, bot,
                                                                                  emulator, lang):
    """Every replica runs a sender; their rounds overlap (a poll, then a send that takes a
    while): each person still gets one message, in their language, and counts once."""
    await labelled(repos, classifier, JOB_KK if lang == "kk" else JOB_RU, "easy_earnings_job", KK_USER, RU_USER)
    senders = [NoticeSender(repos.notices, create_i18n(), knowledge, pause=0) for _ in range(3)]
    rounds = await asyncio.gather(*(sender.send_due(bot) for sender in senders))
    assert sum(done.sent for done in rounds) == 2 and not any(done.failed for done in rounds)
    assert [len(texts(emulator, user)) for user in (KK_USER, RU_USER)] == [1, 1]
    assert texts(emulator, KK_USER)[0].startswith("12 қараша күні тексеруге жіберген хабарламаңыз")
    assert texts(emulator, RU_USER)[0].startswith("Ваше сообщение от 12 ноября")
    assert sum([(await sender.send_due(bot)).sent for sender in senders]) == 0
