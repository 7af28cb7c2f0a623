"""Citizens subscribe to police alerts: their region plus the whole country by default,
other regions by choice; /unsubscribe stops them; /start offers it."""

from __future__ import annotations

import pytest

KK_USER, RU_USER = 2001, 2002


def buttons(message: dict) -> list[dict]:
    return [b for row in (message.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


async def onboard(live, user_id: int, lang: str, region: str) -> dict:
    """/start → language → region; returns the alert offer that follows."""
    live.emulator.add_user(user_id, language_code=None)
    greeting = await live.reply_to(user_id, "/start")
    live.emulator.press(user_id, greeting["message_id"], f"lang:{lang}:1")
    question = await live.emulator.next_message(user_id)
    live.emulator.press(user_id, question["message_id"], f"rg:{region}:1")
    await live.emulator.next_message(user_id)  # the welcome
    return await live.emulator.next_message(user_id)


@pytest.mark.parametrize(("lang", "user", "region", "yes"), [
    ("kk", KK_USER, "kostanay", "🔔 Иә, жіберіңіз"),
    ("ru", RU_USER, "almaty_city", "🔔 Да, присылайте"),
])
async def test_start_offers_alerts_for_the_region_and_the_country(live, lang, user, region, yes):
    offer = await onboard(live, user, lang, region)
    button = next(b for b in buttons(offer) if b["text"] == yes)
    live.emulator.press(user, offer["message_id"], button["callback_data"])
    await live.emulator.wait_until(lambda: "/unsubscribe" in live.emulator.bot_messages(user)[-1]["text"])
    assert await live.rows("SELECT region FROM subscriptions WHERE user_id = ? ORDER BY region", user) == [
        (region,), ("national",)]
    assert await live.rows("SELECT subscribed FROM users WHERE id = ?", user) == [(1,)]


async def test_other_regions_can_be_added_and_removed(live):
    live.emulator.add_user(RU_USER, language_code="ru")
    menu = await live.reply_to(RU_USER, "/subscribe")
    live.emulator.press(RU_USER, menu["message_id"], "sub:pick:-")
    await live.emulator.wait_until(lambda: len(buttons(live.emulator.bot_messages(RU_USER)[-1])) == 21)
    live.emulator.press(RU_USER, menu["message_id"], "sub:toggle:shymkent")
    await live.emulator.wait_until(lambda: any(b["text"] == "✅ Шымкент"
                                               for b in buttons(live.emulator.bot_messages(RU_USER)[-1])))
    assert await live.rows("SELECT region FROM subscriptions WHERE user_id = ? ORDER BY region", RU_USER) == [
        ("national",), ("shymkent",)]


async def test_unsubscribe_stops_alerts(live):
    live.emulator.add_user(KK_USER, language_code="kk")
    await live.reply_to(KK_USER, "/subscribe")
    answer = await live.reply_to(KK_USER, "/unsubscribe")
    assert answer["text"].startswith("Енді полиция ескертулері келмейді")
    assert await live.rows("SELECT count(*) FROM subscriptions") == [(0,)]
    assert await live.rows("SELECT subscribed FROM users WHERE id = ?", KK_USER) == [(0,)]


async def test_forget_removes_subscriptions(live):
    live.emulator.add_user(KK_USER, language_code="kk")
    await live.reply_to(KK_USER, "/subscribe")
    question = await live.reply_to(KK_USER, "/forget")
    live.emulator.press(KK_USER, question["message_id"], "fg:1")
    await live.emulator.wait_until(lambda: live.emulator.bot_messages(KK_USER)[-1]["text"].startswith("Дайын"))
    assert await live.rows("SELECT count(*) FROM subscriptions") == [(0,)]


@pytest.mark.parametrize(("lang", "user", "old", "new"), [
    ("kk", KK_USER, "kostanay", "shymkent"),
    ("ru", RU_USER, "almaty_city", "shymkent"),
])
async def test_a_subscribers_alerts_follow_them_to_a_new_region_and_hand_picked_ones_stay(live, lang, user, old, new):
    offer = await onboard(live, user, lang, old)
    live.emulator.press(user, offer["message_id"], "sub:yes:-")
    await live.emulator.wait_until(lambda: "/unsubscribe" in live.emulator.bot_messages(user)[-1]["text"])
    live.emulator.press(user, offer["message_id"], "sub:pick:-")
    await live.emulator.wait_until(lambda: len(buttons(live.emulator.bot_messages(user)[-1])) == 21)
    live.emulator.press(user, offer["message_id"], "sub:toggle:astana")
    await live.emulator.wait_until(lambda: any(b["text"] == "✅ Астана"
                                               for b in buttons(live.emulator.bot_messages(user)[-1])))
    question = await live.reply_to(user, "/region")
    live.emulator.press(user, question["message_id"], f"rg:{new}:0")
    saved = {"kk": "Өңір сақталды: Шымкент.", "ru": "Регион сохранён: Шымкент."}[lang]
    await live.emulator.wait_until(lambda: any(m.get("text") == saved for m in live.emulator.bot_messages(user)))
    assert await live.rows("SELECT region FROM users WHERE id = ?", user) == [(new,)]
    assert await live.rows("SELECT region FROM subscriptions WHERE user_id = ? ORDER BY region", user) == [
        ("astana",), ("national",), (new,)]


@pytest.mark.parametrize(("app_language", "user", "stored"), [("kk", KK_USER, "kk"), ("ru", RU_USER, "ru")])
async def test_a_subscriber_who_never_chose_a_language_gets_alerts_in_their_apps_language(
        live, app_language, user, stored):
    """The alert is sent later, by any replica, from the stored language alone: a Kazakh app
    must not get the Russian text because /language was never used."""
    live.emulator.add_user(user, language_code=app_language)
    await live.reply_to(user, "/subscribe")
    assert await live.rows("SELECT language, subscribed FROM users WHERE id = ?", user) == [(stored, 1)]
