"""Police alerts end to end through the emulator: compose → preview → a second officer
approves → delivered in each subscriber's language, to the chosen regions only."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest

from tests.support.livebot import LiveBot, live_bot

SUPER, AUTHOR, SECOND = 9001, 9002, 9004
KK_KOSTANAY, RU_KOSTANAY, RU_ALMATY, UNSUBSCRIBED = 7001, 7002, 7003, 7004
TEXT_KK = "Қостанайда «Қазпошта» атынан қоңырау шалады. Кодты айтпаңыз! Толығырақ: https://egov.kz/cms/kk"
TEXT_RU = "В Костанае звонят от имени «Казпочты». Не называйте код! Подробнее: https://egov.kz/cms/ru"


@pytest.fixture
async def live(settings, classifier, tmp_path) -> AsyncIterator[LiveBot]:
    async with live_bot(settings, classifier, admin_ids=[SUPER], database_path=tmp_path / "saqbol.db",
                        heartbeat_path=tmp_path / "heartbeat", broadcast_rate=30.0) as running:
        now = time.time()
        people = [(SUPER, "ru", None, 0), (AUTHOR, "kk", None, 0), (SECOND, "ru", None, 0),
                  (KK_KOSTANAY, "kk", "kostanay", 1), (RU_KOSTANAY, "ru", "kostanay", 1),
                  (RU_ALMATY, "ru", "almaty_city", 1), (UNSUBSCRIBED, "ru", "kostanay", 0)]
        conn = running.deps.db.conn
        await conn.executemany("INSERT INTO users (id, language, region, subscribed, created_at, seen_at) "
                               "VALUES (?, ?, ?, ?, ?, ?)", [(u, lang, r, s, now, now) for u, lang, r, s in people])
        await conn.executemany("INSERT INTO subscriptions (user_id, region) VALUES (?, ?)",
                               [(u, x) for u, _, r, s in people if s for x in (r, "national")])
        await conn.execute("INSERT INTO officers (user_id, granted_by, granted_at) VALUES (?, ?, ?), (?, ?, ?)",
                           (AUTHOR, SUPER, now, SECOND, SUPER, now))
        for user_id, lang, _, _ in people:
            running.emulator.add_user(user_id, language_code=lang)
        yield running


def buttons(message: dict) -> list[dict]:
    return [b for row in (message.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


async def compose(live, regions: list[str]) -> int:
    """The author goes through the dialog and submits; returns the broadcast id."""
    em = live.emulator
    await live.reply_to(AUTHOR, "/broadcast")
    await live.reply_to(AUTHOR, TEXT_KK)
    pick = await live.reply_to(AUTHOR, TEXT_RU)
    for region in regions:
        em.press(AUTHOR, pick["message_id"], f"bc:region:{region}")
        await em.wait_until(lambda r=region: any(b["callback_data"] == f"bc:region:{r}" and b["text"].startswith("✅")
                                                 for b in buttons(em.bot_messages(AUTHOR)[-1])))
    em.press(AUTHOR, pick["message_id"], "bc:regions_done:-" if regions else "bc:national:-")
    schemes = await em.next_message(AUTHOR)
    em.press(AUTHOR, schemes["message_id"], "bc:scheme:delivery_parcel")
    preview_kk = await em.next_message(AUTHOR)
    preview_ru = await em.next_message(AUTHOR)
    summary = await em.next_message(AUTHOR)
    assert preview_kk["text"].startswith("🚔 Полиция ескертеді") and "Қазпошта" in preview_kk["text"]
    assert preview_ru["text"].startswith("🚔 Предупреждение полиции") and "Казпочты" in preview_ru["text"]
    em.press(AUTHOR, summary["message_id"], "bc:submit:-")
    await em.wait_until(lambda: "#" in em.bot_messages(AUTHOR)[-1]["text"])
    return (await live.rows("SELECT max(id) FROM broadcasts"))[0][0]


async def approve(live, approver: int, broadcast_id: int) -> None:
    em = live.emulator
    await em.wait_until(lambda: any(b["callback_data"] == f"apr:{broadcast_id}:1"
                                    for m in em.bot_messages(approver) for b in buttons(m)))
    ask = next(m for m in em.bot_messages(approver) if buttons(m))
    em.press(approver, ask["message_id"], f"apr:{broadcast_id}:1")


async def test_an_approved_alert_reaches_the_chosen_region_in_each_language(live):
    broadcast_id = await compose(live, ["kostanay"])
    await approve(live, SECOND, broadcast_id)
    em = live.emulator
    await em.wait_until(lambda: bool(em.bot_messages(KK_KOSTANAY)) and bool(em.bot_messages(RU_KOSTANAY)), timeout=20)
    await em.wait_until(lambda: "готово" in em.bot_messages(SECOND)[-1]["text"], timeout=20)
    assert [m["text"] for m in em.bot_messages(KK_KOSTANAY)] == [f"🚔 Полиция ескертеді\n\n{TEXT_KK}"]
    assert [m["text"] for m in em.bot_messages(RU_KOSTANAY)] == [f"🚔 Предупреждение полиции\n\n{TEXT_RU}"]
    assert em.bot_messages(RU_ALMATY) == [] and em.bot_messages(UNSUBSCRIBED) == []
    assert any("#%d" % broadcast_id in m["text"] and str(SECOND) in m["text"] for m in em.bot_messages(AUTHOR))
    assert await live.rows("SELECT status, approver_id, scheme FROM broadcasts") == [("done", SECOND, "delivery_parcel")]
    actions = [a for (a,) in await live.rows("SELECT action FROM audit ORDER BY id")]
    assert actions == ["submit", "approve"]


async def test_a_national_alert_reaches_every_subscriber(live):
    broadcast_id = await compose(live, [])
    await approve(live, SUPER, broadcast_id)
    em = live.emulator
    await em.wait_until(lambda: all(em.bot_messages(u) for u in (KK_KOSTANAY, RU_KOSTANAY, RU_ALMATY)), timeout=20)
    assert em.bot_messages(UNSUBSCRIBED) == []


async def test_the_author_cannot_approve_their_own_alert(live):
    broadcast_id = await compose(live, ["kostanay"])
    mine = live.emulator.bot_messages(AUTHOR)[-1]
    live.emulator.press(AUTHOR, mine["message_id"], f"apr:{broadcast_id}:1", force=True)
    await live.emulator.wait_until(lambda: bool(live.emulator.callback_answers)
                                   and "Өз ескертуіңізді" in (live.emulator.callback_answers[-1]["text"] or ""))
    assert await live.rows("SELECT status FROM broadcasts") == [("pending",)]
    assert live.emulator.bot_messages(KK_KOSTANAY) == []


async def test_a_rejection_needs_a_reason_and_the_author_is_told(live):
    broadcast_id = await compose(live, ["kostanay"])
    em = live.emulator
    await em.wait_until(lambda: any(b["callback_data"] == f"apr:{broadcast_id}:0"
                                    for m in em.bot_messages(SECOND) for b in buttons(m)))
    ask = next(m for m in em.bot_messages(SECOND) if buttons(m))
    em.press(SECOND, ask["message_id"], f"apr:{broadcast_id}:0")
    question = await em.next_message(SECOND)
    while "Почему" not in question["text"]:
        question = await em.next_message(SECOND)
    await live.reply_to(SECOND, "Уточните номер горячей линии")
    await em.wait_until(lambda: "Уточните номер" in em.bot_messages(AUTHOR)[-1]["text"])
    assert await live.rows("SELECT status, reason FROM broadcasts") == [("rejected", "Уточните номер горячей линии")]
    assert em.bot_messages(KK_KOSTANAY) == []


@pytest.mark.parametrize(("link", "named"), [("https://egov-kz.top/pay", "egov-kz.top"),
                                             ("kaspi-bonus.top", "kaspi-bonus.top"), ("t.me/police_kz_help", "t.me")])
async def test_a_link_off_the_allowlist_is_refused(live, link, named):
    await live.reply_to(AUTHOR, "/broadcast")
    answer = await live.reply_to(AUTHOR, f"Өтемақы алу үшін: {link}")
    assert answer["text"].startswith("Қабылданбады") and named in answer["text"].split("Алып тастаңыз:")[1]
    assert await live.rows("SELECT count(*) FROM broadcasts") == [(0,)]


async def test_a_citizen_cannot_step_into_the_dialog(live):
    answer = await live.reply_to(RU_ALMATY, "/broadcast")
    assert answer["text"] == "Эта команда только для сотрудников полиции."


async def test_stats_show_subscribers_and_checks_as_text_and_a_chart(live):
    await live.reply_to(RU_ALMATY, "Здравствуйте, служба безопасности банка, продиктуйте код из SMS")
    summary = await live.reply_to(SECOND, "/stats")
    assert "Подписчики: 3" in summary["text"]
    assert "Костанайская область: 2 (kk 1, ru 1)" in summary["text"]
    assert "Лжесотрудники службы безопасности банка: 1 / 1" in summary["text"]
    chart = await live.emulator.next_message(SECOND)
    photo = max(chart["photo"], key=lambda p: p["file_size"])
    data = live.emulator.file_bytes(photo["file_id"])
    assert data.startswith(b"\x89PNG")


async def test_stats_are_refused_to_citizens(live):
    answer = await live.reply_to(RU_ALMATY, "/stats")
    assert answer["text"] == "Эта команда только для сотрудников полиции."
