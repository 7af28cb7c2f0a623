"""The one repository of the `broadcasts` table, against a real database opened as the bot
opens it, on both engines (SQLite, PostgreSQL): an alert from its submission (Kazakh and Russian texts side by side) through the
decision to the queue of its deliveries and its end."""

from __future__ import annotations

import time

import pytest

from bot.alerts.repository import Broadcast, BroadcastsRepo, BroadcastStatus, DeliveryStatus
from bot.storage import Database, UsersRepo
from bot.storage.roles import RolesRepo
from bot.storage.subscriptions import NATIONAL, SubscriptionsRepo

AUTHOR, SECOND, SUPER = 501, 502, 503
TEXT_KK = "<b>🚔 Полиция ескертеді</b>\n\nҚостанайда «Қазпошта» атынан қоңырау шалады. Кодты айтпаңыз!"
TEXT_RU = "<b>🚔 Предупреждение полиции</b>\n\nВ Костанае звонят от имени «Казпочты». Не называйте код!"


@pytest.fixture
def repo(db: Database) -> BroadcastsRepo:
    return BroadcastsRepo(db)


async def subscriber(db: Database, user_id: int, language: str, regions: set[str]) -> None:
    """A person who chose a language and subscribed, the way the bot's handlers store it."""
    await UsersRepo(db).touch(user_id)
    await UsersRepo(db).set_language(user_id, language)
    await SubscriptionsRepo(db).subscribe(user_id, regions)


async def submitted(repo: BroadcastsRepo, regions: tuple[str, ...] = ("kostanay",)) -> int:
    return await repo.submit(AUTHOR, TEXT_KK, TEXT_RU, regions, "delivery_parcel")


async def test_a_submitted_alert_is_read_back_whole_and_waits_for_approval(repo):
    broadcast_id = await submitted(repo, ("kostanay", "almaty_city"))

    assert await repo.find(broadcast_id) == Broadcast(
        id=broadcast_id, author_id=AUTHOR, text_kk=TEXT_KK, text_ru=TEXT_RU, regions=("kostanay", "almaty_city"),
        scheme="delivery_parcel", status=BroadcastStatus.PENDING, paid=False)
    broadcast = await repo.get(broadcast_id)
    assert (broadcast.text("kk"), broadcast.text("ru")) == (TEXT_KK, TEXT_RU)
    assert broadcast.status is BroadcastStatus.PENDING


async def test_an_unknown_id_is_none_to_find_and_get_says_to_check_it(repo):
    assert await repo.find(404) is None
    with pytest.raises(LookupError, match="no broadcast 404 in the database: check the id"):
        await repo.get(404)


async def test_only_another_officer_decides_and_only_the_first_decision_counts(repo):
    broadcast_id = await submitted(repo)

    assert not await repo.decide(broadcast_id, AUTHOR, approve=True)  # the author never decides
    assert (await repo.get(broadcast_id)).status is BroadcastStatus.PENDING
    assert await repo.decide(broadcast_id, SECOND, approve=True, paid=True)
    assert not await repo.decide(broadcast_id, SUPER, approve=False, reason="кеш / поздно")

    approved = await repo.get(broadcast_id)
    assert (approved.status, approved.paid) == (BroadcastStatus.APPROVED, True)


async def test_a_rejection_keeps_its_reason_in_either_language(repo, db):
    kk_id, ru_id = await submitted(repo), await submitted(repo)

    assert await repo.decide(kk_id, SECOND, approve=False, reason="Ыстық желі нөмірін нақтылаңыз")
    assert await repo.decide(ru_id, SECOND, approve=False, reason="Уточните номер горячей линии")

    rows = [tuple(row) for row in await db.fetchall("SELECT id, status, approver_id, reason FROM broadcasts ORDER BY id")]
    assert rows == [(kk_id, "rejected", SECOND, "Ыстық желі нөмірін нақтылаңыз"),
                    (ru_id, "rejected", SECOND, "Уточните номер горячей линии")]


async def test_the_audience_is_the_subscribers_of_the_chosen_regions_or_all_of_them(repo, db):
    await subscriber(db, 1, "kk", {"kostanay"})
    await subscriber(db, 2, "ru", {"kostanay"})
    await subscriber(db, 3, "ru", {"almaty_city"})
    await subscriber(db, 4, "kk", {"kostanay"})
    await SubscriptionsRepo(db).unsubscribe(4)

    assert await repo.audience(("kostanay",)) == 2
    assert await repo.audience(("kostanay", "almaty_city")) == 3
    assert await repo.audience((NATIONAL,)) == 3


async def test_approvers_are_the_officers_and_superadmins_but_never_the_author(repo, db):
    roles = RolesRepo(db, frozenset({SUPER}))
    await roles.grant(AUTHOR, by=SUPER)
    await roles.grant(SECOND, by=SUPER)

    assert await repo.approvers(frozenset({SUPER}), AUTHOR) == [SECOND, SUPER]
    assert await repo.approvers(frozenset({SUPER}), SUPER) == [AUTHOR, SECOND]


async def test_the_progress_message_is_found_with_the_officers_language(repo, db):
    broadcast_id = await submitted(repo)
    assert await repo.progress_message(broadcast_id) is None
    await UsersRepo(db).touch(SECOND)
    await UsersRepo(db).set_language(SECOND, "kk")

    await repo.set_progress_message(broadcast_id, SECOND, 77)

    assert await repo.progress_message(broadcast_id) == (SECOND, 77, "kk")


async def test_only_an_approved_alert_is_queued_and_each_recipient_once(repo, db):
    await subscriber(db, 1, "kk", {"kostanay"})
    await subscriber(db, 2, "ru", {"kostanay"})
    await subscriber(db, 3, "ru", {"almaty_city"})
    broadcast_id = await submitted(repo)

    assert await repo.enqueue(broadcast_id, time.time()) == 0  # still pending: nobody is queued
    assert (await repo.get(broadcast_id)).status is BroadcastStatus.PENDING
    await repo.decide(broadcast_id, SECOND, approve=True)
    assert await repo.enqueue(broadcast_id, time.time()) == 2
    assert await repo.enqueue(broadcast_id, time.time()) == 2

    assert (await repo.get(broadcast_id)).status is BroadcastStatus.SENDING
    assert await repo.sending_broadcasts() == [broadcast_id]
    counts = await repo.counts(broadcast_id)
    assert counts[DeliveryStatus.PENDING] == 2 and sum(counts.values()) == 2
    now = time.time()
    claimed = await repo.claim_next(broadcast_id, 5, now, now)
    assert sorted((d.user_id, d.language) for d in claimed) == [(1, "kk"), (2, "ru")]
    assert await repo.claim_next(broadcast_id, 5, now, now) == []  # claimed once, never twice
    assert await repo.claim_again(broadcast_id, 1, now) is None


async def test_a_broadcast_ends_once_as_done_or_cancelled_and_nothing_else(repo):
    broadcast_id = await submitted(repo)
    await repo.decide(broadcast_id, SECOND, approve=True)
    await repo.enqueue(broadcast_id, time.time())

    with pytest.raises(ValueError, match="done or cancelled"):
        await repo.finish(broadcast_id, BroadcastStatus.PENDING, time.time())
    await repo.finish(broadcast_id, BroadcastStatus.DONE, time.time())
    await repo.finish(broadcast_id, BroadcastStatus.CANCELLED, time.time())

    assert (await repo.get(broadcast_id)).status is BroadcastStatus.DONE
    assert await repo.sending_broadcasts() == []


async def test_a_pending_alert_cannot_be_finished_before_anyone_approved_it(repo):
    broadcast_id = await submitted(repo)

    await repo.finish(broadcast_id, BroadcastStatus.CANCELLED, time.time())

    assert (await repo.get(broadcast_id)).status is BroadcastStatus.PENDING
