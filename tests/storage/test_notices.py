"""Notices ("your message of 12 November was reviewed"), on both engines (the `db` fixture: a real
SQLite file, then a real PostgreSQL database; the poll's plan is SQLite's): created by
an officer's label for each user who asked, sent in the user's language, never more than one a
day per user (the oldest first), none to a user who blocked the bot or asked to be forgotten,
and polled through an index of the pending ones only. Kazakh and Russian side by side; every
text here is made up."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.storage import ChecksRepo, Database, Notice, UsersRepo
from bot.storage.notices import DAY, NoticesRepo
from bot.storage.reviews import ReviewsRepo
from tests.storage.engines import db_target  # noqa: F401  (a fixture: the database of each engine, by its address)
from tests.storage.engines import with_plans
from tests.storage.verdicts import verdict

OFFICER = 9001
TEXTS = {
    "kk": "Сізге 300 000 теңге несие мақұлданды, растау үшін SMS-кодты айтыңыз",
    "ru": "Вам одобрен кредит на 300 000 тенге, для подтверждения назовите код из SMS",
}
LATER = {
    "kk": "Сіздің сәлемдемеңіз кешіктірілді, жеткізу үшін сілтеме бойынша 500 теңге төлеңіз",
    "ru": "Ваша посылка задержана, для доставки оплатите 500 тенге по ссылке",
}


async def asked(db: Database, user_id: int, text: str, lang: str, *, chosen: str | None = None) -> int:
    """``user_id`` (who chose ``chosen`` as their language, or nothing) checks ``text``."""
    users = UsersRepo(db)
    await users.touch(user_id)
    if chosen:
        await users.set_language(user_id, chosen)
    answered_in = lang if lang in ("kk", "ru") else "kk"
    return await ChecksRepo(db).add(user_id, text, "text", verdict(lang, risk="low", scheme=None,
                                                                   reply_language=answered_in))


async def labelled(db: Database, check_id: int, label: str = "loan_fraud") -> str:
    """An officer labels the text of ``check_id``; returns its hash."""
    reviews = ReviewsRepo(db)
    await reviews.enqueue_check(check_id, "disputed")
    item = await reviews.next_item()
    assert item.check_id == check_id
    return (await reviews.label(OFFICER, item.id, label)).text_hash


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_each_user_who_asked_a_labelled_text_gets_one_notice_in_their_language(db, lang):
    other = "ru" if lang == "kk" else "kk"
    first = await asked(db, 1, TEXTS[lang], lang, chosen=lang)
    await asked(db, 1, TEXTS[lang], lang, chosen=lang)  # asked twice: told once, of the latest time
    await asked(db, 2, TEXTS[lang], lang, chosen=other)  # chose the other language: told in it
    await asked(db, 3, TEXTS[lang], lang)  # chose none: told in the language of the text
    latest = await db.fetchval("SELECT max(created_at) FROM checks WHERE user_id = 1")
    text_hash = await labelled(db, first)

    due = await NoticesRepo(db).due(time.time(), limit=10)

    assert sorted(due, key=lambda n: n.user_id) == [
        Notice(1, lang, text_hash, "loan_fraud", latest),
        Notice(2, other, text_hash, "loan_fraud", pytest.approx(latest, abs=5)),
        Notice(3, lang, text_hash, "loan_fraud", pytest.approx(latest, abs=5)),
    ]


@pytest.mark.parametrize(("text", "lang", "told_in"), [
    (TEXTS["kk"], "kk", "kk"), (TEXTS["ru"], "ru", "ru"),
    ("Сізге кредит одобрен, SMS-кодты айтыңыз", "mixed", "ru"),  # neither: the bot's default language
])
async def test_a_user_who_chose_no_language_is_told_in_the_language_of_the_text_they_asked(db, text, lang, told_in):
    await labelled(db, await asked(db, 1, text, lang))
    [notice] = await NoticesRepo(db).due(time.time(), limit=10)
    assert notice.language == told_in


async def test_a_user_is_told_at_most_once_a_day_the_oldest_notice_first(db):
    notices = NoticesRepo(db)
    older = await labelled(db, await asked(db, 1, TEXTS["kk"], "kk", chosen="kk"))
    time.sleep(0.002)
    newer = await labelled(db, await asked(db, 1, LATER["ru"], "ru"), "delivery_fraud")
    now = time.time()

    [notice] = await notices.due(now, limit=10)
    assert (notice.text_hash, notice.label) == (older, "loan_fraud")
    await notices.mark_sent(1, older, now)
    noticed_at = await db.fetchval("SELECT noticed_at FROM users WHERE id = 1")
    assert noticed_at == now

    assert await notices.due(now + 60, limit=10) == []
    assert await notices.due(now + DAY - 1, limit=10) == []
    [notice] = await notices.due(now + DAY, limit=10)
    assert (notice.text_hash, notice.label) == (newer, "delivery_fraud")
    await notices.mark_sent(1, newer, now + DAY)
    assert await notices.due(now + 3 * DAY, limit=10) == []


async def test_a_notice_marked_sent_twice_does_not_move_the_users_day(db):
    notices = NoticesRepo(db)
    text_hash = await labelled(db, await asked(db, 1, TEXTS["ru"], "ru", chosen="ru"))
    now = time.time()
    await notices.mark_sent(1, text_hash, now)
    await notices.mark_sent(1, text_hash, now + 3600)  # a retry after a timeout that did deliver
    rows = await db.fetchall("SELECT u.noticed_at, n.sent_at FROM users AS u JOIN notices AS n ON n.user_id = u.id")
    assert [tuple(row) for row in rows] == [(now, now)]


async def test_the_limit_is_kept_and_the_users_told_in_the_order_their_notices_came(db):
    notices = NoticesRepo(db)
    for user, lang in ((1, "kk"), (2, "ru"), (3, "kk")):
        await labelled(db, await asked(db, user, f"{TEXTS[lang]} {user}", lang, chosen=lang))
        time.sleep(0.002)
    assert [n.user_id for n in await notices.due(time.time(), limit=2)] == [1, 2]
    assert [n.user_id for n in await notices.due(time.time(), limit=10)] == [1, 2, 3]
    assert await notices.due(time.time(), limit=0) == []


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_user_who_blocked_the_bot_is_not_told_and_their_pending_notices_go(db, lang):
    notices = NoticesRepo(db)
    first = await asked(db, 1, TEXTS[lang], lang, chosen=lang)
    await asked(db, 2, TEXTS[lang], lang, chosen=lang)
    text_hash = await labelled(db, first)
    await labelled(db, await asked(db, 2, LATER[lang], lang, chosen=lang))
    await notices.mark_sent(2, text_hash, time.time() - 2 * DAY)  # told long ago

    await notices.drop(1)  # Telegram answered 403

    assert [n.user_id for n in await notices.due(time.time(), limit=10)] == [2]
    rows = await db.fetchall("SELECT user_id, sent_at IS NULL FROM notices ORDER BY user_id, sent_at NULLS FIRST")
    assert [tuple(row) for row in rows] == [(2, True), (2, False)]  # user 1's went; user 2's, pending and sent, stay
    blocked_at = await db.fetchval("SELECT blocked_at FROM users WHERE id = 1")
    assert blocked_at == pytest.approx(time.time(), abs=5)

    # A broadcast's 403 marks a user as blocking the bot: a label then creates no notice for
    # them, and their pending ones go at once.
    again = f"{LATER[lang]}, 2-й раз"
    check = await asked(db, 3, again, lang, chosen=lang)
    await asked(db, 4, again, lang, chosen=lang)
    await db.execute("UPDATE users SET blocked_at = ? WHERE id = 4", (time.time(),))
    again_hash = await labelled(db, check, "delivery_fraud")
    rows = await db.fetchall("SELECT user_id FROM notices WHERE text_hash = ?", (again_hash,))
    assert [row[0] for row in rows] == [3]
    await db.execute("UPDATE users SET blocked_at = ? WHERE id = 3", (time.time(),))
    assert [n.user_id for n in await notices.due(time.time(), limit=10)] == [2]
    assert await db.fetchall("SELECT 1 FROM notices WHERE user_id IN (3, 4)") == []


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_nobody_is_told_after_forget(db, lang):
    notices = NoticesRepo(db)
    check = await asked(db, 1, TEXTS[lang], lang, chosen=lang)
    await asked(db, 2, TEXTS[lang], lang, chosen=lang)
    await labelled(db, check)
    await UsersRepo(db).forget(1)
    assert [n.user_id for n in await notices.due(time.time(), limit=10)] == [2]
    left = await db.fetchval("SELECT count(*) FROM notices WHERE user_id = 1")
    assert left == 0


async def test_the_poll_reads_only_the_pending_notices_through_their_index(sqlite_db):
    """SQLite's plan, read with its trace and EXPLAIN QUERY PLAN."""
    db = sqlite_db
    notices = NoticesRepo(db)
    for user in range(1, 20):
        await labelled(db, await asked(db, user, f"{TEXTS['ru']} {user}", "ru", chosen="ru"))
    statements: list[str] = []
    await db.conn.set_trace_callback(statements.append)
    try:
        await notices.due(time.time(), limit=5)
    finally:
        await db.conn.set_trace_callback(None)
    [statement] = statements
    plan = " | ".join(row["detail"] for row in await db.conn.execute_fetchall("EXPLAIN QUERY PLAN " + statement))
    assert "SEARCH n USING INDEX notices_due (due_at<?)" in plan
    assert "SEARCH u USING INTEGER PRIMARY KEY (rowid=?)" in plan
    assert "SCAN u" not in plan and "SCAN checks" not in plan


async def test_senders_of_three_replicas_polling_at_once_claim_each_person_once(db_target):
    """Three replicas, three connections to one database (three pools on PostgreSQL, three
    connections to one file on SQLite), each sender polling in batches of 4 at the same moment
    until nothing is left: every person with a notice due is claimed exactly once."""
    replicas = [await Database.open(db_target) for _ in range(3)]
    try:
        people = range(1, 16)
        for user in people:
            lang = "kk" if user % 2 else "ru"
            await labelled(replicas[0], await asked(replicas[0], user, f"{TEXTS[lang]} {user}", lang, chosen=lang))
        now = time.time()
        claimed: list[int] = []
        for _ in people:  # rounds enough whatever the interleaving, and an end if claims stopped working
            rounds = await asyncio.gather(*(NoticesRepo(replica).claim(now, limit=4) for replica in replicas))
            if not any(rounds):
                break
            claimed += [notice.user_id for batch in rounds for notice in batch]
        assert sorted(claimed) == list(people)
    finally:
        for replica in replicas:
            await replica.close()


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_claimed_person_gets_nothing_from_another_sender_until_told_or_given_back(db, lang):
    first, second = NoticesRepo(db), NoticesRepo(db)  # two replicas' senders
    older = await labelled(db, await asked(db, 1, TEXTS[lang], lang, chosen=lang))
    time.sleep(0.002)
    newer = await labelled(db, await asked(db, 1, LATER[lang], lang), "delivery_fraud")
    now = time.time()

    [notice] = await first.claim(now, limit=10)
    assert (notice.text_hash, notice.language) == (older, lang)
    assert await second.claim(now, limit=10) == []  # neither this notice nor the person's next one
    assert await second.claim(now + 60, limit=10) == []

    await first.release(notice)  # Telegram answered 502: a later round, of any sender, sends it
    assert await db.fetchval("SELECT noticed_at FROM users WHERE id = 1") is None  # never told: as before
    [again] = await second.claim(now + 60, limit=10)
    assert again == notice
    await second.mark_sent(1, older, now + 61)
    await second.release(again)  # a release after the send changes nothing
    assert await db.fetchval("SELECT noticed_at FROM users WHERE id = 1") == now + 61

    assert await first.claim(now + DAY, limit=10) == []  # a day after the notice was sent, not the claim
    [tomorrow] = await first.claim(now + 61 + DAY, limit=10)
    assert (tomorrow.text_hash, tomorrow.label) == (newer, "delivery_fraud")
    await first.release(tomorrow)
    assert await db.fetchval("SELECT noticed_at FROM users WHERE id = 1") == now + 61  # back to the day it was told


async def test_the_poll_on_postgresql_reads_the_due_notices_off_their_index(postgres_url):
    """PostgreSQL's plan of the poll over 20,000 people with 60,000 notices sent and 20,000
    pending, half of them waiting for their day (analysed, so its planner could choose to read
    the table whole): the pending ones are read off `notices_due`, each person by their key.
    The statement is the one the repository ran, recorded on its way to the server."""
    db = await Database.open(postgres_url)
    try:
        now = time.time()
        await db.execute("INSERT INTO users (id, language, created_at, seen_at) "
                         "SELECT g, CASE WHEN g % 2 = 0 THEN 'kk' ELSE 'ru' END, 0, 0 "
                         "FROM generate_series(1, 20000) AS g")
        await db.execute("INSERT INTO notices (user_id, text_hash, asked_at, label, created_at, due_at, sent_at) "
                         "SELECT 1 + g % 20000, md5(g::text), 0, 'loan_fraud', g, g, g "
                         "FROM generate_series(1, 60000) AS g")
        await db.execute("INSERT INTO notices (user_id, text_hash, asked_at, label, created_at, due_at) "
                         "SELECT g, md5('pending' || g), 0, 'loan_fraud', g, "
                         "CASE WHEN g % 2 = 0 THEN ?1 + 3600 ELSE g END FROM generate_series(1, 20000) AS g", (now,))
        await db.execute("ANALYZE users")
        await db.execute("ANALYZE notices")
        due, plans = await with_plans(db, "fetchall", NoticesRepo(db).due(now, limit=5))
        assert [(n.user_id, n.language) for n in due] == [(1, "ru"), (3, "ru"), (5, "ru"), (7, "ru"), (9, "ru")]
        [plan] = plans
        assert "Index Scan using notices_due on notices n" in plan, plan
        assert "Index Scan using users_pkey on users u" in plan, plan
        assert "Seq Scan" not in plan and "Sort" not in plan, plan
    finally:
        await db.close()
