"""Polling survives updates aiogram cannot parse, and does not answer messages that waited
too long: the bot's own polling loop (`bot.telegram.inbox.Poller`) against the emulator serving raw
updates, as Telegram would after a Bot API change or a bug on its side."""

from __future__ import annotations

import logging
import time

from bot.telegram.inbox import STALE_AFTER

USER_RU, USER_KK = 4101, 4102
SCAM_RU = "Здравствуйте, служба безопасности банка. Продиктуйте код из SMS, чтобы отменить операцию"
SCAM_KK = "Сәлеметсіз бе, банктің қауіпсіздік қызметі. Операцияны тоқтату үшін SMS-тағы кодты айтыңыз"


def odd_updates(emulator) -> list[dict]:
    """Three updates aiogram's Update model refuses, each in its own way."""
    now = int(time.time())
    stranger = {"id": 4199, "is_bot": False, "first_name": "Stranger"}
    chat = {"id": 4199, "type": "private", "first_name": "Stranger"}
    return [
        emulator.send_raw_update("message", {  # a forward origin type from a newer Bot API
            "message_id": 1, "date": now, "chat": chat, "from": stranger, "text": "hi",
            "forward_origin": {"type": "story", "date": now}}),
        emulator.send_raw_update("message", {"message_id": 2, "date": now, "from": stranger, "text": "no chat"}),
        emulator.send_raw_update("message", {  # a poll without question or options
            "message_id": 3, "date": now, "chat": chat, "from": stranger, "poll": {"id": "p1"}}),
    ]


async def test_updates_that_do_not_parse_are_skipped_and_other_users_are_still_answered(live, caplog):
    caplog.set_level(logging.WARNING, logger="bot.telegram.inbox")
    live.emulator.add_user(USER_RU, language_code="ru")
    live.emulator.add_user(USER_KK, language_code="kk")
    bad = odd_updates(live.emulator)

    answer_ru = await live.reply_to(USER_RU, SCAM_RU)
    answer_kk = await live.reply_to(USER_KK, SCAM_KK)

    assert answer_ru["text"].startswith(("🔴", "🟠")), answer_ru["text"]
    assert answer_kk["text"].startswith(("🔴", "🟠")), answer_kk["text"]
    skipped = [r.getMessage() for r in caplog.records if "does not parse" in r.getMessage()]
    assert len(skipped) == len(bad)  # one line per bad update, not a loop of errors
    assert all(str(update["update_id"]) in line for update, line in zip(bad, skipped, strict=True))
    assert not any("hi" in line or "no chat" in line for line in skipped)  # no user text in the log
    await live.emulator.wait_until(lambda: live.emulator.pending_updates == 0, timeout=5)  # all confirmed


async def test_a_message_that_waited_longer_than_the_limit_is_not_answered_late(live, caplog):
    caplog.set_level(logging.INFO, logger="bot.telegram.inbox")
    live.emulator.add_user(USER_RU, language_code="ru")
    live.emulator.add_user(USER_KK, language_code="kk")
    old = int(time.time() - STALE_AFTER - 60)
    live.emulator.send_message(USER_RU, text=SCAM_RU, date=old)
    live.emulator.send_message(USER_KK, text=SCAM_KK, date=old)

    fresh_ru = await live.reply_to(USER_RU, "Мама, я попал в аварию, срочно переведи деньги на эту карту")
    fresh_kk = await live.reply_to(USER_KK, "Апа, мен апатқа түстім, мына картаға тез ақша аудар")

    assert len(live.emulator.bot_messages(USER_RU)) == 1 and len(live.emulator.bot_messages(USER_KK)) == 1
    assert fresh_ru["text"] and fresh_kk["text"]
    assert any("older than" in r.getMessage() and r.getMessage().startswith("2 ") for r in caplog.records)
