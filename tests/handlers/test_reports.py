"""Reports and reputation end to end through the emulator, Kazakh and Russian side by side.

A person reports a fraudster's number (the button under a risky verdict, or /report), and every
later answer containing it says what is known: how many people reported it (one person counts
once), an officer's confirmation apart, nothing once an officer cleared it, and "official" for a
bank's number from the knowledge base. A number sent alone is a lookup, not a check. /forget
takes the person out of their reports; the count stays. A forged or expired report button
stores nothing and says so.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from bot.classifier.identifiers import parse_phone
from tests.support.livebot import LiveBot, live_bot

OFFICER = 9001
KK_USER, RU_USER = 8001, 8002
CROWD = (8101, 8102, 8103)  # accounts that talked to the bot a month ago
FRAUD = parse_phone("+77011234567")  # made up
BARE = "8 701 123 45 67"
LANGS = {KK_USER: "kk", RU_USER: "ru"}
USER_OF = {"kk": KK_USER, "ru": RU_USER}
SCAM_WITH_NUMBER = {
    "kk": "Сәлеметсіз бе, банктің қауіпсіздік қызметі. Картаңыздан күдікті аударым жасалды, шұғыл түрде "
          "8 701 123 45 67 нөміріне қоңырау шалып, SMS-тағы кодты айтыңыз",
    "ru": "Здравствуйте, это служба безопасности банка. По вашей карте подозрительная операция, срочно "
          "перезвоните на 8 701 123 45 67 и продиктуйте код из SMS",
}
CALM_WITH_NUMBER = {
    "kk": "Апа, мен үйге жеттім, жаңа нөмірім 8 701 123 45 67, кешке қоңырау шаламын",
    "ru": "Мама, я доехала до дома, мой новый номер 8 701 123 45 67, вечером позвоню",
}
REPORT_BUTTON = {"kk": "Алаяқ туралы хабарлау", "ru": "Сообщить о мошеннике"}
SUBJECT = {"kk": "+7 701 ••• •• 67 нөмірі", "ru": "Номер +7 701 ••• •• 67"}
CONFIRMED = {"kk": "Полиция қызметкері мұның алаяқтардікі екенін растады.",
             "ru": "Сотрудник полиции подтвердил, что это мошенники."}
NOBODY = {"kk": "Бұл туралы маған әлі ешкім хабарлаған жоқ.", "ru": "Об этом мне пока никто не сообщал."}
EXPIRED = {"kk": "Бұл түймелер ескірген.", "ru": "Эти кнопки устарели."}


def reported_by(count: int, lang: str) -> str:
    """The crowd's line, without its date: "7 человек сообщили, что это мошенники"."""
    if lang == "kk":
        return f"{count} адам мұны алаяқтардікі деп хабарлады."
    return {1: "1 человек сообщил", 2: "2 человека сообщили", 3: "3 человека сообщили"}[count] + ", что это мошенники."


@pytest.fixture
async def live(settings, classifier, tmp_path) -> AsyncIterator[LiveBot]:
    async with live_bot(settings, classifier, database_path=tmp_path / "saqbol.db",
                        heartbeat_path=tmp_path / "heartbeat") as running:
        month_ago = time.time() - 30 * 86_400
        conn = running.deps.db.conn
        await conn.executemany("INSERT INTO users (id, language, region, created_at, seen_at) VALUES (?, ?, ?, ?, ?)",
                               [(KK_USER, "kk", "almaty_city", month_ago, month_ago),
                                (RU_USER, "ru", "kostanay", month_ago, month_ago),
                                *((u, "ru", None, month_ago, month_ago) for u in CROWD)])
        for user_id in (KK_USER, RU_USER, *CROWD):
            running.emulator.add_user(user_id, language_code=LANGS.get(user_id, "ru"))
        yield running


def buttons(message: dict) -> list[dict]:
    return [b for row in (message.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


async def press(live: LiveBot, user: int, message: dict, text: str) -> dict:
    """Press the button labelled ``text`` under ``message``; the bot's next message."""
    button = next(b for b in buttons(message) if b["text"] == text)
    live.emulator.press(user, message["message_id"], button["callback_data"])
    return await live.emulator.next_message(user)


async def report_by_hand(live: LiveBot, user: int, text: str = BARE) -> dict:
    """/report, the number, a tap on its button: the bot's thank-you."""
    await live.reply_to(user, "/report")
    candidates = await live.reply_to(user, text)
    [candidate] = buttons(candidates)
    live.emulator.press(user, candidates["message_id"], candidate["callback_data"])
    return await live.emulator.next_message(user)


async def alert_after(live: LiveBot, user: int, message_id: int, data: str) -> str:
    """A forged or stale press: the alert the bot answers the button with."""
    live.emulator.callback_answers.clear()
    live.emulator.press(user, message_id, data, force=True)
    await live.emulator.wait_until(lambda: bool(live.emulator.callback_answers))
    return live.emulator.callback_answers[-1]["text"]


# --- reporting ------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_report_from_under_a_risky_verdict_shows_in_the_next_lookup(live, lang):
    user = USER_OF[lang]
    verdict = await live.reply_to(user, SCAM_WITH_NUMBER[lang])
    assert verdict["text"].startswith(("🔴", "🟠"))
    assert await live.rows("SELECT count(*) FROM reports") == [(0,)]  # offered, not stored
    candidates = await press(live, user, verdict, REPORT_BUTTON[lang])
    assert [b["text"] for b in buttons(candidates)] == [FRAUD.shown]
    thanks = await press(live, user, candidates, FRAUD.shown)
    assert thanks["text"].startswith({"kk": "Рақмет!", "ru": "Спасибо!"}[lang])
    now = {"kk": "Енді бұл туралы 1 адам хабарлады.", "ru": "Теперь об этом сообщил 1 человек."}[lang]
    assert now in thanks["text"]
    region = {"kk": "almaty_city", "ru": "kostanay"}[lang]
    assert await live.rows("SELECT kind, value, user_id, region FROM reports") == [("phone", FRAUD.value, user, region)]
    lookup = await live.reply_to(CROWD[0], BARE)
    assert reported_by(1, "ru") in lookup["text"]
    mine = await live.reply_to(user, BARE)
    assert SUBJECT[lang] in mine["text"] and reported_by(1, lang) in mine["text"]


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_three_people_reporting_make_three_and_the_number_goes_to_the_officers(live, lang):
    for user in CROWD:
        await report_by_hand(live, user)
    answer = await live.reply_to(USER_OF[lang], BARE)
    assert reported_by(3, lang) in answer["text"]
    assert await live.rows("SELECT kind, value, reason FROM review_items") == [("phone", FRAUD.value, "reported")]


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_the_same_person_reporting_twice_still_counts_once(live, lang):
    user = USER_OF[lang]
    await report_by_hand(live, user)
    again = await report_by_hand(live, user, SCAM_WITH_NUMBER[lang])
    assert {"kk": "әр адам бір рет қана есептеледі", "ru": "каждый человек учитывается один раз"}[lang] in again["text"]
    assert reported_by(1, lang) in (await live.reply_to(user, BARE))["text"]
    assert await live.rows("SELECT count(*) FROM reports") == [(1,)]


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_report_by_hand_asks_again_when_it_finds_nothing_and_can_be_cancelled(live, lang):
    user = USER_OF[lang]
    await live.reply_to(user, "/report")
    again = await live.reply_to(user, {"kk": "ол маған жазды", "ru": "он мне написал"}[lang])
    assert again["text"].startswith({"kk": "Мұнда нөмір, карта, сілтеме не аккаунт таппадым.",
                                     "ru": "Я не нашёл здесь ни номера"}[lang])
    cancelled = await live.reply_to(user, "/cancel")
    assert cancelled["text"] == {"kk": "Жарайды, ештеңе жазылмады.", "ru": "Хорошо, ничего не записал."}[lang]
    after = await live.reply_to(user, BARE)  # out of the dialog: a lookup again
    assert NOBODY[lang] in after["text"]
    assert await live.rows("SELECT count(*) FROM reports") == [(0,)]


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_an_official_number_cannot_be_reported(live, lang):
    user = USER_OF[lang]
    await live.reply_to(user, "/report")
    answer = await live.reply_to(user, "7111")
    assert {"kk": "Ресми нөмірлер мен сайттарды", "ru": "Официальные номера и сайты"}[lang] in answer["text"]
    assert not buttons(answer)
    assert await live.rows("SELECT count(*) FROM reports") == [(0,)]


# --- what every later answer says -----------------------------------------------------------

@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_an_officers_confirmation_is_in_every_later_answer_containing_the_number(live, lang):
    await report_by_hand(live, CROWD[0])
    await live.deps.repos.reports.confirm(OFFICER, FRAUD)
    user = USER_OF[lang]
    for text in (BARE, SCAM_WITH_NUMBER[lang], CALM_WITH_NUMBER[lang]):
        answer = await live.reply_to(user, text)
        assert CONFIRMED[lang] in answer["text"], text
        assert reported_by(1, lang) in answer["text"]  # the crowd's count, on its own line
        assert answer["text"].index(CONFIRMED[lang]) < answer["text"].index(reported_by(1, lang))


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_number_an_officer_cleared_shows_nothing(live, lang):
    for user in CROWD[:2]:
        await report_by_hand(live, user)
    await live.deps.repos.reports.clear(OFFICER, FRAUD)
    user = USER_OF[lang]
    verdict = await live.reply_to(user, SCAM_WITH_NUMBER[lang])
    assert SUBJECT[lang] not in verdict["text"]
    lookup = await live.reply_to(user, BARE)
    assert NOBODY[lang] in lookup["text"] and "2" not in lookup["text"].replace(FRAUD.shown, "")


@pytest.mark.parametrize(("lang", "official"), [
    ("kk", "✅ Бұл — ресми нөмір. Halyk Bank байланыс орталығы — 7111."),
    ("ru", "✅ Это официальный номер. Контакт-центр Halyk Bank — 7111."),
])
async def test_an_official_bank_number_is_called_official(live, knowledge, lang, official):
    assert knowledge.contacts["halyk_7111"].text.get(lang) in official
    answer = await live.reply_to(USER_OF[lang], "7111")
    assert official in answer["text"]
    assert not buttons(answer)  # nothing to report


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_number_sent_alone_is_looked_up_not_checked(live, lang):
    user = USER_OF[lang]
    answer = await live.reply_to(user, BARE)
    assert answer["text"].startswith(f"<b>{SUBJECT[lang]}</b>") or answer["text"].startswith(SUBJECT[lang])
    assert NOBODY[lang] in answer["text"]
    assert not answer["text"].startswith(("🔴", "🟠", "🟡", "🟢"))
    assert await live.rows("SELECT count(*) FROM checks") == [(0,)]
    assert [b["text"] for b in buttons(answer)] == [REPORT_BUTTON[lang]]


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_forget_takes_the_person_out_of_their_reports_and_the_count_stays(live, lang):
    user = USER_OF[lang]
    await report_by_hand(live, user)
    verdict = await live.reply_to(user, SCAM_WITH_NUMBER[lang])
    candidates = await press(live, user, verdict, REPORT_BUTTON[lang])  # offered, not yet tapped
    question = await live.reply_to(user, "/forget")
    yes = next(b for b in buttons(question) if b["text"] == {"kk": "Иә, өшіру", "ru": "Да, удалить"}[lang])
    live.emulator.press(user, question["message_id"], yes["callback_data"])
    await live.emulator.wait_until(lambda: live.emulator.bot_messages(user)[-1]["text"].startswith(
        {"kk": "Дайын", "ru": "Готово"}[lang]))
    assert await live.rows("SELECT user_id, region FROM reports") == [(None, None)]
    assert reported_by(1, "ru") in (await live.reply_to(CROWD[0], BARE))["text"]
    data = buttons(candidates)[0]["callback_data"]  # nothing offered from their texts is left either
    assert (await alert_after(live, user, candidates["message_id"], data)).startswith(EXPIRED[lang])


# --- buttons that must not work -------------------------------------------------------------

@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_someone_elses_report_button_stores_nothing(live, lang):
    owner, intruder = (RU_USER, KK_USER) if lang == "kk" else (KK_USER, RU_USER)
    verdict = await live.reply_to(owner, SCAM_WITH_NUMBER[LANGS[owner]])
    candidates = await press(live, owner, verdict, REPORT_BUTTON[LANGS[owner]])
    forged = buttons(candidates)[0]["callback_data"]
    mine = await live.reply_to(intruder, BARE)
    assert (await alert_after(live, intruder, mine["message_id"], forged)).startswith(EXPIRED[lang])
    assert (await alert_after(live, intruder, mine["message_id"], "rep:pick:12345:0")).startswith(EXPIRED[lang])
    assert (await alert_after(live, intruder, mine["message_id"], "rep:pick:99999999999999999999:0")
            ).startswith({"kk": "Бұл түйме ескірген", "ru": "Эта кнопка устарела"}[lang])
    assert await live.rows("SELECT count(*) FROM reports") == [(0,)]


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_an_expired_report_button_says_so_and_stores_nothing(live, lang):
    user = USER_OF[lang]
    verdict = await live.reply_to(user, SCAM_WITH_NUMBER[lang])
    candidates = await press(live, user, verdict, REPORT_BUTTON[lang])
    live.deps.reports.ttl = 0.01  # an hour later, as far as the offer can tell
    await asyncio.sleep(0.05)
    data = buttons(candidates)[0]["callback_data"]
    assert (await alert_after(live, user, candidates["message_id"], data)).startswith(EXPIRED[lang])
    assert await live.rows("SELECT count(*) FROM reports") == [(0,)]


# --- disputes ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("lang", "text", "button"), [
    ("kk", "Апа, мен үйге жеттім, кешке қоңырау шаламын", "Меніңше, бұл алаяқтық"),
    ("ru", "Мама, я доехала до дома, вечером позвоню", "Мне кажется, это мошенничество"),
    ("kk", SCAM_WITH_NUMBER["kk"], "Бұл алаяқтық емес"),
    ("ru", SCAM_WITH_NUMBER["ru"], "Это не мошенничество"),
])
async def test_a_dispute_either_way_puts_the_check_in_the_officers_queue(live, lang, text, button):
    user = USER_OF[lang]
    verdict = await live.reply_to(user, text)
    thanks = await press(live, user, verdict, button)
    assert thanks["text"].startswith({"kk": "Рақмет! Полиция қызметкері бұл хабарламаны қарайды",
                                      "ru": "Спасибо! Сотрудник полиции посмотрит это сообщение"}[lang])
    [(check_id,)] = await live.rows("SELECT id FROM checks WHERE user_id = ?", user)
    assert await live.rows("SELECT check_id, reason FROM review_items") == [(check_id, "disputed")]


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_look_alike_link_sent_alone_gets_its_verdict_and_the_report_button(live, lang):
    answer = await live.reply_to(USER_OF[lang], "kaspi-bonus.top")
    assert answer["text"].startswith(("🔴", "🟠"))
    assert REPORT_BUTTON[lang] in [b["text"] for b in buttons(answer)]
