"""Subscriptions: who gets police alerts for which regions. Every subscriber has the national
channel; choosing again replaces the earlier choice; unsubscribing removes every region and
the subscribed flag. The language an alert is sent in is the user's own (users.language), so
Kazakh and Russian subscribers of one region are kept side by side. Each test runs on a real
SQLite file and on a real PostgreSQL database."""

from __future__ import annotations

import pytest

from bot.storage import Database, UsersRepo
from bot.storage.subscriptions import NATIONAL, SubscriptionsRepo
from tests.storage.engines import db_target, refused  # noqa: F401 (db_target: a fixture)

ASEL, IVAN, DANA = 4101, 4102, 4103  # kk, ru, kk


@pytest.fixture
async def subscriptions(db) -> SubscriptionsRepo:
    users = UsersRepo(db)
    for user, lang in ((ASEL, "kk"), (IVAN, "ru"), (DANA, "kk")):
        await users.touch(user)
        await users.set_language(user, lang)
    return SubscriptionsRepo(db)


async def subscribed_flag(db: Database, user_id: int) -> bool:
    return (await UsersRepo(db).touch(user_id)).subscribed


async def test_subscribing_to_regions_adds_the_national_channel_and_sets_the_flag(db, subscriptions):
    await subscriptions.subscribe(ASEL, {"almaty_city", "almaty_region"})
    assert await subscriptions.regions_of(ASEL) == {"almaty_city", "almaty_region", NATIONAL}
    assert await subscribed_flag(db, ASEL) is True
    assert await subscriptions.regions_of(IVAN) == set() and await subscribed_flag(db, IVAN) is False


async def test_subscribing_to_no_region_is_the_national_channel_alone(subscriptions):
    await subscriptions.subscribe(IVAN, set())
    assert await subscriptions.regions_of(IVAN) == {NATIONAL}


async def test_subscribing_again_replaces_the_earlier_choice(subscriptions):
    await subscriptions.subscribe(ASEL, {"astana", "akmola"})
    await subscriptions.subscribe(ASEL, {"akmola", "karaganda"})
    assert await subscriptions.regions_of(ASEL) == {"akmola", "karaganda", NATIONAL}


async def test_all_twenty_regions_chosen_at_once_are_kept_each_once_and_a_shorter_choice_replaces_them(
        subscriptions, knowledge):
    """The regions travel as one numbered parameter each (?2 … ?21 beside the user's ?1): the
    whole country at once must fit in one statement on either engine."""
    everywhere = set(knowledge.regions)
    assert len(everywhere) == 20
    await subscriptions.subscribe(DANA, everywhere)
    assert await subscriptions.regions_of(DANA) == everywhere | {NATIONAL}
    await subscriptions.subscribe(DANA, {"ulytau"})
    assert await subscriptions.regions_of(DANA) == {"ulytau", NATIONAL}


async def test_toggling_adds_then_removes_one_region_and_keeps_the_national_channel(subscriptions):
    await subscriptions.subscribe(IVAN, {"astana"})
    assert await subscriptions.toggle(IVAN, "shymkent") == {"astana", "shymkent", NATIONAL}
    assert await subscriptions.toggle(IVAN, "astana") == {"shymkent", NATIONAL}
    assert await subscriptions.toggle(IVAN, NATIONAL) == {"shymkent", NATIONAL}  # not removable
    assert await subscriptions.regions_of(IVAN) == {"shymkent", NATIONAL}


async def test_unsubscribing_removes_every_region_and_the_flag_of_that_user_only(db, subscriptions):
    for user in (ASEL, IVAN):
        await subscriptions.subscribe(user, {"atyrau"})
    await subscriptions.unsubscribe(ASEL)
    assert await subscriptions.regions_of(ASEL) == set() and await subscribed_flag(db, ASEL) is False
    assert await subscriptions.regions_of(IVAN) == {"atyrau", NATIONAL} and await subscribed_flag(db, IVAN) is True


async def test_one_region_holds_kazakh_and_russian_subscribers_each_in_their_language(db, subscriptions):
    await subscriptions.subscribe(ASEL, {"mangystau"})
    await subscriptions.subscribe(IVAN, {"mangystau", "atyrau"})
    await subscriptions.subscribe(DANA, {"atyrau"})
    rows = await db.fetchall(
        "SELECT s.region, u.language, count(*) FROM subscriptions s JOIN users u ON u.id = s.user_id "
        "WHERE u.subscribed = 1 GROUP BY s.region, u.language ORDER BY 1, 2")
    assert [tuple(row) for row in rows] == [
        ("atyrau", "kk", 1), ("atyrau", "ru", 1),
        ("mangystau", "kk", 1), ("mangystau", "ru", 1),
        (NATIONAL, "kk", 2), (NATIONAL, "ru", 1),
    ]


async def test_a_subscription_of_an_unknown_user_is_refused_and_adds_no_row(db, subscriptions):
    """The middleware creates the user first; a subscription without one would survive /forget."""
    with refused(db, "foreign key"):
        await subscriptions.subscribe(999_999, {"astana"})
    assert await db.fetchval("SELECT count(*) FROM subscriptions") == 0


async def test_subscriptions_survive_a_restart(db_target):
    db = await Database.open(db_target)
    await UsersRepo(db).touch(ASEL)
    await SubscriptionsRepo(db).subscribe(ASEL, {"turkistan"})
    await db.close()
    db = await Database.open(db_target)
    try:
        assert await SubscriptionsRepo(db).regions_of(ASEL) == {"turkistan", NATIONAL}
    finally:
        await db.close()
