"""The bot end to end: Telegram updates in through the emulator, over HTTP, answers out.

Kazakh and Russian cases side by side. Every test talks to the running aiogram dispatcher
only through the emulator, as Telegram would; the database is read to check what was kept.
"""

from __future__ import annotations

import asyncio
import time

import pytest

KK_USER, RU_USER, EN_USER = 1001, 1002, 1003

SCAMS = {
    "ru": ("Здравствуйте, это служба безопасности банка. По вашей карте подозрительная операция, "
           "продиктуйте код из SMS, чтобы её отменить", "bank_security_call"),
    "kk": ("Құттықтаймыз! Сіз ұтыс ойынында көлік ұтып алдыңыз. Жүлдені алу үшін 5000 теңге "
           "салық төлеңіз", "prize_lottery"),
}
USER_OF = {"kk": KK_USER, "ru": RU_USER}


def buttons(message: dict) -> list[dict]:
    markup = message.get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row]


def button_data(message: dict, startswith: str) -> str:
    return next(b["callback_data"] for b in buttons(message) if b["callback_data"].startswith(startswith))


async def press_under_a_verdict(live, lang: str, action: str) -> dict:
    """A scam checked by a user of that language, then a press on one of the buttons under the
    verdict; returns the bot's next message."""
    user = USER_OF[lang]
    live.emulator.add_user(user, language_code=lang)
    answer = await live.reply_to(user, SCAMS[lang][0])
    live.emulator.press(user, answer["message_id"], button_data(answer, f"ck:{action}:"))
    return await live.emulator.next_message(user)


async def feedback_of(live, user_id: int) -> list[tuple]:
    return await live.rows("SELECT f.kind FROM feedback f JOIN checks c ON c.id = f.check_id WHERE c.user_id = ?",
                           user_id)


async def choose_language(live, user_id: int, lang: str) -> dict:
    """/start, then a press on the language button; returns the region question."""
    live.emulator.add_user(user_id, language_code=None)
    greeting = await live.reply_to(user_id, "/start")
    live.emulator.press(user_id, greeting["message_id"], button_data(greeting, f"lang:{lang}"))
    return await live.emulator.next_message(user_id)


# --- start, language, region ---------------------------------------------------------------

async def test_start_greets_in_both_languages_and_offers_both(live):
    greeting = await live.reply_to(KK_USER, "/start")
    assert "Сәлеметсіз бе" in greeting["text"] and "Здравствуйте" in greeting["text"]
    assert [b["text"] for b in buttons(greeting)] == ["Қазақша", "Русский"]


@pytest.mark.parametrize(("lang", "question", "region_id", "saved"), [
    ("kk", "Қай өңірде тұрасыз?", "almaty_city", "Өңір сақталды: Алматы."),
    ("ru", "В каком регионе вы живёте?", "kostanay", "Регион сохранён: Костанайская область."),
])
async def test_start_then_language_then_region_are_stored(live, lang, question, region_id, saved):
    user = USER_OF[lang]
    region_question = await choose_language(live, user, lang)
    assert region_question["text"].startswith(question)
    assert len(buttons(region_question)) == 21  # 17 regions, 3 cities, skip
    live.emulator.press(user, region_question["message_id"], button_data(region_question, f"rg:{region_id}:"))
    welcome = await live.emulator.next_message(user)
    edited = next(m for m in live.emulator.bot_messages(user) if m["message_id"] == region_question["message_id"])
    assert edited["text"] == saved
    assert "SaqBol" in welcome["text"] and live.emulator.reply_keyboard(user)["keyboard"]
    await live.emulator.next_message(user)  # the offer of police alerts
    assert await live.rows("SELECT language, region FROM users WHERE id = ?", user) == [(lang, region_id)]


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_region_can_be_skipped(live, lang):
    user = USER_OF[lang]
    region_question = await choose_language(live, user, lang)
    live.emulator.press(user, region_question["message_id"], button_data(region_question, "rg:-:"))
    await live.emulator.next_message(user)  # the welcome
    await live.emulator.next_message(user)  # the offer of police alerts
    assert await live.rows("SELECT language, region FROM users WHERE id = ?", user) == [(lang, None)]


# --- checks ------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_scam_gets_a_warning_in_the_users_language_naming_the_scheme(live, knowledge, lang):
    text, scheme = SCAMS[lang]
    live.emulator.add_user(USER_OF[lang], language_code=lang)
    answer = await live.reply_to(USER_OF[lang], text)
    assert answer["text"].startswith(("🔴", "🟠"))
    assert knowledge.schemes[scheme].title.get(lang) in answer["text"]
    assert knowledge.replies.todo_heading.get(lang) in answer["text"]
    labels = [b["text"] for b in buttons(answer)]
    expected = {"kk": ["Не істеу керек", "Қайда хабарлау", "Неге бұлай ойлаймын", "Ақша кетіп қалды", "Бұл алаяқтық емес"],
                "ru": ["Что делать", "Куда сообщить", "Почему я так думаю", "Деньги уже ушли", "Это не мошенничество"]}
    assert labels == expected[lang]


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_chosen_language_wins_over_the_language_of_the_text(live, knowledge, lang):
    other = "ru" if lang == "kk" else "kk"
    user = USER_OF[lang]
    region_question = await choose_language(live, user, lang)
    live.emulator.press(user, region_question["message_id"], button_data(region_question, "rg:-:"))
    await live.emulator.next_message(user)  # the welcome
    await live.emulator.next_message(user)  # the offer of police alerts
    text, scheme = SCAMS[other]
    answer = await live.reply_to(user, text)
    assert knowledge.schemes[scheme].title.get(lang) in answer["text"]


async def test_without_a_known_language_the_answer_follows_the_text(live, knowledge):
    live.emulator.add_user(EN_USER, language_code="en")
    text, scheme = SCAMS["kk"]
    answer = await live.reply_to(EN_USER, text)
    assert knowledge.schemes[scheme].title.get("kk") in answer["text"]


@pytest.mark.parametrize(("lang", "text"), [
    ("kk", "Апа, мен үйге жеттім, кешке қоңырау шаламын"),
    ("ru", "Мама, я доехала до дома, вечером позвоню"),
])
async def test_ordinary_text_gets_a_calm_answer(live, knowledge, lang, text):
    live.emulator.add_user(USER_OF[lang], language_code=lang)
    answer = await live.reply_to(USER_OF[lang], text)
    assert answer["text"].startswith(("🟢", "🟡"))
    assert knowledge.replies.calm_advice.get(lang)[0] in answer["text"]
    assert buttons(answer)[-1]["text"] == {"kk": "Меніңше, бұл алаяқтық", "ru": "Мне кажется, это мошенничество"}[lang]


@pytest.mark.parametrize(("lang", "note"), [
    ("kk", "аккаунтын жасырған"),
    ("ru", "скрыл свой аккаунт"),
])
async def test_forward_from_a_hidden_user_is_checked_and_explained(live, knowledge, lang, note):
    user = USER_OF[lang]
    live.emulator.add_user(user, language_code=lang)
    text, scheme = SCAMS[lang]
    live.emulator.send_forward(user, text, origin={"type": "hidden_user", "date": int(time.time()),
                                                   "sender_user_name": "Kaspi Bank"})
    answer = await live.emulator.next_message(user)
    assert note in answer["text"] and "Kaspi Bank" in answer["text"]
    assert knowledge.schemes[scheme].title.get(lang) in answer["text"]
    assert await live.rows("SELECT source FROM checks WHERE user_id = ?", user) == [("forward",)]


async def test_forward_from_a_channel_names_the_channel(live):
    live.emulator.add_user(RU_USER, language_code="ru")
    origin = {"type": "channel", "date": int(time.time()), "message_id": 7,
              "chat": {"id": -1001234567890, "type": "channel", "title": "Kaspi <Бонус>"}}
    live.emulator.send_forward(RU_USER, SCAMS["ru"][0], origin=origin)
    answer = await live.emulator.next_message(RU_USER)
    assert "из канала «Kaspi <Бонус>»" in answer["text"]


async def test_forward_from_a_user_suggests_calling_them(live):
    live.emulator.add_user(KK_USER, language_code="kk")
    origin = {"type": "user", "date": int(time.time()),
              "sender_user": {"id": 42, "is_bot": False, "first_name": "Айгүл"}}
    live.emulator.send_forward(KK_USER, "Сәлем, 20 мың жіберіп тұрш, ертең қайтарам", origin=origin)
    answer = await live.emulator.next_message(KK_USER)
    assert "Айгүл" in answer["text"] and "қоңырау шалыңыз" in answer["text"]


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_caption_of_a_photo_is_checked(live, knowledge, lang):
    live.emulator.add_user(USER_OF[lang], language_code=lang)
    text, scheme = SCAMS[lang]
    live.emulator.send_photo(USER_OF[lang], caption=text)
    answer = await live.emulator.next_message(USER_OF[lang])
    assert knowledge.schemes[scheme].title.get(lang) in answer["text"]


# --- buttons under a verdict ---------------------------------------------------------------

@pytest.mark.parametrize(("lang", "thanks"), [("kk", "Рақмет!"), ("ru", "Спасибо!")])
async def test_not_fraud_button_stores_the_judgement(live, lang, thanks):
    reply = await press_under_a_verdict(live, lang, "not_scam")
    assert reply["text"].startswith(thanks)
    assert await feedback_of(live, USER_OF[lang]) == [("not_scam",)]


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_already_paid_button_gives_the_urgent_steps_in_order(live, knowledge, lang):
    steps = await press_under_a_verdict(live, lang, "paid")
    flow = knowledge.help.already_paid
    assert steps["text"].startswith(flow.title.get(lang))
    positions = [steps["text"].index(step.get(lang)) for step in flow.steps]
    assert positions == sorted(positions)
    assert await feedback_of(live, USER_OF[lang]) == [("paid",)]


@pytest.mark.parametrize(("lang", "button"), [("kk", "🚨 Ақша кетіп қалды"), ("ru", "🚨 Деньги уже ушли")])
async def test_already_paid_menu_button_gives_the_urgent_steps(live, knowledge, lang, button):
    live.emulator.add_user(USER_OF[lang], language_code=lang)
    steps = await live.reply_to(USER_OF[lang], button)
    assert steps["text"].startswith(knowledge.help.already_paid.title.get(lang))
    assert "102" in steps["text"]


@pytest.mark.parametrize(("lang", "text"), [
    ("kk", "Апа, мен үйге жеттім, кешке қоңырау шаламын"),
    ("ru", "Мама, я доехала до дома, вечером позвоню"),
])
async def test_how_to_report_button_under_a_calm_verdict_answers_from_the_faq(live, knowledge, lang, text):
    """Under a scam, "where to report" gives that scheme's own contacts (tests/handlers/test_answer_details.py)."""
    user = USER_OF[lang]
    live.emulator.add_user(user, language_code=lang)
    answer = await live.reply_to(user, text)
    live.emulator.press(user, answer["message_id"], button_data(answer, "ck:report:"))
    reply = await live.emulator.next_message(user)
    report = next(e for e in knowledge.help.faq if e.id == "report")
    assert reply["text"].startswith(report.question.get(lang))
    assert await feedback_of(live, user) == [("report",)]


async def test_a_forged_button_for_someone_elses_check_stores_nothing(live):
    live.emulator.add_user(RU_USER, language_code="ru")
    answer = await live.reply_to(RU_USER, SCAMS["ru"][0])
    check_id = int(button_data(answer, "ck:paid:").split(":")[-1])
    live.emulator.add_user(KK_USER, language_code="kk")
    mine = await live.reply_to(KK_USER, "Сәлем, қалайсың?")
    live.emulator.press(KK_USER, mine["message_id"], f"ck:not_scam:{check_id}", force=True)
    await live.emulator.next_message(KK_USER)
    assert await live.rows("SELECT count(*) FROM feedback") == [(0,)]


@pytest.mark.parametrize(("lang", "button"), [("kk", "❓ Сұрақтар мен көмек"), ("ru", "❓ Вопросы и помощь")])
async def test_faq_menu_lists_questions_and_opens_an_answer(live, knowledge, lang, button):
    user = USER_OF[lang]
    live.emulator.add_user(user, language_code=lang)
    menu = await live.reply_to(user, button)
    assert [b["text"] for b in buttons(menu)] == [e.button.get(lang) for e in knowledge.help.faq]
    entry = knowledge.help.faq[1]
    live.emulator.press(user, menu["message_id"], f"faq:{entry.id}")
    await live.emulator.wait_until(lambda: live.emulator.bot_messages(user)[-1]["text"] != menu["text"])
    assert live.emulator.bot_messages(user)[-1]["text"].startswith(entry.question.get(lang))


# --- privacy ------------------------------------------------------------------------------

@pytest.mark.parametrize(("lang", "confirm", "done"), [
    ("kk", "Иә, өшіру", "Дайын: бәрі өшірілді."),
    ("ru", "Да, удалить", "Готово: всё удалено."),
])
async def test_forget_deletes_every_row_of_the_user_after_confirmation(live, lang, confirm, done):
    user, other = USER_OF[lang], EN_USER
    live.emulator.add_user(user, language_code=lang)
    answer = await live.reply_to(user, SCAMS[lang][0])
    live.emulator.press(user, answer["message_id"], button_data(answer, "dt:report:"))
    await live.emulator.next_message(user)
    assert await feedback_of(live, user) == [("report",)]
    await live.reply_to(other, "Мама, я доехала до дома, вечером позвоню")  # a message: checked and stored
    question = await live.reply_to(user, "/forget")
    yes = next(b for b in buttons(question) if b["text"] == confirm)
    live.emulator.press(user, question["message_id"], yes["callback_data"])
    await live.emulator.wait_until(lambda: live.emulator.bot_messages(user)[-1]["text"].startswith(done))
    assert await live.rows("SELECT count(*) FROM users WHERE id = ?", user) == [(0,)]
    assert await live.rows("SELECT count(*) FROM checks WHERE user_id = ?", user) == [(0,)]
    assert await live.rows("SELECT count(*) FROM feedback") == [(0,)]
    assert await live.rows("SELECT count(*) FROM checks WHERE user_id = ?", other) == [(1,)]


async def test_forget_can_be_cancelled(live):
    await live.reply_to(RU_USER, "Мама, я доехала до дома, вечером позвоню")
    question = await live.reply_to(RU_USER, "/forget")
    live.emulator.press(RU_USER, question["message_id"], button_data(question, "fg:0"))
    await live.emulator.wait_until(lambda: "ничего не удалено" in live.emulator.bot_messages(RU_USER)[-1]["text"])
    assert await live.rows("SELECT count(*) FROM checks WHERE user_id = ?", RU_USER) == [(1,)]


async def test_personal_numbers_never_reach_the_database_file(live):
    secrets = {
        "card": ("4400 4302 1234 5674", "4400430212345674"),
        "iin": ("900101300123", "900101300123"),
        "phone": ("+7 701 234 56 78", "77012345678"),
        "code": ("код 482915", "482915"),
    }
    live.emulator.add_user(RU_USER, language_code="ru")
    await live.reply_to(RU_USER, f"Мне написали: переведите на карту {secrets['card'][0]}, ИИН {secrets['iin'][0]}")
    await live.reply_to(RU_USER, f"Звонили с номера {secrets['phone'][0]}, просили {secrets['code'][0]}")
    await live.reply_to(RU_USER, "Менің картам 4400-4302-1234-5674, ЖСН 900101300123")
    await live.deps.db.conn.commit()
    stored = b"".join(p.read_bytes() for p in live.db_path.parent.glob(live.db_path.name + "*"))
    assert b"text_redacted" in stored  # the file really holds the schema
    # A person's own words about a scam may be read as a story told inside the conversation rather
    # than a message to check, and then nothing of them is stored at all.
    assert (await live.rows("SELECT count(*) FROM checks"))[0][0] >= 1
    for typed, digits in secrets.values():
        for form in {typed, digits, digits[-8:]}:
            assert form.encode() not in stored, form


# --- input the bot cannot read, or should not take -------------------------------------------

@pytest.mark.parametrize(("send", "lang", "expected"), [
    ("send_sticker", "kk", "Стикерлерді оқи алмаймын"),
    ("send_sticker", "ru", "Стикеры я читать не умею"),
    ("send_voice", "kk", "Дауыстық және бейнехабарламаларды"),
    ("send_voice", "ru", "Голосовые и видеосообщения"),
    ("send_document", "ru", "Файлы я не открываю"),
    ("send_location", "kk", "Мұндай хабарламаны тексере алмаймын"),
])
async def test_unreadable_messages_get_a_polite_answer(live, send, lang, expected):
    user = USER_OF[lang]
    live.emulator.add_user(user, language_code=lang)
    getattr(live.emulator, send)(user)
    answer = await live.emulator.next_message(user)
    assert answer["text"].startswith(expected)
    assert await live.rows("SELECT count(*) FROM checks") == [(0,)]


@pytest.mark.parametrize(("lang", "expected"), [("kk", "Хабарлама бос."), ("ru", "Сообщение пустое.")])
async def test_invisible_text_is_answered_as_empty(live, lang, expected):
    live.emulator.add_user(USER_OF[lang], language_code=lang)
    answer = await live.reply_to(USER_OF[lang], "\u200b\u200d\u2060 \ufeff")
    assert answer["text"].startswith(expected)


async def test_a_4096_character_wall_is_checked_and_answered_within_limits(live):
    live.emulator.add_user(RU_USER, language_code="ru")
    wall = ("Срочно! Служба безопасности банка: назовите код из SMS. " * 80)[:4096]
    answer = await live.reply_to(RU_USER, wall)
    assert answer["text"].startswith(("🔴", "🟠"))
    assert all(len(m["text"]) <= 4096 for m in live.emulator.bot_messages(RU_USER))
    assert buttons(live.emulator.bot_messages(RU_USER)[-1])  # the buttons come with the last part


async def test_html_in_the_users_text_is_not_interpreted(live):
    live.emulator.add_user(RU_USER, language_code="ru")
    answer = await live.reply_to(RU_USER, "<b>Ваш</b> выигрыш тут: https://kaspi-bonus.top/?a=1&b=<i>")
    assert "kaspi-bonus[.]top" in answer["text"]
    assert "https://kaspi-bonus.top" not in answer["text"]


async def test_unknown_command_is_not_checked(live):
    answer = await live.reply_to(RU_USER, "/drop_table_users")
    assert "/help" in answer["text"]
    assert await live.rows("SELECT count(*) FROM checks") == [(0,)]


# --- floods and Telegram errors ------------------------------------------------------------

async def test_a_flood_is_throttled_with_one_notice_and_others_are_unaffected(live):
    live.emulator.add_user(RU_USER, language_code="ru")
    for n in range(30):
        live.emulator.send_text(RU_USER, f"сообщение номер {n}")
    live.emulator.add_user(KK_USER, language_code="kk")
    hello = await live.reply_to(KK_USER, "Сәлем, қалайсың?")
    assert hello["text"].startswith("Сәлеметсіз бе!")

    def settled() -> bool:
        return len(live.emulator.bot_messages(RU_USER)) >= 21

    await live.emulator.wait_until(settled)
    await asyncio.sleep(0.3)  # nothing more may arrive
    texts = [m["text"] for m in live.emulator.bot_messages(RU_USER)]
    notices = [t for t in texts if "слишком много сообщений" in t]
    assert len(notices) == 1
    assert len(texts) == 21  # 20 answers within the limit, one notice


async def test_a_429_is_waited_out_and_the_answer_still_arrives(live):
    live.emulator.add_user(RU_USER, language_code="ru")
    live.emulator.fail("sendMessage", error_code=429, retry_after=1, chat_id=RU_USER)
    started = time.monotonic()
    answer = await live.reply_to(RU_USER, SCAMS["ru"][0], timeout=15)
    assert answer["text"].startswith(("🔴", "🟠"))
    sends = [r for r in live.emulator.requests if r.method == "sendMessage" and r.chat_id == RU_USER]
    assert [r.status for r in sends] == [429, 200]
    assert sends[1].time - sends[0].time >= 1.0
    assert time.monotonic() - started >= 1.0


async def test_a_server_error_is_retried(live):
    live.emulator.add_user(KK_USER, language_code="kk")
    live.emulator.fail("sendMessage", error_code=502, chat_id=KK_USER, times=2)
    answer = await live.reply_to(KK_USER, SCAMS["kk"][0], timeout=15)
    assert answer["text"].startswith(("🔴", "🟠"))


async def test_a_user_who_blocked_the_bot_does_not_break_it_for_others(live):
    live.emulator.add_user(RU_USER, language_code="ru")
    live.emulator.block(RU_USER)
    live.emulator.send_text(RU_USER, SCAMS["ru"][0])
    live.emulator.add_user(KK_USER, language_code="kk")
    answer = await live.reply_to(KK_USER, SCAMS["kk"][0])
    assert answer["text"].startswith(("🔴", "🟠"))


@pytest.mark.parametrize(("lang", "question", "faq_id"), [
    ("kk", "Картаны қалай бұғаттаймын?", "block_card"),
    ("ru", "куда звонить?", "report"),
])
async def test_a_general_question_is_answered_from_the_faq(live, knowledge, lang, question, faq_id):
    live.emulator.add_user(USER_OF[lang], language_code=lang)
    answer = await live.reply_to(USER_OF[lang], question)
    entry = next(e for e in knowledge.help.faq if e.id == faq_id)
    assert answer["text"].startswith(entry.question.get(lang))
    assert await live.rows("SELECT count(*) FROM checks") == [(0,)]
