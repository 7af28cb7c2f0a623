"""GET /metrics of a whole running bot (real aiogram polling against the Bot API emulator, a
real SQLite file), scraped over HTTP as Prometheus scrapes it: each counter moves when its
event happens, and only then; the gauges follow the database. Kazakh and Russian side by side."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

import pytest

from bot.alerts import BroadcastsRepo
from bot.devtools.screenshots import Screenshot
from tests.support.livebot import LiveBot, live_bot
from tests.support.scrape import MetricsClient, Scrape, metrics_server

# Long ids, as Telegram's are: a short one could turn up by chance among the digits of a timestamp.
KK_USER, RU_USER, BLOCKED_USER, OFFICER, SECOND_OFFICER = 5813402671, 5813402672, 5813402673, 9001, 9002
USER_OF = {"kk": KK_USER, "ru": RU_USER}
SCAM = {
    "kk": "Сәлеметсіз бе, банктің қауіпсіздік қызметі. Картаңыздан күдікті аударым жасалды, оны тоқтату үшін "
          "SMS-тағы кодты айтыңыз",
    "ru": "Здравствуйте, служба безопасности банка. По вашей карте подозрительная операция, чтобы её отменить, "
          "продиктуйте код из SMS",
}
NOT_FRAUD_BUTTON = {"kk": "Бұл алаяқтық емес", "ru": "Это не мошенничество"}
ALERT = {"kk": "Қостанайда банк атынан қоңырау шалады. Кодты ешкімге айтпаңыз!",
         "ru": "В Костанае звонят от имени банка. Никому не называйте код!"}


@pytest.fixture
async def live(settings, classifier, tmp_path) -> AsyncIterator[LiveBot]:
    async with live_bot(settings, classifier, database_path=tmp_path / "saqbol.db",
                        heartbeat_path=tmp_path / "heartbeat", broadcast_rate=30.0) as running:
        now = time.time()
        people = [(KK_USER, "kk"), (RU_USER, "ru"), (BLOCKED_USER, "ru")]
        conn = running.deps.db.conn
        await conn.executemany("INSERT INTO users (id, language, region, subscribed, created_at, seen_at) "
                               "VALUES (?, ?, 'kostanay', 1, ?, ?)", [(u, lang, now, now) for u, lang in people])
        await conn.executemany("INSERT INTO subscriptions (user_id, region) VALUES (?, 'national')",
                               [(u,) for u, _ in people])
        await conn.commit()
        for user_id, lang in people:
            running.emulator.add_user(user_id, language_code=lang)
        yield running


@pytest.fixture
async def scraper(live) -> AsyncIterator[MetricsClient]:
    async with metrics_server(live.deps) as client:
        yield client


async def until(scraper: MetricsClient, holds: Callable[[Scrape], bool], timeout: float = 10.0) -> Scrape:
    """Scrapes until ``holds`` (the engine writes its results in batches, a moment after the
    send); the last scrape, whichever way it ended."""
    deadline = time.monotonic() + timeout
    while True:
        scrape = await scraper.scrape()
        if holds(scrape) or time.monotonic() > deadline:
            return scrape
        await asyncio.sleep(0.05)


def buttons(message: dict) -> list[dict]:
    return [b for row in (message.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_checked_text_moves_the_checks_by_its_risk_scheme_and_language_and_the_latency_histogram(
        live, scraper, lang):
    before = await scraper.scrape()
    answer = await live.reply_to(USER_OF[lang], SCAM[lang])
    after = await scraper.scrape()
    [(risk, scheme, language)] = await live.rows("SELECT risk, scheme, language FROM checks WHERE user_id = ?",
                                                 USER_OF[lang])
    assert answer["text"].startswith(("🔴", "🟠")) and risk in ("high", "medium")
    assert scheme in live.deps.knowledge.schemes and language == lang
    series = {"risk": risk, "scheme": scheme, "language": language}
    assert after.value("saqbol_checks_total", **series) - before.value("saqbol_checks_total", **series) == 1
    assert after.total("saqbol_checks_total") - before.total("saqbol_checks_total") == 1
    count = after.value("saqbol_classify_seconds_count") - before.value("saqbol_classify_seconds_count")
    assert count == 1
    took = after.value("saqbol_classify_seconds_sum") - before.value("saqbol_classify_seconds_sum")
    assert 0 < took < 5
    assert after.value("saqbol_updates_total", type="message") - before.value("saqbol_updates_total",
                                                                              type="message") == 1


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_greeting_is_an_update_but_not_a_check(live, scraper, lang):
    before = await scraper.scrape()
    await live.reply_to(USER_OF[lang], {"kk": "Сәлем!", "ru": "Привет!"}[lang])
    after = await scraper.scrape()
    assert after.value("saqbol_updates_total", type="message") - before.value("saqbol_updates_total",
                                                                              type="message") == 1
    assert after.total("saqbol_checks_total") == before.total("saqbol_checks_total")
    assert after.value("saqbol_classify_seconds_count") == before.value("saqbol_classify_seconds_count")


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_the_review_queue_gauge_follows_a_dispute_and_the_button_counts_as_a_callback_query(
        live, scraper, lang):
    user = USER_OF[lang]
    verdict = await live.reply_to(user, SCAM[lang])
    before = await scraper.scrape()
    [(queued_before,)] = await live.rows("SELECT count(*) FROM review_items")
    assert before.value("saqbol_review_queue") == queued_before
    button = next(b for b in buttons(verdict) if b["text"] == NOT_FRAUD_BUTTON[lang])
    live.emulator.press(user, verdict["message_id"], button["callback_data"])
    await live.emulator.next_message(user)  # the thank-you
    after = await scraper.scrape()
    [(queued_after,)] = await live.rows("SELECT count(*) FROM review_items")
    assert queued_after == queued_before + 1
    assert after.value("saqbol_review_queue") == queued_after
    assert after.value("saqbol_updates_total", type="callback_query") - before.value(
        "saqbol_updates_total", type="callback_query") == 1


async def test_an_alert_counts_each_delivery_by_telegrams_answer_and_the_gauges_follow_it(live, scraper):
    em = live.emulator
    em.block(BLOCKED_USER)  # answers 403: blocked
    em.delay("sendMessage", 2.0, chat_id=RU_USER)  # in flight for a while: a delivery still pending
    before = await scraper.scrape()
    assert before.value("saqbol_subscribers") == 3 and before.value("saqbol_deliveries_pending") == 0
    assert before.value("saqbol_deliveries_total", status="sent") == 0
    repo = BroadcastsRepo(live.deps.db)
    broadcast_id = await repo.submit(OFFICER, ALERT["kk"], ALERT["ru"], ("national",), None)
    assert await repo.decide(broadcast_id, SECOND_OFFICER, approve=True)
    assert await repo.enqueue(broadcast_id, time.time()) == 3  # 'sending': the bot's engine takes it up
    await em.wait_until(lambda: bool(em.bot_messages(KK_USER)), timeout=20)
    during = await until(scraper, lambda s: s.value("saqbol_deliveries_total", status="blocked") == 1)
    await em.wait_until(lambda: bool(em.bot_messages(RU_USER)), timeout=20)
    after = await until(scraper, lambda s: s.value("saqbol_deliveries_total", status="sent") == 2
                        and s.value("saqbol_deliveries_pending") == 0)
    assert [m["text"].endswith(ALERT["kk"]) for m in em.bot_messages(KK_USER)] == [True]
    assert [m["text"].endswith(ALERT["ru"]) for m in em.bot_messages(RU_USER)] == [True]
    assert during.value("saqbol_deliveries_pending") == 1  # the Russian one, still on the wire
    assert after.value("saqbol_deliveries_total", status="sent") == 2
    assert after.value("saqbol_deliveries_total", status="blocked") == 1
    assert after.value("saqbol_deliveries_total", status="failed") == 0
    assert after.value("saqbol_deliveries_pending") == 0
    assert after.value("saqbol_subscribers") == 2  # who blocked the bot is no longer counted


async def test_the_scrape_holds_no_user_id_and_no_text(live, scraper):
    for lang in ("kk", "ru"):
        await live.reply_to(USER_OF[lang], SCAM[lang])
    scrape = await scraper.scrape()
    assert scrape.total("saqbol_checks_total") == 2
    for user_id in (KK_USER, RU_USER, BLOCKED_USER):
        assert str(user_id) not in scrape.text
    for text in SCAM.values():
        assert not any(word in scrape.text for word in text.split() if len(word) > 4)
    labels = {key for _, labels, _ in scrape.samples for key in labels}
    assert labels <= {"type", "risk", "scheme", "language", "status", "gauge", "le"}
    schemes = {value for _, labels, _ in scrape.samples for key, value in labels.items() if key == "scheme"}
    assert schemes <= {*live.deps.knowledge.schemes, "none", "other"}


async def test_two_bots_in_one_process_count_apart(live, scraper, settings, classifier, tmp_path):
    async with live_bot(settings, classifier, database_path=tmp_path / "other.db",
                        heartbeat_path=tmp_path / "other-heartbeat") as other, \
            metrics_server(other.deps) as other_scraper:
        assert other.deps.metrics.registry is not live.deps.metrics.registry
        other.emulator.add_user(RU_USER, language_code="ru")
        await other.reply_to(RU_USER, SCAM["ru"])
        here, there = await scraper.scrape(), await other_scraper.scrape()
    assert there.total("saqbol_checks_total") == 1 and there.value("saqbol_updates_total", type="message") == 1
    assert here.total("saqbol_checks_total") == 0 and here.value("saqbol_updates_total", type="message") == 0


WAVE_PEOPLE = {"kk": (5813402681, 5813402682), "ru": (5813402691, 5813402692)}


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_wave_moves_waves_detected_and_the_open_waves_gauge(settings, classifier, tmp_path, lang):
    """Two people (the wave size set to 2 here) sending one scam message make a wave; the
    detector running in the bot counts it once, however often it looks again."""
    async with live_bot(settings, classifier, database_path=tmp_path / "saqbol.db",
                        heartbeat_path=tmp_path / "heartbeat", wave_users=2, wave_debounce_seconds=0) as wavy, \
            metrics_server(wavy.deps) as scraper:
        before = await scraper.scrape()
        for user_id in WAVE_PEOPLE[lang]:
            wavy.emulator.add_user(user_id, language_code=lang)
            await wavy.reply_to(user_id, SCAM[lang])
        found = await wavy.deps.waves.round_after()  # the running detector's next round, as a stored check nudges it
        after = await scraper.scrape()
        again = await wavy.deps.waves.round_after()  # it looks again: the same wave, not a new one
        later = await scraper.scrape()
    assert before.value("saqbol_waves_detected_total") == 0 and before.value("saqbol_waves_open") == 0
    # (the second person's check nudges the detector, whose round may find the wave before this one)
    assert [f.wave.users for f in found] == [2] and [f.new for f in again] == [False]
    assert after.value("saqbol_waves_detected_total") == 1 and after.value("saqbol_waves_open") == 1
    assert later.value("saqbol_waves_detected_total") == 1 and later.value("saqbol_waves_open") == 1


async def test_every_other_answer_of_telegram_to_an_alert_has_its_own_status(live, scraper):
    em = live.emulator
    em.fail("sendMessage", error_code=502, chat_id=KK_USER)  # once: sent again after a backoff
    em.fail("sendMessage", error_code=400, description="Bad Request: chat not found", chat_id=RU_USER)
    em.fail("sendMessage", error_code=400, description="Bad Request: message is too long", chat_id=BLOCKED_USER)
    repo = BroadcastsRepo(live.deps.db)
    broadcast_id = await repo.submit(OFFICER, ALERT["kk"], ALERT["ru"], ("national",), None)
    assert await repo.decide(broadcast_id, SECOND_OFFICER, approve=True)
    await repo.enqueue(broadcast_id, time.time())
    after = await until(scraper, lambda s: s.value("saqbol_deliveries_total", status="sent") == 1
                        and s.value("saqbol_deliveries_pending") == 0, timeout=20)
    statuses = dict(await live.rows("SELECT user_id, status FROM deliveries WHERE broadcast_id = ?", broadcast_id))
    assert statuses == {KK_USER: "sent", RU_USER: "not_found", BLOCKED_USER: "failed"}
    assert [m["text"].endswith(ALERT["kk"]) for m in em.bot_messages(KK_USER)] == [True]
    assert {status: after.value("saqbol_deliveries_total", status=status)
            for status in ("sent", "retried", "not_found", "failed", "blocked")} == {
        "sent": 1, "retried": 1, "not_found": 1, "failed": 1, "blocked": 0}


SCREENSHOT = {
    "kk": Screenshot("Құттықтаймыз! Сіз ұтыс ойынында көлік ұтып алдыңыз. Жүлдені алу үшін 5000 теңге салық "
                     "төлеңіз.", "Kaspi Ұтыс", "kk", "chat", "dark", 720, 1600),
    "ru": Screenshot("Ваша посылка задержана на таможне. Оплатите пошлину 2 500 тг по ссылке "
                     "kazpost-delivery.site, иначе она вернется отправителю.", "KazPost", "ru"),
}


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_screenshots_text_is_timed_and_counted_like_a_typed_one(live, scraper, tesseract, lang):
    before = await scraper.scrape()
    live.emulator.send_photo(USER_OF[lang], image=SCREENSHOT[lang].encode("JPEG"))
    answer = await live.emulator.next_message(USER_OF[lang], timeout=30)
    after = await scraper.scrape()
    [(source, risk, scheme, language)] = await live.rows("SELECT source, risk, scheme, language FROM checks")
    assert source == "picture" and answer["text"].startswith("📷")
    series = {"risk": risk, "scheme": scheme or "none", "language": language}
    assert after.value("saqbol_checks_total", **series) - before.value("saqbol_checks_total", **series) == 1
    assert after.value("saqbol_classify_seconds_count") - before.value("saqbol_classify_seconds_count") == 1
