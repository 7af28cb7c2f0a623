"""The officers' numbers: active subscribers by region and language, and the checks that looked
like fraud counted per scheme per day, the day being Kazakhstan's (UTC+5), not the server's.
Checks are stored by the real repository; only their time is set, so that days can be chosen.
Each test runs on SQLite and on PostgreSQL: the day is `kz_day`, one function on both."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.storage import ChecksRepo, Database, UsersRepo
from bot.storage.stats import DAY, StatsRepo
from bot.storage.subscriptions import SubscriptionsRepo
from tests.storage.verdicts import verdict

UTC = timezone.utc
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC).timestamp()
TEXTS = {"kk": "Банк қызметкерімін, SMS-кодты айтыңыз", "ru": "Я сотрудник банка, назовите код из SMS"}


@pytest.fixture
async def stats(db) -> StatsRepo:
    await UsersRepo(db).touch(1)
    return StatsRepo(db)


async def check_at(db: Database, when: datetime, *, lang: str = "ru", risk: str = "high",
                   scheme: str | None = "bank_security_call") -> None:
    check_id = await ChecksRepo(db).add(1, TEXTS[lang], "text", verdict(lang, risk=risk, scheme=scheme))
    await db.execute("UPDATE checks SET created_at = ? WHERE id = ?", (when.timestamp(), check_id))


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


async def test_checks_are_counted_per_scheme_per_day_in_both_languages_together(db, stats):
    for lang in ("kk", "ru"):
        await check_at(db, utc(9, 6), lang=lang)
    await check_at(db, utc(9, 7), lang="kk", scheme="prize_lottery", risk="medium")
    await check_at(db, utc(10, 8), lang="ru")
    assert await stats.checks_per_day(7, now=NOW) == [
        ("2026-03-09", "bank_security_call", 2), ("2026-03-09", "prize_lottery", 1),
        ("2026-03-10", "bank_security_call", 1),
    ]


async def test_the_day_turns_at_midnight_in_kazakhstan_not_in_utc(db, stats):
    await check_at(db, utc(8, 18, 59))  # 23:59 in Almaty: still the 8th
    await check_at(db, utc(8, 19, 0))  # 00:00 in Almaty: the 9th, though UTC still says the 8th
    assert await stats.checks_per_day(7, now=NOW) == [
        ("2026-03-08", "bank_security_call", 1), ("2026-03-09", "bank_security_call", 1)]


async def test_the_year_turns_at_midnight_in_kazakhstan_and_the_day_number_reads_as_that_date(db, stats):
    """The database gives Kazakhstan's day number; the date is made of it in Python: at the
    year's end a wrong offset or epoch would show at once."""
    await check_at(db, datetime(2025, 12, 31, 18, 59, 59, 900_000, tzinfo=UTC), lang="kk")  # 23:59:59.9 in Almaty
    await check_at(db, datetime(2025, 12, 31, 19, 0, tzinfo=UTC), lang="ru", scheme="prize_lottery")  # New Year
    new_year = datetime(2026, 1, 1, 12, 0, tzinfo=UTC).timestamp()
    assert await stats.checks_per_day(2, now=new_year) == [
        ("2025-12-31", "bank_security_call", 1), ("2026-01-01", "prize_lottery", 1)]


async def test_only_checks_that_looked_like_fraud_with_a_scheme_are_counted(db, stats):
    await check_at(db, utc(9, 6), risk="low")
    await check_at(db, utc(9, 6), risk="none", scheme=None)
    await check_at(db, utc(9, 6), risk="high", scheme=None)
    await check_at(db, utc(9, 6), risk="medium", scheme="delivery_parcel")
    assert await stats.checks_per_day(7, now=NOW) == [("2026-03-09", "delivery_parcel", 1)]


async def test_only_the_last_days_asked_for_are_counted(db, stats):
    since = datetime.fromtimestamp(NOW - 3 * DAY, UTC)
    await check_at(db, since - timedelta(seconds=1))
    await check_at(db, since)  # exactly three days ago: in
    await check_at(db, utc(10, 11))
    assert await stats.checks_per_day(3, now=NOW) == [
        ("2026-03-07", "bank_security_call", 1), ("2026-03-10", "bank_security_call", 1)]
    assert await stats.checks_per_day(1, now=NOW) == [("2026-03-10", "bank_security_call", 1)]


async def test_no_checks_give_no_rows(stats):
    assert await stats.checks_per_day(30, now=NOW) == []


async def test_without_a_given_time_the_last_days_are_counted_up_to_now(db, stats):
    await ChecksRepo(db).add(1, TEXTS["kk"], "text", verdict("kk"))
    [(day, scheme, count)] = await stats.checks_per_day(1)
    assert (scheme, count) == ("bank_security_call", 1)
    assert day == datetime.now(timezone(timedelta(hours=5))).date().isoformat()


async def test_active_subscribers_are_counted_by_region_and_language(db, stats):
    """A user who chose no language gets alerts in Russian, so is counted as 'ru'; one who
    blocked the bot or unsubscribed reaches nobody and is not counted."""
    users, subscriptions = UsersRepo(db), SubscriptionsRepo(db)
    people = [  # id, language, region, subscribed, blocked
        (11, "kk", "almaty_city", True, False), (12, "kk", "almaty_city", True, False),
        (13, "ru", "almaty_city", True, False), (14, None, "almaty_city", True, False),
        (15, "kk", None, True, False), (16, "ru", "astana", False, False), (17, "ru", "astana", True, True),
    ]
    for user, lang, region, subscribed, blocked in people:
        await users.touch(user)
        if lang:
            await users.set_language(user, lang)
        await users.set_region(user, region)
        if subscribed:
            await subscriptions.subscribe(user, {region} if region else set())
        if blocked:
            await db.execute("UPDATE users SET blocked_at = ? WHERE id = ?", (NOW, user))
    assert await stats.subscribers() == [(None, "kk", 1), ("almaty_city", "kk", 2), ("almaty_city", "ru", 2)]
