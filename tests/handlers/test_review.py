"""The officers' review queue end to end through the emulator, Kazakh and Russian side by side:
a dispute → /review → an officer's label → everyone who asked is told in their language → the
same text checked again gets the officer's scheme, with no restart; identifiers confirmed or
cleared; /forget; at most one notice a day; a citizen can neither reach /review nor forge its
buttons."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest

from bot.classifier.identifiers import find_identifiers
from bot.privacy.redaction import redact
from bot.telegram.callbacks import ReviewCb
from tests.support.livebot import LiveBot, live_bot

SUPER, OFFICER_KK, OFFICER_RU = 9001, 9002, 9004
KK_USER, RU_USER, OTHER_RU = 7001, 7002, 7003
SEASONED = (7101, 7102, 7103)

# Job offers without a word of money: the bot sees nothing (ru) or the wrong scheme (kk); an
# officer knows the wave and labels them "easy earnings, a fake job".
JOB_RU = "Добрый вечер, я менеджер по подбору персонала, у нас есть вакансия с гибким графиком, интересно?"
JOB_KK = "Қайырлы кеш, мен кадр іріктеу менеджерімін, бізде икемді кестемен бос орын бар, қызық па?"
SIMILAR = {JOB_RU: "Добрый день, я менеджер по подбору персонала, есть вакансия с гибким графиком, вам интересно?",
           JOB_KK: "Сәлеметсіз бе, мен кадр іріктеу менеджерімін, икемді кестемен бос орын бар, қызықтырады ма?"}
JOB_SCHEME = "easy_earnings_job"
JOB_TITLE = {"kk": "Оңай табыс уәдесі, жалған жұмыс", "ru": "Обещание лёгкого заработка, фальшивая работа"}
NEIGHBOUR_RU = "Здравствуйте! Собрание по ремонту детской площадки во дворе будет в субботу в 11 часов"
BANK_WARNING_RU = "Уважаемые клиенты! Сотрудники банка никогда не просят код из SMS. Не сообщайте его никому"
NEIGHBOUR_KK = "Сәлем! Біздің ауладағы балалар алаңын жөндеуге жиналыс сенбі күні сағат 11-де болады"

OFFICERS_ONLY = {"kk": "Бұл пәрмен тек полиция қызметкерлеріне арналған.",
                 "ru": "Эта команда только для сотрудников полиции."}
BUTTON_OFFICERS_ONLY = {"kk": "Бұл түйме тек полиция қызметкерлеріне арналған.",
                        "ru": "Эта кнопка только для сотрудников полиции."}
OUT_OF_DATE = {"kk": "Бұл жазба ескірді", "ru": "Эта запись устарела"}
EMPTY = {"kk": "Тексеру кезегі бос. Рақмет!", "ru": "Очередь на проверку пуста. Спасибо!"}
USER_LANG = {KK_USER: "kk", RU_USER: "ru", OTHER_RU: "ru"}


@pytest.fixture
async def live(settings, classifier, tmp_path) -> AsyncIterator[LiveBot]:
    async with live_bot(settings, classifier, admin_ids=[SUPER], database_path=tmp_path / "saqbol.db",
                        heartbeat_path=tmp_path / "heartbeat") as running:
        now = time.time()
        month_ago = now - 30 * 86_400
        people = [(SUPER, "ru", now), (OFFICER_KK, "kk", now), (OFFICER_RU, "ru", now), (KK_USER, "kk", now),
                  (RU_USER, "ru", now), (OTHER_RU, "ru", now), *((u, "ru", month_ago) for u in SEASONED)]
        conn = running.deps.db.conn
        await conn.executemany("INSERT INTO users (id, language, created_at, seen_at) VALUES (?, ?, ?, ?)",
                               [(u, lang, at, at) for u, lang, at in people])
        await conn.execute("INSERT INTO officers (user_id, granted_by, granted_at) VALUES (?, ?, ?), (?, ?, ?)",
                           (OFFICER_KK, SUPER, now, OFFICER_RU, SUPER, now))
        for user_id, lang, _ in people:
            running.emulator.add_user(user_id, language_code=lang)
        yield running


def buttons(message: dict) -> list[dict]:
    return [b for row in (message.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


async def ask(live: LiveBot, user_id: int, text: str) -> dict:
    """The user sends a text to check; returns the bot's answer (the verdict) with its buttons
    (a notice that arrived in between is passed over: `notices_to` reads those)."""
    live.emulator.send_text(user_id, text)
    answer = await live.emulator.next_message(user_id)
    while is_notice(answer["text"]):
        answer = await live.emulator.next_message(user_id)
    assert buttons(answer), f"the verdict came without its buttons (not stored?): {answer['text']!r}"
    return answer


async def dispute(live: LiveBot, user_id: int, verdict: dict) -> str:
    """The user presses the last button under the verdict, the one that disagrees with it ("I
    think this is fraud" under a calm verdict, "this is not fraud" under a scam); returns its
    label once the check is in the officers' queue."""
    disagree = buttons(verdict)[-1]
    live.emulator.press(user_id, verdict["message_id"], disagree["callback_data"])
    await live.emulator.next_message(user_id)  # the thank-you
    check_id = int(disagree["callback_data"].rsplit(":", 1)[1])
    [(queued,)] = await live.rows("SELECT count(*) FROM review_items AS r JOIN checks AS c ON c.id = r.check_id "
                                  "WHERE r.reason = 'disputed' AND c.text_hash = "
                                  "(SELECT text_hash FROM checks WHERE id = ?)", check_id)
    assert queued == 1, "the dispute did not reach the queue"
    return disagree["text"]


async def open_review(live: LiveBot, officer: int) -> dict:
    live.emulator.send_text(officer, "/review")
    return await live.emulator.next_message(officer)


async def press(live: LiveBot, officer: int, item: dict, data: str) -> dict:
    """The officer presses a button under the item; returns the message that follows (the next
    item, or "the queue is empty")."""
    live.emulator.press(officer, item["message_id"], data)
    return await live.emulator.next_message(officer)


def is_notice(text: str) -> bool:
    return text.startswith("Ваше сообщение от ") or "күні тексеруге жіберген хабарламаңыз" in text


def notices_to(live: LiveBot, user_id: int) -> list[str]:
    """The notices the user got ("your message of …: a police officer …")."""
    return [m["text"] for m in live.emulator.bot_messages(user_id) if is_notice(m["text"])]


@pytest.mark.parametrize("text", [JOB_KK, JOB_RU], ids=["kk-text", "ru-text"])
async def test_a_disputed_text_is_labelled_and_everyone_who_asked_is_told_in_their_language(live, text):
    before = {user: await ask(live, user, text) for user in (KK_USER, RU_USER)}
    assert all(JOB_TITLE[USER_LANG[u]] not in before[u]["text"] for u in before)
    assert await dispute(live, RU_USER, before[RU_USER]) == (
        "Мне кажется, это мошенничество" if text == JOB_RU else "Это не мошенничество")  # calm, or the wrong scam

    item = await open_review(live, OFFICER_KK)
    assert "Тексеру: кезекте" in item["text"] and "пайдаланушы боттың жауабымен келіспейді" in item["text"]
    assert "Сұрағандар: 2" in item["text"] and redact(text) in item["text"]  # as stored: redacted, normalised
    labels = [b["callback_data"] for b in buttons(item)]
    item_id = ReviewCb.unpack(labels[0]).item_id
    assert ReviewCb(item_id=item_id, action="label", label=JOB_SCHEME).pack() in labels
    assert {b["text"] for b in buttons(item)} >= {"Алаяқтық емес", "Алаяқтық туралы ескерту", "Өткізіп жіберу"}

    following = await press(live, OFFICER_KK, item, ReviewCb(item_id=item_id, action="label", label=JOB_SCHEME).pack())
    assert following["text"] == EMPTY["kk"]
    decided = live.emulator.bot_messages(OFFICER_KK)[-2]
    assert "Белгіленді: Оңай табыс уәдесі, жалған жұмыс. Хабарлама алатындар: 2." in decided["text"]
    assert buttons(decided) == []

    await live.emulator.wait_until(lambda: bool(notices_to(live, KK_USER)) and bool(notices_to(live, RU_USER)))
    [kk_notice], [ru_notice] = notices_to(live, KK_USER), notices_to(live, RU_USER)
    assert "күні тексеруге жіберген хабарламаңыз: полиция қызметкері бұл алаяқтық екенін растады" in kk_notice
    assert "«Оңай табыс уәдесі, жалған жұмыс» схемасы" in kk_notice and "/paid" in kk_notice
    assert ru_notice.startswith("Ваше сообщение от ") and "сотрудник полиции подтвердил, что это мошенничество" \
        in ru_notice and "(схема «Обещание лёгкого заработка, фальшивая работа»)" in ru_notice

    again = {user: await ask(live, user, text) for user in (KK_USER, RU_USER)}  # the exact match, at once
    assert all(JOB_TITLE[USER_LANG[u]] in again[u]["text"] for u in again)

    await live.deps.learning.wait_idle()  # the retrain the label scheduled, swapped in
    assert live.deps.learning.last is not None and live.deps.learning.last.reviewed == 1
    assert (await live.deps.checker.check(text)).scheme == JOB_SCHEME  # the classifier itself learnt it
    similar = await ask(live, OTHER_RU, SIMILAR[text])  # not the same text: no exact match, the retrain answers
    assert JOB_TITLE["ru"] in similar["text"]
    assert await live.rows("SELECT count(*) FROM reviewed_examples") == [(1,)]
    assert await live.rows("SELECT label, officer_id FROM reviewed_examples") == [(JOB_SCHEME, OFFICER_KK)]
    assert await live.rows("SELECT count(*) FROM notices WHERE sent_at IS NOT NULL") == [(2,)]
    assert ("label",) in await live.rows("SELECT action FROM audit WHERE actor_id = ?", OFFICER_KK)


async def test_not_fraud_and_a_warning_are_labels_too_and_the_person_is_told_so(live):
    assert await dispute(live, KK_USER, await ask(live, KK_USER, NEIGHBOUR_KK)) == "Меніңше, бұл алаяқтық"
    assert await dispute(live, RU_USER, await ask(live, RU_USER, BANK_WARNING_RU)) == "Мне кажется, это мошенничество"
    first = await open_review(live, OFFICER_RU)
    assert "пользователь не согласен с ответом бота" in first["text"] and redact(NEIGHBOUR_KK) in first["text"]
    first_id = ReviewCb.unpack(buttons(first)[0]["callback_data"]).item_id
    second = await press(live, OFFICER_RU, first, ReviewCb(item_id=first_id, action="label", label="not_fraud").pack())
    assert "Отмечено: Не мошенничество." in live.emulator.bot_messages(OFFICER_RU)[-2]["text"]
    second_id = ReviewCb.unpack(buttons(second)[0]["callback_data"]).item_id
    last = await press(live, OFFICER_RU, second,
                       ReviewCb(item_id=second_id, action="label", label="fraud_warning").pack())
    assert last["text"] == EMPTY["ru"]
    await live.emulator.wait_until(lambda: bool(notices_to(live, RU_USER)) and bool(notices_to(live, KK_USER)))
    [kk_notice], [ru_notice] = notices_to(live, KK_USER), notices_to(live, RU_USER)
    assert kk_notice.endswith("күні тексеруге жіберген хабарламаңыз: полиция қызметкері тексерді — бұл алаяқтық емес.")
    assert "сотрудник полиции проверил — это предупреждение о мошенничестве" in ru_notice
    labels = await live.rows("SELECT label FROM reviewed_examples ORDER BY decided_at")
    assert labels == [("not_fraud",), ("fraud_warning",)]


async def test_an_identifier_reported_by_seasoned_users_is_confirmed_or_cleared_through_review(live):
    phone, domain = find_identifiers("+7 701 555 12 34, kaspi-bonus.top")
    for reporter in SEASONED:
        await live.deps.repos.reports.report(reporter, [phone, domain], "almaty_city")
    for identifier in (phone, domain):
        await live.deps.repos.reviews.enqueue_identifier(identifier)

    first = await open_review(live, OFFICER_KK)
    assert "Тексеруге: телефон нөмірі" in first["text"] and "+77015551234" in first["text"]
    assert "Хабарлағандар: 3" in first["text"]
    first_id = ReviewCb.unpack(buttons(first)[0]["callback_data"]).item_id
    assert [b["text"] for b in buttons(first)] == ["🚫 Растау: алаяққа тиесілі", "✅ Алаяққа тиесілі емес",
                                                   "Өткізіп жіберу"]
    second = await press(live, OFFICER_KK, first, ReviewCb(item_id=first_id, action="confirm").pack())
    assert "Алаяққа тиесілі деп расталды: +77015551234." in live.emulator.bot_messages(OFFICER_KK)[-2]["text"]

    item = await open_review(live, OFFICER_RU)
    assert second["text"].startswith("Тексеру: кезекте 1.") and "На проверку: сайт" in item["text"]
    item_id = ReviewCb.unpack(buttons(item)[0]["callback_data"]).item_id
    last = await press(live, OFFICER_RU, item, ReviewCb(item_id=item_id, action="clear").pack())
    assert last["text"] == EMPTY["ru"]
    assert "Подозрение снято: kaspi-bonus.top." in live.emulator.bot_messages(OFFICER_RU)[-2]["text"]

    reviews = await live.rows("SELECT kind, value, status, officer_id FROM identifier_reviews ORDER BY kind")
    assert reviews == [("domain", "kaspi-bonus.top", "cleared", OFFICER_RU),
                       ("phone", "+77015551234", "confirmed", OFFICER_KK)]
    standing = {s.kind: s for s in await live.deps.repos.reports.reputation([phone, domain])}
    assert standing["phone"].review == "confirmed" and not standing["domain"].past_threshold


async def test_an_item_another_officer_decided_is_out_of_date_and_the_next_one_comes(live):
    await dispute(live, RU_USER, await ask(live, RU_USER, JOB_RU))
    seen_kk, seen_ru = await open_review(live, OFFICER_KK), await open_review(live, OFFICER_RU)
    item_id = ReviewCb.unpack(buttons(seen_kk)[0]["callback_data"]).item_id
    await press(live, OFFICER_KK, seen_kk, ReviewCb(item_id=item_id, action="label", label=JOB_SCHEME).pack())

    live.emulator.press(OFFICER_RU, seen_ru["message_id"], ReviewCb(item_id=item_id, action="label",
                                                                      label="not_fraud").pack())
    following = await live.emulator.next_message(OFFICER_RU)
    assert live.emulator.callback_answers[-1]["text"].startswith(OUT_OF_DATE["ru"])
    assert following["text"] == EMPTY["ru"]
    assert "Устарело." in live.emulator.bot_messages(OFFICER_RU)[-2]["text"]
    assert await live.rows("SELECT label, officer_id FROM reviewed_examples") == [(JOB_SCHEME, OFFICER_KK)]


async def test_a_skipped_item_goes_to_the_back_of_the_queue(live):
    await dispute(live, RU_USER, await ask(live, RU_USER, JOB_RU))
    await dispute(live, KK_USER, await ask(live, KK_USER, JOB_KK))
    first = await open_review(live, OFFICER_KK)
    assert redact(JOB_RU) in first["text"]
    first_id = ReviewCb.unpack(buttons(first)[0]["callback_data"]).item_id
    second = await press(live, OFFICER_KK, first, ReviewCb(item_id=first_id, action="skip").pack())
    assert redact(JOB_KK) in second["text"]
    assert "Кейінге қалдырылды: кезектің соңына қойылды." in live.emulator.bot_messages(OFFICER_KK)[-2]["text"]
    assert (OFFICER_KK, "review_skip") in await live.rows("SELECT actor_id, action FROM audit")


async def test_forget_takes_the_persons_pending_notice_and_their_queue_item(live):
    await dispute(live, KK_USER, await ask(live, KK_USER, JOB_KK))
    await dispute(live, RU_USER, await ask(live, RU_USER, JOB_RU))
    # Both were told something an hour ago: today's notices wait for tomorrow.
    await live.rows("UPDATE users SET noticed_at = ? WHERE id IN (?, ?)", time.time() - 3600, KK_USER, RU_USER)
    item = await open_review(live, OFFICER_RU)
    item_id = ReviewCb.unpack(buttons(item)[0]["callback_data"]).item_id
    second = await press(live, OFFICER_RU, item, ReviewCb(item_id=item_id, action="label", label=JOB_SCHEME).pack())
    assert await live.rows("SELECT user_id FROM notices WHERE sent_at IS NULL") == [(KK_USER,)]

    for user in (KK_USER, RU_USER):
        confirm = await live.reply_to(user, "/forget")
        live.emulator.press(user, confirm["message_id"], buttons(confirm)[0]["callback_data"])
        await live.emulator.next_message(user)
    assert await live.rows("SELECT count(*) FROM notices") == [(0,)]
    assert (await live.deps.notices.round_after()).sent == 0
    assert notices_to(live, KK_USER) == [] and notices_to(live, RU_USER) == []

    # The other item (RU_USER's check) went with their data: the officer's button is out of date.
    other_id = ReviewCb.unpack(buttons(second)[0]["callback_data"]).item_id
    following = await press(live, OFFICER_RU, second, ReviewCb(item_id=other_id, action="label",
                                                                label=JOB_SCHEME).pack())
    assert live.emulator.callback_answers[-1]["text"].startswith(OUT_OF_DATE["ru"])
    assert following["text"] == EMPTY["ru"]
    assert await live.rows("SELECT count(*) FROM reviewed_examples") == [(1,)]  # linked to nobody: it stays


async def test_a_person_is_told_at_most_once_a_day(live):
    await dispute(live, OTHER_RU, await ask(live, OTHER_RU, JOB_RU))
    await dispute(live, OTHER_RU, await ask(live, OTHER_RU, NEIGHBOUR_RU))
    item = await open_review(live, OFFICER_RU)
    item_id = ReviewCb.unpack(buttons(item)[0]["callback_data"]).item_id
    second = await press(live, OFFICER_RU, item, ReviewCb(item_id=item_id, action="label", label=JOB_SCHEME).pack())
    await live.emulator.wait_until(lambda: len(notices_to(live, OTHER_RU)) == 1)
    second_id = ReviewCb.unpack(buttons(second)[0]["callback_data"]).item_id
    await press(live, OFFICER_RU, second, ReviewCb(item_id=second_id, action="label", label="not_fraud").pack())

    assert (await live.deps.notices.round_after()).sent == 0
    assert len(notices_to(live, OTHER_RU)) == 1
    assert await live.rows("SELECT label, sent_at IS NOT NULL FROM notices ORDER BY created_at") == [
        (JOB_SCHEME, 1), ("not_fraud", 0)]


@pytest.mark.parametrize(("citizen", "lang"), [(KK_USER, "kk"), (RU_USER, "ru")])
async def test_a_citizen_can_neither_reach_review_nor_forge_its_buttons(live, citizen, lang):
    await dispute(live, OTHER_RU, await ask(live, OTHER_RU, JOB_RU))
    [(item_id,)] = await live.rows("SELECT id FROM review_items")

    assert (await live.reply_to(citizen, "/review"))["text"] == OFFICERS_ONLY[lang]
    mine = live.emulator.bot_messages(citizen)[-1]
    forged = (ReviewCb(item_id=item_id, action="label", label="not_fraud").pack(),
              ReviewCb(item_id=item_id, action="skip").pack())
    answers = live.emulator.callback_answers
    before = len(answers)
    for number, data in enumerate(forged, start=1):
        live.emulator.press(citizen, mine["message_id"], data, force=True)
        await live.emulator.wait_until(lambda n=number: len(answers) == before + n)
    assert [a.get("text") for a in answers[before:]] == [BUTTON_OFFICERS_ONLY[lang]] * 2
    assert await live.rows("SELECT count(*) FROM reviewed_examples") == [(0,)]
    assert await live.rows("SELECT id, skipped_at FROM review_items") == [(item_id, None)]
    assert [a for (a,) in await live.rows("SELECT action FROM audit WHERE actor_id = ?", citizen)] == ["denied"] * 3


async def test_a_revoked_officer_cannot_press_the_item_still_on_screen(live):
    await dispute(live, OTHER_RU, await ask(live, OTHER_RU, JOB_RU))
    item = await open_review(live, OFFICER_KK)
    item_id = ReviewCb.unpack(buttons(item)[0]["callback_data"]).item_id
    await live.reply_to(SUPER, f"/revoke {OFFICER_KK}")
    live.emulator.press(OFFICER_KK, item["message_id"], ReviewCb(item_id=item_id, action="label",
                                                                   label=JOB_SCHEME).pack())
    await live.emulator.wait_until(lambda: any(a.get("text") == BUTTON_OFFICERS_ONLY["kk"]
                                               for a in live.emulator.callback_answers))
    assert await live.rows("SELECT count(*) FROM reviewed_examples") == [(0,)]


async def test_a_forged_label_from_an_officer_is_out_of_date_and_stores_nothing(live):
    await dispute(live, OTHER_RU, await ask(live, OTHER_RU, JOB_RU))
    item = await open_review(live, OFFICER_RU)
    item_id = ReviewCb.unpack(buttons(item)[0]["callback_data"]).item_id
    live.emulator.press(OFFICER_RU, item["message_id"], ReviewCb(item_id=item_id, action="label",
                                                                  label="no_such_scheme").pack(), force=True)
    again = await live.emulator.next_message(OFFICER_RU)
    assert live.emulator.callback_answers[-1]["text"].startswith(OUT_OF_DATE["ru"])
    assert redact(JOB_RU) in again["text"]  # still in the queue: nothing was decided
    assert await live.rows("SELECT count(*) FROM reviewed_examples") == [(0,)]


@pytest.mark.parametrize(("officer", "lang"), [(OFFICER_KK, "kk"), (OFFICER_RU, "ru")])
async def test_an_empty_queue_says_so(live, officer, lang):
    assert (await open_review(live, officer))["text"] == EMPTY[lang]
