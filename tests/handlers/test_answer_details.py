"""A scam's short answer and the buttons that open the rest, end to end through the emulator:
"what to do", "where to report", "why I think so", rebuilt from the stored check (ids only).
Kazakh and Russian side by side."""

from __future__ import annotations

import pytest

from bot.replies.verdict import SHORT_ANSWER_LIMIT, Explained
from tests.handlers.test_bot import SCAMS, USER_OF, button_data, buttons

KK_USER, RU_USER = USER_OF["kk"], USER_OF["ru"]
SMS_WITH_LINK = {"kk": "Құрметті клиент! Картаңыз уақытша бұғатталды. Бұғаттан шығару: halyk-kz.online/unlock",
                 "ru": "Уважаемый клиент Halyk! Ваша карта заблокирована. Подробнее: halyk-bank.online/unblock"}
OUT_OF_DATE = {"kk": "Бұл түйме ескірген", "ru": "Эта кнопка устарела"}


async def a_scam_answer(live, lang: str, text: str) -> dict:
    live.emulator.add_user(USER_OF[lang], language_code=lang)
    answer = await live.reply_to(USER_OF[lang], text)
    assert answer["text"].startswith(("🔴", "🟠")), answer["text"]
    return answer


async def press(live, lang: str, answer: dict, prefix: str) -> dict:
    live.emulator.press(USER_OF[lang], answer["message_id"], button_data(answer, prefix))
    return await live.emulator.next_message(USER_OF[lang])


async def stored(live, lang: str) -> Explained:
    (scheme, alternative, channel, flags, why), = await live.rows(
        "SELECT scheme, alternative, channel, flags, why FROM checks WHERE user_id = ?", USER_OF[lang])
    return Explained(scheme, alternative, channel, tuple(filter(None, flags.split(","))),
                     tuple(filter(None, why.split(","))))


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_scams_first_answer_is_short_with_the_detail_buttons_under_it(live, knowledge, lang):
    answer = await a_scam_answer(live, lang, SCAMS[lang][0])
    assert len(answer["text"]) <= SHORT_ANSWER_LIMIT, len(answer["text"])
    assert knowledge.replies.report_heading.get(lang) not in answer["text"]  # behind its button now
    assert [b["callback_data"].split(":")[:2] for b in buttons(answer)][:3] == [["dt", "todo"], ["dt", "report"],
                                                                               ["dt", "why"]]


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_what_to_do_opens_every_step_for_the_scheme_and_channel(live, knowledge, renderer, lang):
    answer = await a_scam_answer(live, lang, SCAMS[lang][0])
    todo = await press(live, lang, answer, "dt:todo:")
    about = await stored(live, lang)
    assert about.scheme == SCAMS[lang][1]
    assert todo["text"] == renderer.details("todo", about, lang)
    steps = renderer.steps(about.scheme, about.channel, lang)
    assert len(steps) > 3 and all(step in todo["text"] for step in steps)


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_where_to_report_opens_the_contacts_and_is_kept_as_a_wish_to_report(live, knowledge, renderer, lang):
    answer = await a_scam_answer(live, lang, SCAMS[lang][0])
    report = await press(live, lang, answer, "dt:report:")
    about = await stored(live, lang)
    assert report["text"] == renderer.details("report", about, lang)
    assert report["text"].startswith(knowledge.replies.report_heading.get(lang))
    for contact_id in knowledge.schemes[about.scheme].report_via:
        assert report["text"].count(knowledge.contacts[contact_id].text.get(lang)) == 1
    assert await live.rows("SELECT f.kind FROM feedback f JOIN checks c ON c.id = f.check_id WHERE c.user_id = ?",
                           USER_OF[lang]) == [("report",)]


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_why_i_think_so_names_the_scheme_and_the_flags_but_never_quotes_the_users_words(live, knowledge, lang):
    answer = await a_scam_answer(live, lang, SMS_WITH_LINK[lang])
    why = await press(live, lang, answer, "dt:why:")
    about = await stored(live, lang)
    assert why["text"].startswith(knowledge.replies.why_heading.get(lang))
    assert knowledge.schemes[about.scheme].summary.get(lang) in why["text"]
    assert knowledge.signals.structural["link_lookalike"].title.get(lang) in why["text"]
    assert knowledge.channels["sms_link"].title.get(lang) in why["text"]
    assert "halyk" not in why["text"].casefold()  # quotes are never stored, so never shown from storage


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_an_sms_with_a_link_hears_about_the_link_and_1400_not_about_hanging_up(live, knowledge, lang):
    answer = await a_scam_answer(live, lang, SMS_WITH_LINK[lang])
    assert knowledge.channels["sms_link"].steps[0].get(lang) in answer["text"]
    assert "1400" in answer["text"]
    assert not any(word in answer["text"] for word in ("трубк", "Сөйлесуді", "телефонды қой"))
    report = await press(live, lang, answer, "dt:report:")
    assert report["text"].splitlines()[1] == f"• {knowledge.contacts['kz_cert'].text.get(lang)}"


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_detail_of_someone_elses_check_reveals_nothing(live, lang):
    owner = "ru" if lang == "kk" else "kk"
    answer = await a_scam_answer(live, owner, SCAMS[owner][0])
    check_id = int(button_data(answer, "dt:why:").split(":")[-1])
    live.emulator.add_user(USER_OF[lang], language_code=lang)
    mine = await live.reply_to(USER_OF[lang], "Сәлем, қалайсың?" if lang == "kk" else "Привет, как дела?")
    sent_before = len(live.emulator.bot_messages(USER_OF[lang]))
    live.emulator.callback_answers.clear()
    live.emulator.press(USER_OF[lang], mine["message_id"], f"dt:why:{check_id}", force=True)
    await live.emulator.wait_until(lambda: bool(live.emulator.callback_answers))
    assert live.emulator.callback_answers[-1]["text"].startswith(OUT_OF_DATE[lang])
    assert len(live.emulator.bot_messages(USER_OF[lang])) == sent_before
    assert await live.rows("SELECT count(*) FROM feedback") == [(0,)]


@pytest.mark.parametrize(("lang", "confirm", "done"), [
    ("kk", "Иә, өшіру", "Дайын: бәрі өшірілді."),
    ("ru", "Да, удалить", "Готово: всё удалено."),
])
async def test_after_forget_a_detail_button_is_out_of_date(live, lang, confirm, done):
    user = USER_OF[lang]
    answer = await a_scam_answer(live, lang, SCAMS[lang][0])
    question = await live.reply_to(user, "/forget")
    yes = next(b for b in buttons(question) if b["text"] == confirm)
    live.emulator.press(user, question["message_id"], yes["callback_data"])
    await live.emulator.wait_until(lambda: live.emulator.bot_messages(user)[-1]["text"].startswith(done))
    live.emulator.callback_answers.clear()
    live.emulator.press(user, answer["message_id"], button_data(answer, "dt:todo:"))
    await live.emulator.wait_until(lambda: bool(live.emulator.callback_answers))
    assert live.emulator.callback_answers[-1]["text"].startswith(OUT_OF_DATE[lang])
