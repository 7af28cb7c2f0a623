"""Updates the bot did not expect: group chats and anonymous admins, buttons under messages
Telegram no longer shows, forged button data, lone surrogates in a text, and a command
typed in the middle of the alert dialog. Each gets a polite answer (or, for group chatter,
silence), never an error. Kazakh and Russian side by side.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator

import pytest

from tests.support.livebot import LiveBot, live_bot

KK_USER, RU_USER = 8101, 8102
USER_OF = {"kk": KK_USER, "ru": RU_USER}
GROUP = -1001500000001
BOT_USERNAME = "saqbol_dev_bot"  # the emulator's bot
ANONYMOUS_ADMIN = {"id": 1087968824, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"}
SCAMS = {
    "kk": "Құттықтаймыз! Сіз ұтыс ойынында көлік ұтып алдыңыз. Жүлдені алу үшін 5000 теңге салық төлеңіз",
    "ru": "Здравствуйте, это служба безопасности банка. Продиктуйте код из SMS, чтобы отменить операцию",
}
PRIVATE_NOTE = ("Мен хабарламаларды тек жеке чатта тексеремін. Маған тікелей жазыңыз: @saqbol_dev_bot",
                "Я проверяю сообщения только в личном чате. Напишите мне напрямую: @saqbol_dev_bot")
EXPIRED = {"kk": "Бұл түйме ескірген. /help жіберіңіз.", "ru": "Эта кнопка устарела. Отправьте /help."}


def buttons(message: dict) -> list[dict]:
    return [b for row in (message.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


def errors(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


# --- groups and channels --------------------------------------------------------------------

def in_group(live: LiveBot, text: str, sender: dict | None = None, **extra: object) -> dict:
    """A message in a supergroup; the emulator keeps the group's messages in a chat of its own."""
    live.emulator.add_user(GROUP)
    sender = sender or {"id": RU_USER, "is_bot": False, "first_name": "Айгүл", "language_code": "ru"}
    fields: dict = {"text": text, "from": sender, "chat": {"id": GROUP, "type": "supergroup", "title": "Аула"}}
    if text.startswith("/"):
        fields["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    elif text.startswith("@"):
        fields["entities"] = [{"type": "mention", "offset": 0, "length": len(text.split()[0])}]
    return live.emulator.send_message(GROUP, **fields, **extra)


@pytest.mark.parametrize("text", ["/start", f"/help@{BOT_USERNAME}", f"@{BOT_USERNAME} мынаны тексерші"])
async def test_a_command_or_a_mention_in_a_group_gets_the_private_chat_note_in_both_languages(live, caplog, text):
    asked = in_group(live, text)
    note = await live.emulator.next_message(GROUP)
    assert note["text"] == "\n\n".join(PRIVATE_NOTE)
    assert note.get("reply_to_message", {}).get("message_id") == asked["message_id"]
    assert await live.rows("SELECT count(*) FROM users") == [(0,)]  # a group's members are not users
    assert not errors(caplog)


async def test_ordinary_group_chatter_and_commands_for_other_bots_are_left_alone(live, caplog):
    in_group(live, SCAMS["ru"])
    in_group(live, SCAMS["kk"], sender={"id": KK_USER, "is_bot": False, "first_name": "Ерлан", "language_code": "kk"})
    in_group(live, "/start@OtherBot")
    in_group(live, "/help")  # addressed to every bot, this one too: the only answer
    await live.emulator.next_message(GROUP)
    await asyncio.sleep(0.5)  # nothing more may come
    assert len(live.emulator.bot_messages(GROUP)) == 1
    assert await live.rows("SELECT count(*) FROM checks") == [(0,)]
    assert not errors(caplog)


async def test_an_anonymous_group_admin_gets_the_note_instead_of_a_storage_error(live, caplog):
    in_group(live, "/start", sender=ANONYMOUS_ADMIN, sender_chat={"id": GROUP, "type": "supergroup", "title": "Аула"})
    note = await live.emulator.next_message(GROUP)
    assert note["text"] == "\n\n".join(PRIVATE_NOTE)
    assert not errors(caplog)


# --- old and forged buttons ----------------------------------------------------------------

@pytest.mark.parametrize(("lang", "data"), [("kk", "lang:kk:0"), ("ru", "lang:ru:0"), ("kk", "fg:1"), ("ru", "fg:1")])
async def test_a_button_under_a_message_telegram_no_longer_shows_has_expired(live, caplog, lang, data):
    user = USER_OF[lang]
    live.emulator.add_user(user, language_code=lang)
    await live.reply_to(user, SCAMS[lang])
    live.emulator.press(user, 999_999, data, force=True)  # no such message: an InaccessibleMessage
    await live.emulator.wait_until(lambda: bool(live.emulator.callback_answers))
    answer = live.emulator.callback_answers[-1]
    assert answer["text"] == EXPIRED[lang] and answer["show_alert"]
    assert await live.rows("SELECT count(*) FROM checks WHERE user_id = ?", user) == [(1,)]  # nothing forgotten
    assert await live.rows("SELECT language FROM users WHERE id = ?", user) == [(None,)]  # nothing chosen
    assert not errors(caplog)


@pytest.mark.parametrize("lang", ["kk", "ru"])
@pytest.mark.parametrize("data", ["ck:paid:99999999999999999999999", "ck:paid:-1", "apr:99999999999999999999:1",
                                  "zz:unknown"])
async def test_a_forged_button_has_expired_instead_of_failing(live, caplog, lang, data):
    user = USER_OF[lang]
    live.emulator.add_user(user, language_code=lang)
    answer = await live.reply_to(user, SCAMS[lang])
    live.emulator.press(user, answer["message_id"], data, force=True)
    await live.emulator.wait_until(lambda: bool(live.emulator.callback_answers))
    assert live.emulator.callback_answers[-1]["text"] in (EXPIRED[lang], {
        "kk": "Бұл түйме тек полиция қызметкерлеріне арналған.",
        "ru": "Эта кнопка только для сотрудников полиции."}[lang])
    assert await live.rows("SELECT count(*) FROM feedback") == [(0,)]
    assert not errors(caplog)


# --- lone surrogates -------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_lone_surrogate_is_replaced_and_the_text_still_checked_and_stored(live, knowledge, caplog, lang):
    user = USER_OF[lang]
    live.emulator.add_user(user, language_code=lang, first_name="Ай\udc00гүл")
    answer = await live.reply_to(user, SCAMS[lang] + " \ud800 https://kaspi-bonus.top/\udfff")
    assert answer["text"].startswith(("🔴", "🟠"))
    assert buttons(answer)  # stored: the buttons point at the check
    (stored,), = await live.rows("SELECT text_redacted FROM checks WHERE user_id = ?", user)
    assert "\ufffd" in stored
    assert not errors(caplog)


# --- commands inside the alert dialog -------------------------------------------------------

SUPER, KK_OFFICER, RU_OFFICER = 9101, 9102, 9103


@pytest.fixture
async def police(settings, classifier, tmp_path) -> AsyncIterator[LiveBot]:
    async with live_bot(settings, classifier, admin_ids=[SUPER], database_path=tmp_path / "saqbol.db",
                        heartbeat_path=tmp_path / "heartbeat") as running:
        await running.deps.db.conn.execute(
            "INSERT INTO officers (user_id, granted_by, granted_at) VALUES (?, ?, ?), (?, ?, ?)",
            (KK_OFFICER, SUPER, time.time(), RU_OFFICER, SUPER, time.time()))
        running.emulator.add_user(KK_OFFICER, language_code="kk")
        running.emulator.add_user(RU_OFFICER, language_code="ru")
        yield running


@pytest.mark.parametrize(("officer", "hint", "step_2"), [
    (KK_OFFICER, "Бұл — пәрмен, мен күткен мәтін емес. Мәтінді жіберіңіз, ал тоқтату үшін — /cancel.",
     "4 қадамның 2-сі"),
    (RU_OFFICER, "Это команда, а не текст, который я жду. Пришлите текст или /cancel, чтобы отменить.", "Шаг 2"),
])
async def test_a_command_typed_in_the_alert_dialog_is_refused_with_a_hint_not_taken_as_the_alert(
        police, officer, hint, step_2):
    await police.reply_to(officer, "/broadcast")
    for command in ("/start", "/stats", "/help 1"):
        refused = await police.reply_to(officer, command)
        assert refused["text"] == hint
    accepted = await police.reply_to(officer, "Kaspi атынан қоңырау шалады. Кодты ешкімге айтпаңыз!")
    assert step_2 in accepted["text"]
    await police.reply_to(officer, "/cancel")
    assert await police.rows("SELECT count(*) FROM broadcasts") == [(0,)]
