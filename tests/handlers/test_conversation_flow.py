"""A conversation with the bot, end to end through the emulator (issue 12): every example the
issue quotes, in Kazakh and Russian side by side, gets its path — the urgent steps, an answer in
the context of the last verdict, a FAQ answer, a greeting — and none of them a green verdict.
The context survives a restart of the bot; /forget erases it (the database file's bytes are
read) and the next text starts over with the language question, the menu keyboard gone.
"""

from __future__ import annotations

import pytest

from tests.support.questions import FAQ_QUESTIONS

from tests.support.livebot import live_bot
from tests.handlers.test_bot import button_data, buttons

KK_USER, RU_USER = 12001, 12002
USER_OF = {"kk": KK_USER, "ru": RU_USER}
SCHEME = "bank_security_call"
BANK_CALL = {
    "ru": "Здравствуйте, это служба безопасности банка. По вашей карте подозрительная операция, "
          "продиктуйте код из SMS, чтобы её отменить",
    "kk": "Сәлеметсіз бе, банктің қауіпсіздік қызметі. Картаңыздан күдікті аударым байқалды, "
          "операцияны тоқтату үшін SMS-тағы кодты айтыңыз",
}
GREEN = "🟢"


def assert_not_green(answer: dict) -> None:
    assert not answer["text"].startswith(GREEN), answer["text"][:200]


async def talk(live, lang: str, *texts: str) -> list[dict]:
    """A user of that language sends each text in turn; the bot's first answer to each."""
    user = USER_OF[lang]
    live.emulator.add_user(user, language_code=lang)
    answers = []
    for text in texts:
        answer = await live.reply_to(user, text)
        assert_not_green(answer)
        answers.append(answer)
    return answers


async def after_bank_call(live, lang: str, text: str) -> dict:
    """The bank-security scam, then ``text``: the answer to ``text``."""
    warning, answer = await talk(live, lang, BANK_CALL[lang], text)
    assert warning["text"].startswith(("🔴", "🟠"))
    return answer


# --- "I already sent the money" -----------------------------------------------------------------

@pytest.mark.parametrize(("lang", "text"), [
    ("ru", "я перевела мошенникам 150 тыс на каспи голд что теперь делать"),
    ("kk", "алаяққа 50 мың аударып жібердім не істеймін"),
    ("ru", "деньги ушли что делать"),
    ("kk", "ақшам кетіп қалды не істеймін"),
])
async def test_a_victim_who_already_sent_money_gets_the_urgent_steps(live, knowledge, lang, text):
    (answer,) = await talk(live, lang, text)
    path = knowledge.help.paid_by_kind["money"]
    assert answer["text"].startswith(path.title.get(lang))
    assert knowledge.contacts["bank_card_back"].text.get(lang) in answer["text"]
    assert "102" in answer["text"]
    assert knowledge.schemes[SCHEME].what_to_do[0].get(lang) not in answer["text"]  # not "hang up"
    assert await live.rows("SELECT count(*) FROM checks") == [(0,)]


# --- follow-ups to a bank-security warning --------------------------------------------------------

@pytest.mark.parametrize(("lang", "text"), [
    ("ru", "я ему еще не говорила код"),
    ("kk", "мен оған әлі кодты айтқан жоқпын"),
])
async def test_not_having_told_the_code_yet_gets_good_dont_hang_up_and_call_the_bank(live, knowledge, lang, text):
    answer = await after_bank_call(live, lang, text)
    scheme = knowledge.schemes[SCHEME]
    assert answer["text"].startswith(knowledge.conversation.followup.heading.get(lang).format(title=scheme.title.get(lang)))
    assert knowledge.conversation.followup.not_yet.said["code"].get(lang) in answer["text"]
    assert scheme.what_to_do[0].get(lang) in answer["text"]
    assert {"ru": "по номеру на обороте карты", "kk": "картаның екінші бетіндегі"}[lang] in answer["text"]


@pytest.mark.parametrize(("lang", "text"), [
    ("kk", "ал енди не истеймиз"),
    ("ru", "и что нам теперь делать"),
])
async def test_what_now_after_the_warning_gets_the_schemes_steps_not_a_red_banner(live, knowledge, lang, text):
    answer = await after_bank_call(live, lang, text)
    assert not answer["text"].startswith(("🔴", "🟠"))
    assert knowledge.conversation.followup.now.get(lang) in answer["text"]
    assert knowledge.schemes[SCHEME].what_to_do[0].get(lang) in answer["text"]


@pytest.mark.parametrize(("lang", "text"), [
    ("ru", "а если он опять позвонит что делать"),
    ("kk", "ол тағы қоңырау шалса не істеймін"),
])
async def test_what_if_he_calls_again_gets_the_bank_schemes_advice_not_the_police_scheme(live, knowledge, lang, text):
    answer = await after_bank_call(live, lang, text)
    assert knowledge.schemes[SCHEME].title.get(lang) in answer["text"]
    assert knowledge.schemes["law_enforcement_impersonation"].title.get(lang) not in answer["text"]
    assert knowledge.conversation.followup.again.intro.get(lang) in answer["text"]
    assert knowledge.contacts["operator_help"].text.get(lang) in answer["text"]


# --- plain questions ---------------------------------------------------------------------------

@pytest.mark.parametrize(("lang", "text", "faq_id"), FAQ_QUESTIONS)
async def test_a_plain_question_gets_its_faq_answer_not_a_verdict(live, knowledge, lang, text, faq_id):
    (answer,) = await talk(live, lang, text)
    entry = next(e for e in knowledge.help.faq if e.id == faq_id)
    assert answer["text"].startswith(entry.question.get(lang))
    assert buttons(answer)[0]["callback_data"] == "faq:-"  # back to all questions
    assert await live.rows("SELECT count(*) FROM checks") == [(0,)]


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_kaspis_number_is_not_invented_the_card_and_the_app_are_named(live, lang):
    text = {"ru": "какой номер у каспи банка", "kk": "каспи банктің нөмірі қандай"}[lang]
    (answer,) = await talk(live, lang, text)
    assert {"ru": "с обратной стороны карты", "kk": "картаның екінші бетінен"}[lang] in answer["text"]
    assert {"ru": "официального приложения банка", "kk": "банктің ресми қосымшасынан"}[lang] in answer["text"]


# --- greetings --------------------------------------------------------------------------------

@pytest.mark.parametrize(("lang", "text", "social"), [
    ("ru", "привет", "hello"),
    ("kk", "сәлем", "hello"),
    ("ru", "👍", "emoji"),
    ("kk", "👍", "emoji"),
])
async def test_a_greeting_or_an_emoji_gets_a_friendly_answer_not_a_verdict_nor_empty(live, knowledge, lang, text, social):
    (answer,) = await talk(live, lang, text)
    assert answer["text"].startswith(getattr(knowledge.conversation.social, social).get(lang))
    assert knowledge.replies.empty_input.get(lang) not in answer["text"]
    assert await live.rows("SELECT count(*) FROM checks") == [(0,)]


# --- the context survives a restart; /forget erases it -------------------------------------------

@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_the_follow_up_context_survives_a_restart_of_the_bot(settings, classifier, knowledge, tmp_path, lang):
    database = {"database_path": tmp_path / "saqbol.db", "heartbeat_path": tmp_path / "heartbeat"}
    async with live_bot(settings, classifier, **database) as first:
        await talk(first, lang, BANK_CALL[lang])
    async with live_bot(settings, classifier, **database) as second:  # a new process state, the same file
        text = {"ru": "а если он опять позвонит что делать", "kk": "ол тағы қоңырау шалса не істеймін"}[lang]
        (answer,) = await talk(second, lang, text)
    assert knowledge.conversation.followup.again.intro.get(lang) in answer["text"]
    assert knowledge.schemes[SCHEME].title.get(lang) in answer["text"]


@pytest.mark.parametrize(("lang", "confirm"), [("kk", "Иә, өшіру"), ("ru", "Да, удалить")])
async def test_forget_erases_the_context_from_the_database_file_and_the_next_text_starts_over(
        live, knowledge, lang, confirm):
    user = USER_OF[lang]
    follow_up = {"ru": "я ему еще не говорила код", "kk": "мен оған әлі кодты айтқан жоқпын"}[lang]
    await talk(live, lang, BANK_CALL[lang], follow_up)
    live.emulator.send_text(user, "/start")  # the menu keyboard comes with the end of onboarding
    greeting = await live.emulator.next_message(user)
    live.emulator.press(user, greeting["message_id"], button_data(greeting, f"lang:{lang}"))
    region_question = await live.emulator.next_message(user)
    live.emulator.press(user, region_question["message_id"], button_data(region_question, "rg:-:"))
    await live.emulator.next_message(user)  # the welcome, with the menu
    await live.emulator.next_message(user)  # the offer of police alerts
    assert live.emulator.reply_keyboard(user) is not None

    def stored() -> bytes:
        return b"".join(p.read_bytes() for p in live.db_path.parent.glob(live.db_path.name + "*"))

    await live.deps.db.conn.commit()
    assert await live.rows("SELECT count(*) FROM conversations WHERE user_id = ?", user) == [(1,)]
    assert SCHEME.encode() in stored()  # the test can see the memory in the file
    question = await live.reply_to(user, "/forget")
    yes = next(b for b in buttons(question) if b["text"] == confirm)
    live.emulator.press(user, question["message_id"], yes["callback_data"])
    done = await live.emulator.next_message(user)
    assert done["text"].startswith({"ru": "Готово: всё удалено.", "kk": "Дайын: бәрі өшірілді."}[lang])
    assert live.emulator.reply_keyboard(user) is None  # no stale menu
    assert await live.rows("SELECT count(*) FROM conversations") == [(0,)]
    # What stays is the dashboard's anonymous day counts (a day, "scheme", the scheme's id, a
    # number: nobody's). Without them nothing in the file may still name the scheme: the memory,
    # the check and the rows' old copies (secure_delete, the WAL checkpointed) are gone.
    assert await live.rows("SELECT count(*) FROM check_counts WHERE dimension = 'scheme' AND value = ?",
                           SCHEME) == [(1,)]
    await live.deps.db.execute("DELETE FROM check_counts")
    await live.deps.db.checkpoint()
    assert SCHEME.encode() not in stored()

    text = {"ru": "а если он опять позвонит что делать", "kk": "ол тағы қоңырау шалса не істеймін"}[lang]
    live.emulator.send_text(user, text)
    first = await live.emulator.next_message(user)
    assert [b["text"] for b in buttons(first)] == ["Қазақша", "Русский"]  # the language question, as for a new user
    live.emulator.send_text(user, BANK_CALL[lang])  # then whatever answers the follow-up, up to this verdict
    while not (answer := await live.emulator.next_message(user))["text"].startswith(("🔴", "🟠")):
        assert knowledge.conversation.followup.again.intro.get(lang) not in answer["text"]  # no context left
        assert_not_green(answer)


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_picture_caption_checked_as_a_scam_gives_the_next_follow_up_its_context(live, knowledge, lang):
    user = USER_OF[lang]
    live.emulator.add_user(user, language_code=lang)
    live.emulator.send_photo(user, image=b"not a picture", caption=BANK_CALL[lang])  # unreadable: the caption is checked
    warning = await live.emulator.next_message(user)  # "could not open the picture", then the caption's verdict
    assert "🔴" in warning["text"] or "🟠" in warning["text"]
    text = {"ru": "а если он опять позвонит что делать", "kk": "ол тағы қоңырау шалса не істеймін"}[lang]
    answer = await live.reply_to(user, text)
    assert knowledge.conversation.followup.again.intro.get(lang) in answer["text"]
    assert knowledge.schemes[SCHEME].title.get(lang) in answer["text"]
