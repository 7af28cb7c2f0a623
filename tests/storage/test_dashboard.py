"""The dashboard's reads: the overview's numbers (from `check_counts`) equal what the checks
themselves say, day by day in Kazakhstan's time; the reported identifiers come with their
counts and the officers' decisions (the page and the CSV); the alerts with their delivery
figures. On PostgreSQL the overview is shown to read the counts' index, never the checks.
Both engines (the `db` fixture); Kazakh and Russian side by side."""

from __future__ import annotations

import random

import pytest

from bot.classifier.identifiers import find_identifiers, parse_phone
from bot.storage import ChecksRepo, UsersRepo
from bot.storage.dashboard import DashboardRepo, day_iso
from bot.storage.database import Database, kz_day
from bot.storage.reports import ReportsRepo
from tests.storage.engines import recount, with_plans
from tests.storage.verdicts import verdict

DAY = 86400
NOW = 1_764_000_000.0  # 2025-11-24, 21:00 in Kazakhstan
TODAY = kz_day(NOW)
TEXTS = {"kk": "Сіздің картаңыз бұғатталды, SMS-кодты айтыңыз", "ru": "Ваша карта заблокирована, назовите код из SMS"}
REGIONS = ["astana", "almaty_city", "shymkent", None]


async def spread_checks(db: Database, n: int = 300) -> None:
    """Checks over 12 days, both languages, every risk, with and without scheme and region."""
    rng = random.Random(9)
    users, checks = UsersRepo(db), ChecksRepo(db)
    for user, region in enumerate(REGIONS, start=1):
        await users.touch(user)
        await users.set_region(user, region)
    rows = []
    for _ in range(n):
        lang = rng.choice(["kk", "ru"])
        risk = rng.choice(["high", "medium", "low", "none"])
        scheme = rng.choice(["bank_security_call", "fake_delivery", None]) if risk != "none" else None
        rows.append((rng.randint(1, len(REGIONS)), TEXTS[lang], lang, risk, scheme, NOW - rng.uniform(0, 12 * DAY)))
    for user, text, lang, risk, scheme, at in rows:
        check_id = await checks.add(user, text, "text", verdict(lang, risk=risk, scheme=scheme))
        await db.execute("UPDATE checks SET created_at = ? WHERE id = ?", (at, check_id))
    # The trigger counted each check at the moment it was stored; the test then dated them over
    # 12 days, so the counts are rebuilt from the checks as the migration's backfill does.
    await recount(db)


async def truth(db: Database, select: str, days: int, risky: bool) -> list[tuple]:
    where = " AND risk IN ('high', 'medium')" if risky else ""
    return [tuple(row) for row in await db.fetchall(
        f"SELECT {select}, count(*) FROM checks WHERE kz_day(created_at) > ?{where} GROUP BY {select}",
        (TODAY - days,))]


@pytest.mark.parametrize("days", [1, 7, 30])
async def test_the_overview_equals_what_the_checks_say_over_the_last_days(db, days):
    await spread_checks(db)
    dashboard = DashboardRepo(db)
    per_day = await dashboard.per_day(days, NOW)
    expected = await truth(db, "kz_day(created_at), scheme", days, risky=True)
    assert sorted(per_day) == sorted((day_iso(d), s, n) for d, s, n in expected if s is not None)
    assert per_day == sorted(per_day)  # by day, then scheme: the chart's order
    assert {day for day, _, _ in per_day} <= {day_iso(TODAY - k) for k in range(days)}

    assert sorted(await dashboard.per_region(days, NOW), key=str) == sorted(
        await truth(db, "region", days, risky=True), key=str)
    assert sorted(await dashboard.by_risk(days, NOW)) == sorted(await truth(db, "risk", days, risky=False))
    assert sorted(await dashboard.by_language(days, NOW)) == sorted(await truth(db, "language", days, risky=False))
    assert sorted(await dashboard.per_scheme(days, NOW)) == sorted(
        (s, n) for s, n in await truth(db, "scheme", days, risky=True) if s is not None)
    counts = [n for _, n in await dashboard.per_region(days, NOW)]
    assert counts == sorted(counts, reverse=True)


@pytest.mark.parametrize("days", [1, 30])
async def test_the_overview_in_two_reads_says_what_the_five_single_reads_say(db, days):
    await spread_checks(db)
    dashboard = DashboardRepo(db)
    overview = await dashboard.overview(days, NOW)
    assert overview.per_day == await dashboard.per_day(days, NOW)
    assert overview.per_region == await dashboard.per_region(days, NOW)
    assert overview.per_scheme == await dashboard.per_scheme(days, NOW)
    assert overview.by_risk == await dashboard.by_risk(days, NOW)
    assert overview.by_language == await dashboard.by_language(days, NOW)
    assert overview.checks == sum(n for _, n in await truth(db, "risk", days, risky=False))
    assert overview.risky == sum(n for _, n in await truth(db, "risk", days, risky=True))


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_check_stored_now_is_on_the_overview_at_once(db, lang):
    await UsersRepo(db).touch(1)
    await UsersRepo(db).set_region(1, "atyrau")
    import time

    now = time.time()
    dashboard = DashboardRepo(db)
    assert await dashboard.per_region(1, now) == []
    await ChecksRepo(db).add(1, TEXTS[lang], "text", verdict(lang, risk="high", scheme="bank_security_call"))
    assert await dashboard.per_region(1, now) == [("atyrau", 1)]
    assert await dashboard.by_language(1, now) == [(lang, 1)]
    assert await dashboard.per_day(1, now) == [(day_iso(kz_day(now)), "bank_security_call", 1)]


async def test_a_period_of_no_days_is_refused(db):
    with pytest.raises(ValueError, match="at least one day"):
        await DashboardRepo(db).per_day(0, NOW)


async def test_identifiers_come_with_their_reporters_and_the_officers_decision(db):
    reports = ReportsRepo(db)
    phone, other, card = parse_phone("+77011234567"), parse_phone("+77779876543"), find_identifiers(
        "карта 4400 4301 2345 6789")[0]
    for user in (1, 2, 3):
        await UsersRepo(db).touch(user)
        await reports.report(user, [phone], "astana")
    await reports.report(1, [other], None)
    await reports.confirm(900, phone)
    await reports.clear(900, card)  # reviewed, never reported: listed with no reporters

    dashboard = DashboardRepo(db)
    listed = await dashboard.identifiers(limit=10)
    assert [(r.kind, r.value, r.reporters, r.review) for r in listed] == [
        ("phone", phone.value, 3, "confirmed"), ("phone", other.value, 1, None), ("card", card.value, 0, "cleared")]
    assert listed[0].first_reported is not None and listed[2].first_reported is None
    assert listed[0].reviewed_at is not None
    assert [r.value for r in await dashboard.identifiers(limit=1, offset=1)] == [other.value]
    assert await dashboard.count_identifiers() == 3
    csv = await dashboard.identifiers_csv_rows()
    assert [(r.kind, r.value) for r in csv] == sorted((r.kind, r.value) for r in listed)


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_alerts_come_newest_first_with_their_deliveries_counted_per_status(db, lang):
    for user in range(1, 6):
        await UsersRepo(db).touch(user)
    await db.execute("INSERT INTO broadcasts (id, author_id, text_kk, text_ru, regions, status, created_at) VALUES "
                     "(1, 9, 'Абай болыңыз', 'Будьте бдительны', 'astana,almaty_city', 'done', 10), "
                     "(2, 9, 'Жоба', 'Черновик', 'national', 'draft', 20)")
    await db.executemany("INSERT INTO deliveries (broadcast_id, user_id, language, status) VALUES (1, ?, ?, ?)",
                         [(1, lang, "sent"), (2, lang, "sent"), (3, lang, "blocked"), (4, lang, "failed"),
                          (5, lang, "pending")])
    done, drafted = sorted(await DashboardRepo(db).alerts(), key=lambda a: a.id)
    assert [a.id for a in await DashboardRepo(db).alerts()] == [2, 1]
    assert done.regions == ("astana", "almaty_city") and done.recipients == 5
    assert done.deliveries == {"pending": 1, "sending": 0, "sent": 2, "blocked": 1, "not_found": 0, "failed": 1}
    assert (drafted.status, drafted.text_kk, drafted.recipients) == ("draft", "Жоба", 0)


async def test_the_overview_reads_the_counts_index_and_never_the_checks_on_postgresql(db):
    """A year of counts (twenty values of each dimension, risky or not, each day) and a month
    asked for: PostgreSQL reads the month off the counts' primary key."""
    if db.engine != "postgresql":
        pytest.skip("PostgreSQL's plans; on SQLite the same SQL reads the same primary key")
    await db.execute(
        "INSERT INTO check_counts (day, dimension, value, risky, n) "
        "SELECT d, dimension, dimension || '_' || k, risky, 1 + (d + k) % 7 "
        "FROM generate_series(CAST(? AS INTEGER), CAST(? AS INTEGER)) AS d, generate_series(1, 20) AS k, "
        "unnest(ARRAY['scheme', 'region', 'risk', 'language']) AS dimension, generate_series(0, 1) AS risky",
        (TODAY - 364, TODAY))
    await db.execute("ANALYZE check_counts")
    dashboard = DashboardRepo(db)
    for read in (dashboard.per_day, dashboard.per_region, dashboard.per_scheme, dashboard.by_risk,
                 dashboard.by_language):
        rows, [plan] = await with_plans(db, "fetchall", read(30, NOW))
        assert rows, read.__name__
        assert "check_counts_pkey" in plan and "Seq Scan" not in plan and " checks" not in plan, (read.__name__, plan)
    overview, plans = await with_plans(db, "fetchall", dashboard.overview(30, NOW))
    assert overview.checks > 0 and len(plans) == 2
    for plan in plans:
        assert "check_counts_pkey" in plan and "Seq Scan" not in plan and " checks" not in plan, plan
