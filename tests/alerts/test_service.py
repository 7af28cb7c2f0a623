"""The alert use cases the /broadcast dialog calls (bot/services/alerts.py), against a real
SQLite file, the real knowledge base and a real delivery engine whose Bot talks HTTP to the
local Bot API emulator: Kazakh and Russian alerts side by side."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.alerts import BroadcastStatus, BroadcastsRepo, DeliveryEngine
from bot.i18n import create_i18n
from bot.services.alerts import AlertService, Problem
from bot.storage import Database, UsersRepo
from bot.storage.roles import RolesRepo
from bot.storage.subscriptions import SubscriptionsRepo

SUPER, AUTHOR, SECOND = 9001, 9002, 9004
KK_KOSTANAY, RU_KOSTANAY, RU_ALMATY = 7001, 7002, 7003
TEXT_KK = "Қостанайда «Қазпошта» атынан қоңырау шалады. Кодты айтпаңыз! Толығырақ: https://egov.kz/cms/kk"
TEXT_RU = "В Костанае звонят от имени «Казпочты». Не называйте код! Подробнее: https://egov.kz/cms/ru"
PHISHING_KK = "Өтемақы алу үшін: https://egov-kz.top/pay"
PHISHING_RU = "Для получения компенсации: https://egov-kz.top/pay"


@pytest.fixture
async def alerts(db, bot, emulator, knowledge) -> AsyncIterator[AlertService]:
    """The service as the bot builds it, with two officers, a superadmin and three subscribers
    (Kostanay in Kazakh and in Russian, Almaty in Russian), each with a chat in the emulator."""
    roles = RolesRepo(db, frozenset({SUPER}))
    for officer in (AUTHOR, SECOND):
        await roles.grant(officer, by=SUPER)
    users, subscriptions = UsersRepo(db), SubscriptionsRepo(db)
    for user_id, language, region in ((KK_KOSTANAY, "kk", "kostanay"), (RU_KOSTANAY, "ru", "kostanay"),
                                      (RU_ALMATY, "ru", "almaty_city")):
        await users.touch(user_id)
        await users.set_language(user_id, language)
        await subscriptions.subscribe(user_id, {region})
    for user_id in (SUPER, AUTHOR, SECOND, KK_KOSTANAY, RU_KOSTANAY, RU_ALMATY):
        emulator.add_user(user_id)
    engine = DeliveryEngine(db, bot, rate=30.0)
    yield AlertService(knowledge, BroadcastsRepo(db), roles, engine, create_i18n(), superadmins=frozenset({SUPER}),
                       paid=False)
    await engine.shutdown()


async def audit(db: Database) -> list[tuple[int, str, str]]:
    return [tuple(row) for row in await db.fetchall("SELECT actor_id, action, detail FROM audit ORDER BY id")]


@pytest.mark.parametrize("text", [TEXT_KK, TEXT_RU])
def test_an_alert_linking_only_to_official_sites_may_be_sent(alerts, text):
    assert alerts.check(text) is None


@pytest.mark.parametrize("text", [PHISHING_KK, PHISHING_RU])
def test_an_alert_linking_off_the_allowlist_is_refused_with_the_link_named(alerts, text):
    refusal = alerts.check(text)

    assert refusal.problem is Problem.FORBIDDEN
    assert refusal.forbidden == ("https://egov-kz.top/pay",)
    assert "egov.kz" in refusal.allowed


def test_an_empty_or_too_long_alert_is_refused_with_its_length(alerts):
    assert alerts.check("  \n ").problem is Problem.EMPTY
    refusal = alerts.check("Назар аударыңыз! " * 300)
    assert refusal.problem is Problem.TOO_LONG
    assert refusal.length == len(("Назар аударыңыз! " * 300).strip()) and refusal.limit == 3500


async def test_a_submitted_alert_is_stored_as_subscribers_get_it_and_every_other_officer_is_asked(alerts, db):
    submitted = await alerts.submit(AUTHOR, TEXT_KK, TEXT_RU, ["kostanay"], "delivery_parcel")

    broadcast = submitted.broadcast
    assert broadcast.text_kk == alerts.as_received(TEXT_KK, "kk")
    assert broadcast.text_kk.startswith("<b>🚔 Полиция ескертеді</b>\n\n") and "Қазпошта" in broadcast.text_kk
    assert broadcast.text_ru.startswith("<b>🚔 Предупреждение полиции</b>\n\n") and "Казпочты" in broadcast.text_ru
    assert (broadcast.regions, broadcast.scheme, broadcast.status) == (("kostanay",), "delivery_parcel",
                                                                       BroadcastStatus.PENDING)
    assert submitted.approvers == [SUPER, SECOND]  # by id, the author left out
    assert await audit(db) == [(AUTHOR, "submit", f"broadcast {broadcast.id}")]
    assert await alerts.audience(["kostanay"]) == 2


@pytest.mark.parametrize(("text_kk", "text_ru"), [(PHISHING_KK, TEXT_RU), (TEXT_KK, PHISHING_RU)])
async def test_an_alert_the_policy_refuses_is_never_stored(alerts, db, text_kk, text_ru):
    with pytest.raises(ValueError, match="check it with check"):
        await alerts.submit(AUTHOR, text_kk, text_ru, ["kostanay"], None)

    assert await db.fetchval("SELECT count(*) FROM broadcasts") == 0


async def test_the_author_cannot_decide_their_own_alert_and_the_attempt_is_audited(alerts, db):
    broadcast_id = (await alerts.submit(AUTHOR, TEXT_KK, TEXT_RU, ["kostanay"], None)).broadcast.id

    review = await alerts.review(broadcast_id, AUTHOR)

    assert review.own and not review.open
    assert not await alerts.approve(broadcast_id, AUTHOR)
    assert (await audit(db))[-1] == (AUTHOR, "denied", f"self-approval of broadcast {broadcast_id}")
    assert (await alerts.review(broadcast_id, SECOND)).open
    assert (await alerts.review(404, SECOND)).broadcast is None


async def test_an_approved_alert_reaches_its_regions_subscribers_each_in_their_language(alerts, db, bot, emulator):
    broadcast_id = (await alerts.submit(AUTHOR, TEXT_KK, TEXT_RU, ["kostanay"], None)).broadcast.id
    progress_message = await bot.send_message(SECOND, "…")  # the officer's "Sending…"

    assert await alerts.approve(broadcast_id, SECOND)
    assert not await alerts.approve(broadcast_id, SUPER)  # decided already
    progress = await (await alerts.start_delivery(broadcast_id, SECOND, progress_message.message_id))

    assert (progress.done, progress.sent) == (True, 2)
    assert [m["text"] for m in emulator.bot_messages(KK_KOSTANAY)] == [f"🚔 Полиция ескертеді\n\n{TEXT_KK}"]
    assert [m["text"] for m in emulator.bot_messages(RU_KOSTANAY)] == [f"🚔 Предупреждение полиции\n\n{TEXT_RU}"]
    assert emulator.bot_messages(RU_ALMATY) == []
    assert (await alerts.review(broadcast_id, SUPER)).broadcast.status is BroadcastStatus.DONE
    assert [action for _, action, _ in await audit(db)] == ["submit", "approve"]


@pytest.mark.parametrize("reason", ["Карта 4400 4301 2345 6789 — мошенник, уточните номер",
                                    "Алаяқтың картасы 4400 4301 2345 6789, нөмірін нақтылаңыз"])
async def test_a_rejection_tells_its_reason_and_audits_it_without_personal_numbers(alerts, db, emulator, reason):
    broadcast_id = (await alerts.submit(AUTHOR, TEXT_KK, TEXT_RU, ["kostanay"], None)).broadcast.id

    rejection = await alerts.reject(broadcast_id, SECOND, f"  {reason}  ")

    assert rejection.reason == reason and rejection.broadcast.author_id == AUTHOR
    assert rejection.broadcast.status is BroadcastStatus.REJECTED
    assert await alerts.reject(broadcast_id, SUPER, "кеш / поздно") is None  # decided already
    actor, action, detail = (await audit(db))[-1]
    assert (actor, action) == (SECOND, "reject") and "[карта]" in detail and "4400" not in detail
    assert emulator.bot_messages(KK_KOSTANAY) == []


async def test_a_rejection_without_words_is_stored_with_a_dash_and_a_long_one_trimmed(alerts):
    first = (await alerts.submit(AUTHOR, TEXT_KK, TEXT_RU, ["kostanay"], None)).broadcast.id
    second = (await alerts.submit(AUTHOR, TEXT_KK, TEXT_RU, ["kostanay"], None)).broadcast.id

    assert (await alerts.reject(first, SECOND, "   ")).reason == "-"
    assert (await alerts.reject(second, SECOND, "Жоқ. " * 200)).reason == ("Жоқ. " * 200)[:500]


async def test_a_cancelled_broadcast_is_never_sent_and_the_cancel_is_audited(alerts, db, emulator):
    broadcast_id = (await alerts.submit(AUTHOR, TEXT_KK, TEXT_RU, ["kostanay"], None)).broadcast.id
    assert await alerts.approve(broadcast_id, SECOND)

    await alerts.cancel(broadcast_id, SECOND)
    for _ in range(100):  # the engine ends a broadcast it is not running in the background
        if (await alerts.review(broadcast_id, SECOND)).broadcast.status is BroadcastStatus.CANCELLED:
            break
        await asyncio.sleep(0.05)

    assert (await alerts.review(broadcast_id, SECOND)).broadcast.status is BroadcastStatus.CANCELLED
    assert (await audit(db))[-1] == (SECOND, "cancel", f"broadcast {broadcast_id}")
    assert emulator.bot_messages(KK_KOSTANAY) == [] and emulator.bot_messages(RU_KOSTANAY) == []
