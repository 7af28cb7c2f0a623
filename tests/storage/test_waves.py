"""The waves repository: the detector's candidates are the recent risky or novel checks, a
cluster met again updates its wave instead of announcing a second one, officers are told of a
wave once across replicas, and /forget leaves nothing of a person in the waves' tables. Both
engines (the `db` fixture); Kazakh and Russian side by side."""

from __future__ import annotations

import asyncio

import pytest

from bot.privacy.redaction import redact
from bot.storage import ChecksRepo, UsersRepo
from bot.storage.database import Database
from bot.storage.waves import STORING, WaveDraft, WavesRepo
from tests.storage.engines import another_replica, everything_stored, integrity_errors, with_plans
from tests.storage.verdicts import verdict

NOW = 1_764_000_000.0
HOUR = 3600.0
# A scheme the knowledge base does not know, as people in two languages forwarded it.
WAVE_TEXT = {
    "kk": "Құрметті клиент! Сіздің атыңызға жаңа мемлекеттік төлем бекітілді, алу үшін сілтемеге өтіңіз",
    "ru": "Уважаемый клиент! На ваше имя назначена новая государственная выплата, перейдите по ссылке",
}
ORDINARY = {"kk": "Ертең сағат онда кездесеміз ба?", "ru": "Завтра встречаемся в десять?"}


async def stored_checks(db: Database, lang: str, users: list[int], *, region: str = "astana") -> list[int]:
    """One check of the wave's text per user, an hour apart from NOW back."""
    people, checks = UsersRepo(db), ChecksRepo(db)
    ids = []
    for n, user in enumerate(users):
        await people.touch(user)
        await people.set_region(user, region)
        check_id = await checks.add(user, WAVE_TEXT[lang], "forward", verdict(lang, risk="medium", scheme=None,
                                                                              why=("unlike_known_examples",)))
        await db.execute("UPDATE checks SET created_at = ? WHERE id = ?", (NOW - n * 60, check_id))
        ids.append(check_id)
    return ids


def draft(lang: str, users: int, *, regions=("astana",), per_hour: float = 3.0, last_seen: float = NOW) -> WaveDraft:
    return WaveDraft(redact(WAVE_TEXT[lang]), None, users, users, list(regions), [lang], NOW - HOUR, last_seen,
                     per_hour)


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_the_candidates_are_the_recent_risky_or_novel_checks_oldest_first(db, lang):
    people, checks = UsersRepo(db), ChecksRepo(db)
    await people.touch(1)
    await people.set_region(1, "shymkent")
    risky = await checks.add(1, WAVE_TEXT[lang], "text", verdict(lang, risk="high"))
    novel = await checks.add(1, WAVE_TEXT[lang], "text", verdict(lang, risk="low", scheme=None,
                                                                 why=("unlike_known_examples",)))
    calm = await checks.add(1, ORDINARY[lang], "text", verdict(lang, risk="none", scheme=None))
    old = await checks.add(1, WAVE_TEXT[lang], "text", verdict(lang, risk="high"))
    for check_id, at in ((risky, NOW - 10), (novel, NOW - 20), (calm, NOW - 5), (old, NOW - 2 * 86400)):
        await db.execute("UPDATE checks SET created_at = ? WHERE id = ?", (at, check_id))

    found = await WavesRepo(db).candidates(NOW - 86400)
    assert [c.id for c in found] == [novel, risky]
    assert [(c.novel, c.risk, c.region, c.language, c.user_id) for c in found] == [
        (True, "low", "shymkent", lang, 1), (False, "high", "shymkent", lang, 1)]
    assert found[0].text_redacted == redact(WAVE_TEXT[lang]) and len(found[0].text_hash) == 64


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_cluster_met_again_updates_its_wave_instead_of_making_a_second(db, lang):
    waves = WavesRepo(db)
    members = await stored_checks(db, lang, [11, 12, 13, 14, 15, 16, 17])
    wave_id, is_new = await waves.upsert(draft(lang, 5), members[:5], NOW)
    assert is_new
    again, is_new = await waves.upsert(draft(lang, 7, regions=("astana", "almaty"), per_hour=6.0), members, NOW + 300)
    assert (again, is_new) == (wave_id, False)

    wave = await waves.find(wave_id)
    assert (wave.users, wave.checks, wave.regions, wave.languages, wave.per_hour) == (7, 7, ("astana", "almaty"),
                                                                                     (lang,), 6.0)
    assert (wave.status, wave.detected_at, wave.updated_at, wave.reported_at) == ("open", NOW, NOW + 300, None)
    assert wave.representative == redact(WAVE_TEXT[lang])
    assert sorted(m.check_id for m in await waves.members(wave_id, limit=50)) == sorted(members)
    assert await waves.member_regions(wave_id) == [("astana", 7)]
    assert await waves.count_open() == 1


async def test_two_replicas_storing_one_new_wave_at_once_store_it_once(db):
    """Each replica has its own connection (pool) to the same database and finds the same
    cluster at the same moment: one wave, one of them is told it is new."""
    members = await stored_checks(db, "ru", [21, 22, 23, 24, 25])
    async with another_replica(db) as other:
        results = await asyncio.gather(WavesRepo(db).upsert(draft("ru", 5), members, NOW),
                                       WavesRepo(other).upsert(draft("ru", 5), members, NOW))
    assert len({wave_id for wave_id, _ in results}) == 1
    assert sorted(is_new for _, is_new in results) == [False, True]
    assert await db.fetchval("SELECT count(*) FROM waves") == 1


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_two_replicas_storing_one_wave_whose_clusters_begin_at_different_checks_store_it_once(db, lang):
    """One replica's cluster lacks the earliest check (it read a moment later, or grouped it
    apart), so the two have different keys: storing takes turns, and the second finds the
    first's wave by the checks they share."""
    checks = await stored_checks(db, lang, [71, 72, 73, 74, 75, 76])
    async with another_replica(db) as other:
        results = await asyncio.gather(WavesRepo(db).upsert(draft(lang, 5), checks[:5], NOW),
                                       WavesRepo(other).upsert(draft(lang, 5), checks[1:], NOW))
    assert len({wave_id for wave_id, _ in results}) == 1
    assert sorted(is_new for _, is_new in results) == [False, True]
    assert await db.fetchval("SELECT count(*) FROM waves") == 1
    assert sorted(m.check_id for m in await WavesRepo(db).members(results[0][0], limit=50)) == sorted(checks)


async def test_statements_taken_in_turn_are_undone_together_when_one_fails(db):
    """`Database.in_turn`, which the wave's storing runs in: all or nothing, and the lock is
    free again afterwards (the next turn is taken at once)."""
    with pytest.raises(integrity_errors(db)):
        async with db.in_turn(STORING) as tx:
            await tx.execute("INSERT INTO wave_watchers (user_id, since) VALUES (81, 1.0)")
            await tx.execute("INSERT INTO wave_watchers (user_id, since) VALUES (81, 2.0)")  # the same officer
    assert await WavesRepo(db).watchers() == []
    async with db.in_turn(STORING) as tx:
        await tx.execute("INSERT INTO wave_watchers (user_id, since) VALUES (81, 3.0)")
    async with another_replica(db) as other, other.in_turn(STORING) as tx:
        assert await tx.fetchval("SELECT since FROM wave_watchers WHERE user_id = 81") == 3.0


async def test_officers_are_told_of_a_wave_once_however_many_callers_claim_it(db):
    members = await stored_checks(db, "kk", [31, 32, 33, 34, 35])
    wave_id, _ = await WavesRepo(db).upsert(draft("kk", 5), members, NOW)
    async with another_replica(db) as other:
        claims = await asyncio.gather(*(WavesRepo(database).claim_report(wave_id, NOW + n)
                                        for n, database in enumerate([db, other] * 4)))
    assert sorted(claims) == [False] * 7 + [True]
    assert (await WavesRepo(db).find(wave_id)).reported_at is not None
    assert await WavesRepo(db).claim_report(wave_id, NOW + 60) is False


async def test_a_claim_given_back_when_nobody_could_be_told_is_claimed_again_once(db):
    waves = WavesRepo(db)
    members = await stored_checks(db, "ru", [36, 37, 38, 39, 40])
    wave_id, _ = await waves.upsert(draft("ru", 5), members, NOW)
    assert await waves.claim_report(wave_id, NOW)
    await waves.release_report(wave_id)  # Telegram was unreachable: nobody heard of it
    assert (await waves.find(wave_id)).reported_at is None
    async with another_replica(db) as other:
        claims = await asyncio.gather(waves.claim_report(wave_id, NOW + 60), WavesRepo(other).claim_report(wave_id,
                                                                                                           NOW + 60))
    assert sorted(claims) == [False, True]


async def test_officers_opt_in_and_out_of_being_told(db):
    waves = WavesRepo(db)
    assert await waves.watch(501, True, now=1.0) and await waves.watch(502, True, now=2.0)
    assert not await waves.watch(501, True, now=3.0)  # already watching: nothing changes
    assert await waves.watchers() == [501, 502]
    assert await waves.watch(501, False) and not await waves.watch(501, False)
    assert await waves.watchers() == [502]


async def test_the_audience_is_each_watcher_with_the_language_they_chose(db):
    """Each officer is told in their language (kk or ru); one who never chose is told in both
    (None), and a watcher the bot has no record of is still told."""
    waves, users = WavesRepo(db), UsersRepo(db)
    for officer, lang in ((601, "kk"), (602, "ru"), (603, None)):
        await users.touch(officer)
        if lang is not None:
            await users.set_language(officer, lang)
    for since, officer in enumerate((601, 602, 603, 604)):
        await waves.watch(officer, True, now=float(since))
    assert await waves.audience() == [(601, "kk"), (602, "ru"), (603, None), (604, None)]


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_wave_becomes_a_draft_can_be_dismissed_and_a_quiet_one_closes(db, lang):
    waves = WavesRepo(db)
    first = await stored_checks(db, lang, [41, 42, 43, 44, 45])
    second = await stored_checks(db, lang, [46, 47, 48, 49, 50])
    drafted, _ = await waves.upsert(draft(lang, 5, last_seen=NOW - 2 * 86400), first, NOW)
    quiet, _ = await waves.upsert(draft(lang, 5, last_seen=NOW - 2 * 86400), second, NOW)
    await db.execute("INSERT INTO broadcasts (id, author_id, text_kk, text_ru, regions, status, created_at) "
                     "VALUES (7, 1, 'Абай болыңыз', 'Будьте бдительны', 'national', 'draft', 0)")
    assert await waves.set_broadcast(drafted, 7)
    assert not await waves.set_broadcast(drafted, 8)  # over a draft the caller did not see: refused
    assert (await waves.find(drafted)).status == "drafted" and (await waves.find(drafted)).broadcast_id == 7
    assert [w.id for w in await waves.open_waves()] == [quiet]
    assert await waves.close_quiet(NOW - 86400) == 2
    assert {(await waves.find(w)).status for w in (drafted, quiet)} == {"closed"}
    assert await waves.set_status(quiet, "dismissed") and await waves.close_quiet(NOW) == 0
    assert [w.id for w in await waves.recent()] == [quiet, drafted]
    with pytest.raises(ValueError, match="use one of open, drafted, dismissed, closed"):
        await waves.set_status(quiet, "gone")  # type: ignore[arg-type]


async def test_forget_leaves_nothing_of_the_person_in_the_waves_tables(db):
    """The face of a wave was the forgotten person's text: another member's text shows it now;
    their membership, their opt-in, their sessions go; a wave of theirs alone keeps no text."""
    waves = WavesRepo(db)
    kk = await stored_checks(db, "kk", [61])
    ru = await stored_checks(db, "ru", [62, 63])
    shared, _ = await waves.upsert(draft("kk", 3), kk + ru, NOW)  # the Kazakh text (user 61's) is its face
    alone, _ = await waves.upsert(draft("kk", 1), [await ChecksRepo(db).add(61, WAVE_TEXT["kk"] + " 2", "text",
                                                                            verdict("kk"))], NOW)
    await waves.watch(61, True)
    from bot.storage.panel import PanelRepo
    await PanelRepo(db).open_session("h61", 61, "officer", "c", NOW, 600)
    assert redact(WAVE_TEXT["kk"]) in await everything_stored(db)

    await UsersRepo(db).forget(61)

    assert (await waves.find(shared)).representative == redact(WAVE_TEXT["ru"])
    assert (await waves.find(alone)).representative == ""
    assert sorted(m.check_id for m in await waves.members(shared)) == sorted(ru)
    assert await waves.members(alone) == [] and await waves.watchers() == []
    assert await PanelRepo(db).session("h61", NOW) is None
    stored = await everything_stored(db)
    assert redact(WAVE_TEXT["kk"]) not in stored and redact(WAVE_TEXT["ru"]) in stored


async def test_the_candidates_are_read_off_their_partial_index(db):
    """The detector's read every few minutes over a day of checks among months of them: the
    partial index `checks_recent_candidates`, never a scan of the checks (PostgreSQL's EXPLAIN;
    SQLite's EXPLAIN QUERY PLAN of the very statement the repository ran)."""
    await UsersRepo(db).touch(1)
    numbers = ("generate_series(1, 50000) AS n" if db.engine == "postgresql" else
               "(WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < 50000) SELECT n FROM k)")
    await db.execute(
        "INSERT INTO checks (user_id, source, text_redacted, text_hash, risk, scheme, scam_probability, flags,"
        " language, backend, created_at) SELECT 1, 'text', 'мәтін', 'h', CASE WHEN n % 10 = 0 THEN 'high' ELSE"
        f" 'none' END, NULL, 0.5, '', 'ru', 'lexical', ? - n * 60.0 FROM {numbers}", (NOW,))
    await db.execute("ANALYZE checks" if db.engine == "postgresql" else "ANALYZE")
    if db.engine == "postgresql":
        found, [plan] = await with_plans(db, "fetchall", WavesRepo(db).candidates(NOW - 86400))
        assert "checks_recent_candidates" in plan and "Seq Scan" not in plan, plan
    else:
        ran: list[tuple] = []
        original = db.fetchall

        async def recorded(sql, args=()):
            ran.append((sql, tuple(args)))
            return await original(sql, args)

        db.fetchall = recorded  # type: ignore[method-assign]
        try:
            found = await WavesRepo(db).candidates(NOW - 86400)
        finally:
            del db.fetchall
        [(sql, args)] = ran
        plan = " ".join(row[3] for row in await db.fetchall("EXPLAIN QUERY PLAN " + sql, args))
        assert "USING INDEX checks_recent_candidates" in plan, plan
    assert len(found) == 144  # one in ten of the day's 1440
