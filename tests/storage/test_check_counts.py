"""The dashboard's numbers (migration 9): every stored check carries the asker's region at the
time and whether the classifier found it unlike every known example, and `check_counts`, kept
by the schema's trigger in the statement that stores the check, always equals a GROUP BY over
the checks themselves: after single inserts, after one bulk insert, on both engines, and after
the migration's backfill of checks stored by an older release. Kazakh and Russian side by side."""

from __future__ import annotations

import random
import sqlite3

import pytest

from bot.storage import ChecksRepo, UsersRepo
from bot.storage.database import Database
from bot.storage.migrations import MIGRATIONS, MIGRATIONS_POSTGRES
from tests.storage.engines import recount
from tests.storage.verdicts import verdict

ASTANA, ALMATY = 7001, 7002

# The ground truth: the checks themselves, grouped along each dimension as the counts are
# (Kazakhstan's day, UTC+5; risky: high or medium).
TRUTH = " UNION ALL ".join(
    f"SELECT kz_day(created_at), '{dimension}', {value}, CASE WHEN risk IN ('high', 'medium') THEN 1 ELSE 0 END, "
    f"count(*) FROM checks GROUP BY 1, 2, 3, 4"
    for dimension, value in (("scheme", "coalesce(scheme, '')"), ("region", "coalesce(region, '')"),
                             ("risk", "risk"), ("language", "language")))
COUNTS = "SELECT day, dimension, value, risky, n FROM check_counts"


async def counted(db: Database) -> tuple[dict, dict]:
    """(the rollup, the ground truth), each as {(day, dimension, value, risky): n}."""
    def table(rows):
        return {tuple(row[:4]): int(row[4]) for row in rows}
    return table(await db.fetchall(COUNTS)), table(await db.fetchall(TRUTH))


@pytest.fixture
async def checks(db) -> ChecksRepo:
    users = UsersRepo(db)
    await users.touch(ASTANA)
    await users.set_region(ASTANA, "astana")
    await users.touch(ALMATY)
    return ChecksRepo(db)


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_check_keeps_the_region_its_asker_had_when_they_checked(db, checks, lang):
    text = {"kk": "Сіздің картаңыз бұғатталды, кодты айтыңыз", "ru": "Ваша карта заблокирована, назовите код"}[lang]
    first = await checks.add(ASTANA, text, "text", verdict(lang))
    await UsersRepo(db).set_region(ASTANA, "almaty")
    later = await checks.add(ASTANA, text, "picture", verdict(lang))
    unknown = await checks.add(ALMATY, text, "forward", verdict(lang))
    regions = {row[0]: row[1] for row in await db.fetchall("SELECT id, region FROM checks")}
    assert regions == {first: "astana", later: "almaty", unknown: None}


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_verdict_unlike_every_known_example_is_stored_as_novel(db, checks, lang):
    text = {"kk": "Жаңа қосымшаны орнатыңыз, сыйлық аласыз", "ru": "Установите новое приложение и получите приз"}[lang]
    novel = await checks.add(ASTANA, text, "text", verdict(lang, risk="low", scheme=None,
                                                              why=("unlike_known_examples", "no_risk_signal")))
    hedged = await checks.add(ASTANA, text, "text", verdict(lang, why=("two_schemes_close",)))
    plain = await checks.add(ASTANA, text, "text", verdict(lang))
    stored = {row[0]: row[1] for row in await db.fetchall("SELECT id, novel FROM checks")}
    assert stored == {novel: 1, hedged: 0, plain: 0}


async def test_the_counts_equal_a_group_by_over_the_checks_after_every_kind_of_check(db, checks):
    """Both languages, every risk, with and without a scheme and a region, spread over days
    around Kazakhstan's midnight (19:00 UTC), where a UTC day would count them wrong."""
    rng = random.Random(16)
    for n in range(120):
        lang = rng.choice(["kk", "ru"])
        risk = rng.choice(["high", "medium", "low", "none"])
        scheme = rng.choice(["bank_security_call", "fake_delivery", None])
        user = rng.choice([ASTANA, ALMATY])
        check_id = await checks.add(user, f"мәтін текст {n}", "text", verdict(lang, risk=risk, scheme=scheme))
        # Two days around 19:00 UTC, the minute before and after Kazakhstan's midnight.
        created = 1_764_000_000 - 1_764_000_000 % 86400 + 19 * 3600 + rng.choice([-60, 60]) + rng.choice([0, 86400])
        await db.execute("UPDATE checks SET created_at = ? WHERE id = ?", (created, check_id))
    # The trigger counted each at its real time; moving the times above is a test's liberty, so
    # the counts are rebuilt here by the migration's backfill, then new checks are stored on top.
    await recount(db)
    for n in range(60):
        await checks.add(rng.choice([ASTANA, ALMATY]), f"текст {n}", "caption",
                         verdict(rng.choice(["kk", "ru"]), risk=rng.choice(["high", "low"])))
    rollup, truth = await counted(db)
    assert rollup == truth
    assert sum(truth.values()) == 4 * 180 and len({key[0] for key in truth}) >= 3  # three days: the midnight is seen


async def test_one_statement_inserting_many_checks_counts_each_of_them(db, checks):
    """The bench's way of storing a million checks: one INSERT … SELECT (PostgreSQL counts per
    statement, SQLite per row: both must end at the same numbers)."""
    await db.execute(
        "INSERT INTO checks (user_id, source, text_redacted, text_hash, risk, scheme, scam_probability, flags,"
        " language, backend, created_at, region) "
        "SELECT ?, 'text', 'мәтін', 'h', CASE WHEN id % 3 = 0 THEN 'high' ELSE 'none' END,"
        " CASE WHEN id % 2 = 0 THEN 'fake_delivery' END, 0.5, '', CASE WHEN id % 5 = 0 THEN 'kk' ELSE 'ru' END,"
        " 'lexical', 1764000000 + id * 3600, 'astana' FROM (SELECT ? AS id"
        + "".join(f" UNION ALL SELECT {n}" for n in range(2, 201)) + ") AS numbers",
        (ASTANA, 1))
    rollup, truth = await counted(db)
    assert rollup == truth and sum(rollup.values()) == 4 * 200


async def test_forgetting_a_person_keeps_the_anonymous_counts(db, checks):
    """The counts hold nobody: /forget deletes the checks, the day's totals stay."""
    for lang in ("kk", "ru"):
        await checks.add(ASTANA, "карта бұғатталды / карта заблокирована", "text", verdict(lang))
    before, _ = await counted(db)
    await UsersRepo(db).forget(ASTANA)
    after, truth = await counted(db)
    assert after == before and truth == {} and sum(after.values()) == 4 * 2


# Two risky checks on one day and a calm one the next, stored by release 8 (no region: unknown).
V8_COUNTS = {lang: {(20416, "scheme", "", 1): 2, (20416, "region", "", 1): 2, (20416, "risk", "high", 1): 2,
                    (20416, "language", lang, 1): 2, (20417, "scheme", "", 0): 1, (20417, "region", "", 0): 1,
                    (20417, "risk", "none", 0): 1, (20417, "language", lang, 0): 1} for lang in ("kk", "ru")}


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_checks_stored_before_migration_9_are_counted_by_its_backfill(tmp_path, lang):
    path = tmp_path / "v8.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    for number, script in enumerate(MIGRATIONS[:8], start=1):
        conn.executescript(f"BEGIN;\n{script}\nPRAGMA user_version={number};\nCOMMIT;")
    conn.execute("INSERT INTO users (id, language, region, created_at, seen_at) VALUES (7, ?, 'astana', 1.0, 2.0)",
                 (lang,))
    for n, (risk, created) in enumerate([("high", 1_764_000_000.0), ("high", 1_764_000_100.0),
                                         ("none", 1_764_090_000.0)]):
        conn.execute("INSERT INTO checks (user_id, source, text_redacted, text_hash, risk, scheme, scam_probability, "
                     "flags, language, backend, created_at) VALUES (7, 'text', 'мәтін', ?, ?, NULL, 0.5, '', ?, "
                     "'lexical', ?)", (f"h{n}", risk, lang, created))
    conn.close()

    db = await Database.open(path)
    try:
        rollup, truth = await counted(db)
        # Old checks have no region (they were stored before it was kept): counted as unknown.
        assert rollup == truth == V8_COUNTS[lang]
    finally:
        await db.close()


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_checks_stored_before_migration_9_on_postgresql_are_counted_by_its_backfill(
        postgres_server, monkeypatch, lang):
    from bot.storage import postgres as postgres_module
    from tests.support.servers import fresh_database

    with fresh_database(postgres_server) as name:
        url = postgres_server.url(name)
        monkeypatch.setattr(postgres_module, "MIGRATIONS_POSTGRES", MIGRATIONS_POSTGRES[:8])
        old = await Database.open(url)
        try:
            await old.execute("INSERT INTO users (id, language, region, created_at, seen_at) "
                              "VALUES (7, ?, 'astana', 1.0, 2.0)", (lang,))
            await old.executemany(
                "INSERT INTO checks (user_id, source, text_redacted, text_hash, risk, scheme, scam_probability, "
                "flags, language, backend, created_at) VALUES (7, 'text', 'мәтін', ?, ?, NULL, 0.5, '', ?, "
                "'lexical', ?)",
                [("h0", "high", lang, 1_764_000_000.0), ("h1", "high", lang, 1_764_000_100.0),
                 ("h2", "none", lang, 1_764_090_000.0)])
        finally:
            await old.close()
        monkeypatch.setattr(postgres_module, "MIGRATIONS_POSTGRES", MIGRATIONS_POSTGRES)
        db = await Database.open(url)
        try:
            rollup, truth = await counted(db)
            assert rollup == truth == V8_COUNTS[lang]
        finally:
            await db.close()
