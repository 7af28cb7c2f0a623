"""Reports of a fraudster's number, card or link: candidates wait until the person taps one
(bounded in number and time; another person's or a made-up offer finds nothing), in this
process's memory or, with REDIS_URL, in Redis where another replica finds them; one person
counts once, and an identifier past the crowd's threshold goes to the officers' queue.
A real SQLite file, a real redis-server and the real knowledge base; Kazakh and Russian texts
side by side."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

from bot.classifier.identifiers import parse_phone
from bot.services.reports import MAX_CANDIDATES, OFFERS_PER_USER, Reports
from bot.services.reputation import Reputation
from bot.storage import Repositories
from bot.storage.reports import DAY

FRAUD = parse_phone("+77011234567")  # made up
OFFICER = 9001
TEXTS = {
    "kk": "Банктің қауіпсіздік қызметі: 8 701 123 45 67 нөміріне қоңырау шалыңыз, болмаса 7111-ге хабарласыңыз",
    "ru": "Служба безопасности банка: перезвоните на 8 701 123 45 67 или в 7111",
}


@pytest.fixture
def repos(engine_db) -> Repositories:
    """Every repository on a fresh database, on each engine (tests/services/conftest.py), no user yet."""
    return Repositories.of(engine_db, superadmins=frozenset(), conversation_ttl=1800)


@pytest.fixture(params=["memory", "redis"])
def make(request, knowledge, repos) -> Callable[..., Reports]:
    """Builds a `Reports` keeping its offers in this process's memory, or in Redis."""
    store = request.getfixturevalue("redis_stores")[0] if request.param == "redis" else None
    return lambda **kw: Reports(repos, Reputation(knowledge, repos.reports), redis=store, **kw)


@pytest.fixture
def reports(make) -> Reports:
    return make()


async def seasoned(repos: Repositories, user_id: int, days: float = 30.0) -> None:
    """A user whose account talked to the bot ``days`` ago (the crowd rule counts only those)."""
    await repos.users.touch(user_id)
    await repos.users.db.execute("UPDATE users SET created_at = ? WHERE id = ?", (time.time() - days * DAY, user_id))


async def rows(repos: Repositories, sql: str) -> list[tuple]:
    return [tuple(row) for row in await repos.users.db.fetchall(sql)]


async def queued(repos: Repositories) -> list[tuple]:
    return await rows(repos, "SELECT kind, value, reason FROM review_items")


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_an_official_number_in_the_text_is_never_offered_for_a_report(reports, lang):
    findings, candidates = await reports.candidates_in(TEXTS[lang])
    assert [f.identifier.value for f in findings] == [FRAUD.value, "7111"]
    assert candidates == [FRAUD]


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_an_offer_is_the_offering_users_alone(reports, lang):
    _, candidates = await reports.candidates_in(TEXTS[lang])
    offer = await reports.offer(1, candidates)
    assert await reports.offered(1, offer) == (FRAUD,)
    assert await reports.offered(2, offer) is None  # another person pressing a forwarded or forged button
    assert await reports.offered(1, offer + 1) is None


async def test_nothing_to_offer_makes_no_offer(reports):
    assert await reports.offer(1, []) is None


async def test_an_offer_expires(make, repos):
    reports = make(ttl=0.05)
    offer = await reports.offer(1, [FRAUD])
    await asyncio.sleep(0.1)
    assert await reports.offered(1, offer) is None
    await seasoned(repos, 1)
    assert await reports.report_offered(1, offer, 0, "almaty_city") is None
    assert await rows(repos, "SELECT count(*) FROM reports") == [(0,)]


async def test_offers_in_memory_are_bounded_the_oldest_going_first(knowledge, repos):
    reports = Reports(repos, Reputation(knowledge, repos.reports), capacity=3)
    offers = [await reports.offer(user, [FRAUD]) for user in range(1, 6)]
    assert [await reports.offered(user, offer) is not None for user, offer in enumerate(offers, 1)] == [
        False, False, True, True, True]


async def test_offers_in_redis_are_bounded_per_user_the_oldest_going_first(knowledge, repos, redis_stores):
    reports = Reports(repos, Reputation(knowledge, repos.reports), redis=redis_stores[0])
    offers = [await reports.offer(1, [FRAUD]) for _ in range(OFFERS_PER_USER + 2)]
    other = await reports.offer(2, [FRAUD])
    kept = [await reports.offered(1, offer) is not None for offer in offers]
    assert kept == [False, False] + [True] * OFFERS_PER_USER
    assert await reports.offered(2, other) == (FRAUD,)


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_an_offer_made_on_one_replica_is_pressed_on_another(knowledge, repos, redis_stores, lang):
    first, second = (Reports(repos, Reputation(knowledge, repos.reports), redis=store) for store in redis_stores)
    await seasoned(repos, 1)
    _, candidates = await first.candidates_in(TEXTS[lang])
    offer = await first.offer(1, candidates)
    assert await second.offered(1, offer) == (FRAUD,)
    done = await second.report_offered(1, offer, 0, "almaty_city")
    assert done is not None and done.identifier == FRAUD and done.new
    assert await second.offered(2, offer) is None
    await second.forget(1)  # /forget on the second: gone for the first as well
    assert await first.offered(1, offer) is None


async def test_offers_in_redis_expire_with_the_users_last_offer(knowledge, repos, redis_stores):
    reports = Reports(repos, Reputation(knowledge, repos.reports), ttl=0.2, redis=redis_stores[0])
    await reports.offer(1, [FRAUD])
    await asyncio.sleep(0.3)
    assert await redis_stores[0].redis.exists("saqbol:offers:1") == 0


async def test_when_redis_fails_the_answer_goes_without_buttons_and_forget_says_so(knowledge, repos, unreachable_redis):
    """A real refused connection: no offer (the verdict is still sent), an old button is
    "expired", and /forget fails loudly rather than say "done" with the offers still kept."""
    from bot.storage.database import STORAGE_FAULTS

    reports = Reports(repos, Reputation(knowledge, repos.reports), redis=unreachable_redis)
    assert await reports.offer(1, [FRAUD]) is None
    assert await reports.offered(1, 12345) is None
    with pytest.raises(STORAGE_FAULTS):
        await reports.forget(1)


async def test_an_offer_holds_at_most_a_screenful_of_candidates(reports):
    phones = [parse_phone(f"+7701123456{n}") for n in range(10)]
    assert len(await reports.offered(1, await reports.offer(1, phones))) == MAX_CANDIDATES


async def test_a_report_is_stored_with_the_region_given_and_counts_the_people(reports, repos):
    await seasoned(repos, 1)
    offer = await reports.offer(1, [FRAUD])
    done = await reports.report_offered(1, offer, 0, "kostanay")
    assert (done.identifier, done.new, done.reporters, done.to_review) == (FRAUD, True, 1, False)
    stored = await rows(repos, "SELECT kind, value, user_id, region FROM reports")
    assert stored == [("phone", FRAUD.value, 1, "kostanay")]


async def test_the_same_person_reporting_twice_counts_once(reports, repos):
    await seasoned(repos, 1)
    first = await reports.report(1, FRAUD, None)
    again = await reports.report(1, FRAUD, None)
    assert (first.new, again.new, again.reporters) == (True, False, 1)


async def test_a_press_on_a_candidate_out_of_range_stores_nothing(reports, repos):
    await seasoned(repos, 1)
    offer = await reports.offer(1, [FRAUD])
    assert await reports.report_offered(1, offer, 5, None) is None
    assert await rows(repos, "SELECT count(*) FROM reports") == [(0,)]


async def test_three_seasoned_reporters_send_the_identifier_to_the_officers_queue(reports, repos):
    for user in (1, 2):
        await seasoned(repos, user)
        assert not (await reports.report(user, FRAUD, None)).to_review
    await seasoned(repos, 3)
    third = await reports.report(3, FRAUD, None)
    assert (third.reporters, third.to_review) == (3, True)
    assert await queued(repos) == [("phone", FRAUD.value, "reported")]


async def test_fresh_accounts_do_not_pass_the_threshold(reports, repos):
    for user in (1, 2, 3):
        await seasoned(repos, user, days=0.0)
        done = await reports.report(user, FRAUD, None)
    assert (done.reporters, done.to_review) == (3, False)
    assert await queued(repos) == []


async def test_an_identifier_an_officer_cleared_is_not_queued_and_shows_no_count(reports, repos):
    await repos.reports.clear(OFFICER, FRAUD)
    for user in (1, 2, 3):
        await seasoned(repos, user)
        done = await reports.report(user, FRAUD, None)
    assert (done.reporters, done.to_review) == (0, False)
    assert await queued(repos) == []


async def test_forgetting_a_user_drops_their_offers(reports):
    offer = await reports.offer(1, [FRAUD])
    other = await reports.offer(2, [FRAUD])
    await reports.forget(1)
    assert await reports.offered(1, offer) is None and await reports.offered(2, other) == (FRAUD,)
