"""Reports of fraudsters' identifiers and officers' reviews, on both engines (the `db` fixture: a
real SQLite file, then a real PostgreSQL database): one user counts once, fresh accounts cannot
push an honest number past the threshold, an officer's "clear" wins over the crowd, /forget
leaves an anonymous count, and a lookup is one indexed query on each engine (its plan is read
from SQLite, and from PostgreSQL over a table big enough for its planner to choose). Kazakh and
Russian texts side by side; every number here is made up."""

from __future__ import annotations

import re
import time

import pytest

from bot.classifier.identifiers import find_identifiers, parse_phone
from bot.storage import Database, UsersRepo
from bot.storage.reports import DAY, ExportRow, ReportsRepo, UnknownReporter
from tests.storage.engines import everything_stored, with_plans

TEXTS = {
    "kk": "Сәлем, Kaspi қауіпсіздік қызметі. Кодты мына нөмірге жіберіңіз: 8 701 123 45 67, сайт kaspi-bonus.kz",
    "ru": "Здравствуйте, служба безопасности. Назовите код по номеру +7 701 123 45 67 или на сайте kaspi-bonus.kz",
}
PHONE = parse_phone("+77011234567")
HONEST = parse_phone("+77272501234")  # somebody's shop, say
OFFICER = 9001


async def user(db: Database, user_id: int, *, age_days: float = 30.0) -> int:
    """A user whose account first talked to the bot ``age_days`` ago."""
    await UsersRepo(db).touch(user_id)
    await db.execute("UPDATE users SET created_at = ? WHERE id = ?", (time.time() - age_days * DAY, user_id))
    return user_id


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_three_distinct_users_count_three_and_the_same_user_twice_counts_once(db, lang):
    reports = ReportsRepo(db)
    found = find_identifiers(TEXTS[lang])
    assert [(i.kind, i.value) for i in found] == [("phone", "+77011234567"), ("domain", "kaspi-bonus.kz")]
    for reporter in (1, 2, 3):
        assert await reports.report(await user(db, reporter), found, "almaty_city") == 2
    assert await reports.report(1, found, "almaty_city") == 0
    assert await reports.report(1, find_identifiers(TEXTS["kk" if lang == "ru" else "ru"]), None) == 0
    phone, site = await reports.reputation(found)
    assert (phone.reporters, site.reporters) == (3, 3)
    assert phone.first_reported <= phone.last_reported <= time.time()


async def test_an_identifier_nobody_reported_has_no_count_no_dates_and_no_review(db):
    [standing] = await ReportsRepo(db).reputation([HONEST])
    assert (standing.kind, standing.value) == ("phone", HONEST.value)
    assert (standing.reporters, standing.seasoned_reporters) == (0, 0)
    assert (standing.first_reported, standing.review, standing.past_threshold) == (None, None, False)


async def test_a_lookup_answers_in_the_order_asked_and_once_per_identifier(db):
    reports = ReportsRepo(db)
    await reports.report(await user(db, 1), [HONEST], None)
    standings = await reports.reputation([PHONE, HONEST, PHONE])
    assert [(s.value, s.reporters) for s in standings] == [(PHONE.value, 0), (HONEST.value, 1)]
    assert await reports.reputation([]) == []


async def test_a_handful_of_fresh_accounts_cannot_push_an_honest_number_past_the_threshold(db):
    reports = ReportsRepo(db, min_reporters=3, min_account_age_days=7)
    for sock_puppet in range(100, 110):  # ten accounts made an hour ago
        await reports.report(await user(db, sock_puppet, age_days=1 / 24), [HONEST], "almaty_city")
    [standing] = await reports.reputation([HONEST])
    assert (standing.reporters, standing.seasoned_reporters, standing.past_threshold) == (10, 0, False)
    # The same accounts, a month later, still do not count: the age is the one at the report.
    await db.execute("UPDATE users SET created_at = created_at - 30 * 86400 WHERE id >= 100")
    assert (await reports.reputation([HONEST]))[0].past_threshold is False


async def test_three_seasoned_reporters_pass_the_threshold_and_two_do_not(db):
    reports = ReportsRepo(db, min_reporters=3, min_account_age_days=7)
    for reporter in (1, 2):
        await reports.report(await user(db, reporter, age_days=8), [PHONE], "shymkent")
    await reports.report(await user(db, 3, age_days=2), [PHONE], "shymkent")
    [standing] = await reports.reputation([PHONE])
    assert (standing.reporters, standing.seasoned_reporters, standing.past_threshold) == (3, 2, False)
    await reports.report(await user(db, 4, age_days=400), [PHONE], "shymkent")
    [standing] = await reports.reputation([PHONE])
    assert (standing.reporters, standing.seasoned_reporters, standing.past_threshold) == (4, 3, True)


async def test_an_officers_clear_wins_over_the_crowd_and_every_decision_is_audited(db):
    reports = ReportsRepo(db, min_reporters=2, min_account_age_days=0)
    for reporter in (1, 2, 3):
        await reports.report(await user(db, reporter), [HONEST], None)
    assert (await reports.reputation([HONEST]))[0].past_threshold is True

    await reports.clear(OFFICER, HONEST)
    [standing] = await reports.reputation([HONEST])
    assert (standing.reporters, standing.review, standing.reviewed_by, standing.past_threshold) == (
        3, "cleared", OFFICER, False)

    await reports.confirm(OFFICER + 1, HONEST)
    [standing] = await reports.reputation([HONEST])
    assert (standing.review, standing.reviewed_by, standing.past_threshold) == ("confirmed", OFFICER + 1, True)
    assert [tuple(row) for row in await db.fetchall("SELECT actor_id, action, detail FROM audit ORDER BY id")] == [
        (OFFICER, "identifier_cleared", f"phone:{HONEST.value}"),
        (OFFICER + 1, "identifier_confirmed", f"phone:{HONEST.value}"),
    ]


async def test_an_officer_can_confirm_what_nobody_reported(db):
    reports = ReportsRepo(db)
    await reports.confirm(OFFICER, PHONE)
    [standing] = await reports.reputation([PHONE])
    assert (standing.reporters, standing.review, standing.past_threshold) == (0, "confirmed", False)


@pytest.mark.parametrize(("asel_lang", "ivan_lang"), [("kk", "ru"), ("ru", "kk")])
async def test_forget_takes_the_user_out_of_their_reports_and_leaves_the_count_and_the_review(db, asel_lang, ivan_lang):
    reports = ReportsRepo(db, min_reporters=2, min_account_age_days=7)
    asel, ivan = await user(db, 1), await user(db, 2)
    await reports.report(asel, find_identifiers(TEXTS[asel_lang]), "almaty_city")
    await reports.report(ivan, find_identifiers(TEXTS[ivan_lang]), "karaganda")
    await reports.confirm(OFFICER, PHONE)
    before = await reports.reputation([PHONE])

    await UsersRepo(db).forget(asel)

    assert await reports.reputation([PHONE]) == before  # the count, the dates, the review
    rows = await db.fetchall("SELECT user_id, region FROM reports ORDER BY user_id NULLS FIRST")
    assert [tuple(row) for row in rows] == [(None, None), (None, None), (ivan, "karaganda"), (ivan, "karaganda")]


async def test_a_forgotten_user_who_comes_back_can_report_again_as_a_new_account(db):
    reports = ReportsRepo(db, min_reporters=1, min_account_age_days=7)
    await reports.report(await user(db, 1, age_days=30), [PHONE], None)
    await UsersRepo(db).forget(1)
    await UsersRepo(db).touch(1)  # a fresh account: its new report is not seasoned
    assert await reports.report(1, [PHONE], None) == 1
    [standing] = await reports.reputation([PHONE])
    assert (standing.reporters, standing.seasoned_reporters) == (2, 1)


async def test_only_the_confirmed_identifiers_are_stored_never_the_text(db):
    reports = ReportsRepo(db)
    await reports.report(await user(db, 1), find_identifiers(TEXTS["kk"]), "almaty_city")
    await reports.report(await user(db, 2), find_identifiers(TEXTS["ru"]), "almaty_city")
    stored = await everything_stored(db)
    assert "+77011234567" in stored and "kaspi-bonus.kz" in stored
    for words in ("қауіпсіздік қызметі", "служба безопасности", "8 701 123 45 67"):
        assert words not in stored


async def test_only_the_confirmed_identifiers_reach_sqlites_file_never_the_text(sqlite_db, on_disk):
    """SQLite only: the bytes of its file and WAL (PostgreSQL's files are the server's)."""
    reports = ReportsRepo(sqlite_db)
    await reports.report(await user(sqlite_db, 1), find_identifiers(TEXTS["kk"]), "almaty_city")
    await reports.report(await user(sqlite_db, 2), find_identifiers(TEXTS["ru"]), "almaty_city")
    raw = on_disk()
    assert b"+77011234567" in raw and b"kaspi-bonus.kz" in raw
    for words in ("қауіпсіздік қызметі", "служба безопасности", "8 701 123 45 67"):
        assert words.encode() not in raw


async def test_a_report_from_a_user_the_bot_never_stored_is_refused_with_what_to_do(db):
    with pytest.raises(UnknownReporter, match="touch the user"):
        await ReportsRepo(db).report(404, [PHONE], None)


async def test_a_lookup_is_one_query_over_the_covering_index_and_the_reviews_key(sqlite_db):
    """SQLite's plan, read with its trace and EXPLAIN QUERY PLAN (PostgreSQL's: the next test)."""
    db = sqlite_db
    reports = ReportsRepo(db)
    for reporter in range(1, 6):
        await reports.report(await user(db, reporter), [PHONE, HONEST], None)
    statements: list[str] = []
    await db.conn.set_trace_callback(statements.append)
    try:
        await reports.reputation(find_identifiers(TEXTS["ru"]) + [HONEST])
    finally:
        await db.conn.set_trace_callback(None)
    assert len(statements) == 1
    async with db.conn.execute("EXPLAIN QUERY PLAN " + statements[0]) as cur:
        plan = " | ".join(row["detail"] for row in await cur.fetchall())
    assert "SEARCH r USING COVERING INDEX reports_identifier (kind=? AND value=?)" in plan
    assert "SEARCH v USING PRIMARY KEY (kind=? AND value=?)" in plan  # the reviews
    assert "SCAN r" not in plan and "SCAN v" not in plan
    assert "FOR ORDER BY" not in plan  # the groups come in the order asked: one sort (of the few identifiers)


async def test_a_threshold_that_could_never_be_met_is_refused():
    with pytest.raises(ValueError, match="min_reporters"):
        ReportsRepo(None, min_reporters=0)  # type: ignore[arg-type]


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_the_export_gives_only_confirmed_identifiers_with_their_counts_and_first_and_last_seen(db, lang):
    reports = ReportsRepo(db, min_reporters=2, min_account_age_days=0)
    start = time.time()
    phone, site = find_identifiers(TEXTS[lang])
    [card] = find_identifiers("4400 4301 2345 6789")
    for reporter in (1, 2, 3):
        await reports.report(await user(db, reporter), [phone, site], "almaty_city")
    await reports.report(await user(db, 4), [HONEST], None)  # reported, never reviewed: not exported
    await reports.confirm(OFFICER, phone)
    await reports.clear(OFFICER, site)  # cleared: not exported
    await reports.confirm(OFFICER, card)  # confirmed though nobody reported it
    [standing] = await reports.reputation([phone])

    rows = await reports.export(since=start)

    card_decided = await db.fetchval("SELECT decided_at FROM identifier_reviews WHERE kind = 'card'")
    assert rows == [
        ExportRow("card", card.value, 0, card_decided, card_decided, "confirmed"),
        ExportRow("phone", phone.value, 3, standing.first_reported, standing.reviewed_at, "confirmed"),
    ]
    assert await reports.export(since=time.time() + 1) == []


async def test_the_export_since_a_date_leaves_out_what_was_last_seen_before_it(db):
    reports = ReportsRepo(db)
    old, active = PHONE, HONEST
    for reporter in (1, 2):
        await reports.report(await user(db, reporter), [old, active], None)
    await reports.confirm(OFFICER, old)
    await reports.confirm(OFFICER, active)
    # Everything about both happened 60 days ago; then somebody reports `active` again today.
    await db.execute("UPDATE reports SET created_at = created_at - 60 * 86400")
    await db.execute("UPDATE identifier_reviews SET decided_at = decided_at - 60 * 86400")
    await reports.report(await user(db, 3), [active], None)

    [row] = await reports.export(since=time.time() - 30 * DAY)

    assert (row.value, row.reporters) == (active.value, 3)
    assert row.first_seen < time.time() - 59 * DAY and row.last_seen > time.time() - 60
    assert [r.value for r in await reports.export(since=time.time() - 90 * DAY)] == sorted([active.value, old.value])  # by kind and value


async def test_a_lookup_on_postgresql_reads_the_reports_and_the_reviews_by_their_indexes(postgres_url):
    """PostgreSQL's plan of the lookup every answer makes, over tables big enough (90,000
    reports, 1,000 reviews, analysed) for its planner to choose between reading them whole and
    their indexes. The statement is the one the repository ran, recorded on its way to the
    server (PostgreSQL has no trace callback to ask)."""
    db = await Database.open(postgres_url)
    try:
        await db.execute(
            "INSERT INTO reports (kind, value, user_id, region, reporter_age, created_at) "
            "SELECT 'phone', '+7701' || lpad(g::text, 7, '0'), NULL, NULL, (g % 20) * 86400.0, g "
            "FROM generate_series(1, 30000) AS g, generate_series(1, 3) AS reporter")
        await db.execute(
            "INSERT INTO identifier_reviews (kind, value, status, officer_id, decided_at) "
            "SELECT 'phone', '+7701' || lpad((g * 37)::text, 7, '0'), 'confirmed', ?, g "
            "FROM generate_series(1, 1000) AS g", (OFFICER,))
        await db.execute("ANALYZE reports")
        await db.execute("ANALYZE identifier_reviews")
        confirmed = parse_phone("+77010000037")  # reported three times, 17 days after the accounts' start
        standings, plans = await with_plans(db, "fetchall", ReportsRepo(db).reputation([PHONE, confirmed, HONEST]))
        assert [(s.value, s.reporters, s.seasoned_reporters, s.review) for s in standings] == [
            (PHONE.value, 0, 0, None), (confirmed.value, 3, 3, "confirmed"), (HONEST.value, 0, 0, None)]
        [plan] = plans
        assert re.search(r"Index (Only )?Scan using reports_identifier on reports r\b", plan), plan
        assert "Index Scan using identifier_reviews_pkey on identifier_reviews v" in plan, plan
        assert "Seq Scan" not in plan, plan
    finally:
        await db.close()
