"""The officers' review queue and their labels, on both engines (the `db` fixture: a real SQLite
file, then a real PostgreSQL database; the query plans are SQLite's): one item per text
however many ask it, the queue's order read off its index, a label that stores the example,
empties the queue of that text, notices every asker and is audited in one statement (and
leaves nothing half-done when it fails), identifier items confirmed or cleared once, and the
exact-match lookup every check makes. Kazakh and Russian texts side by side; every number and
text here is made up."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.classifier.identifiers import find_identifiers, parse_phone
from bot.privacy.redaction import redact
from bot.storage import ChecksRepo, Database, IdentifierItem, Labelled, ReviewedExample, TextItem, UsersRepo
from bot.storage.database import STORAGE_FAULTS
from bot.storage.reports import DAY, ReportsRepo
from bot.storage.reviews import ReviewsRepo
from tests.storage.engines import columns_of, everything_stored, with_plans
from tests.storage.verdicts import verdict

OFFICER, OTHER_OFFICER = 9001, 9002
# Made-up texts: what a user might paste, one per language, each with a card number that must
# never reach the disk.
TEXTS = {
    "kk": "Құттықтаймыз! Сіз ұтыс ойынында 500 000 теңге ұттыңыз, сыйлықты алу үшін картаңыздың нөмірін "
          "жіберіңіз: 4400 4301 2345 6789",
    "ru": "Поздравляем! Вы выиграли 500 000 тенге в розыгрыше, для получения приза пришлите номер карты "
          "5169 4931 1122 3344",
}
OTHER = {
    "kk": "Сәлем, бүгін кешке анамның туған күні, торт әкелесің бе?",
    "ru": "Привет, сегодня вечером у мамы день рождения, принесёшь торт?",
}


async def asked(db: Database, user_id: int, text: str, *, lang: str = "ru", risk: str = "low",
                scheme: str | None = None) -> int:
    """``user_id`` checks ``text`` and gets a verdict; returns the stored check's id."""
    await UsersRepo(db).touch(user_id)
    return await ChecksRepo(db).add(user_id, text, "text", verdict(lang, risk=risk, scheme=scheme))


async def audit(db: Database) -> list[tuple[int, str, str]]:
    rows = await db.fetchall("SELECT actor_id, action, detail FROM audit ORDER BY id")
    return [tuple(row) for row in rows]


async def count(db: Database, table: str) -> int:
    return await db.fetchval(f"SELECT count(*) FROM {table}")


async def break_the_notices(db: Database, message: str) -> None:
    """A real fault inside any statement that inserts a notice: a trigger that raises, as a
    full disk would fail the write."""
    if db.engine == "postgresql":
        await db.execute("CREATE FUNCTION broken() RETURNS trigger LANGUAGE plpgsql AS "
                         f"$$ BEGIN RAISE EXCEPTION '{message}'; END $$")
        await db.execute("CREATE TRIGGER broken BEFORE INSERT ON notices FOR EACH ROW EXECUTE FUNCTION broken()")
    else:
        await db.execute(f"CREATE TEMP TRIGGER broken BEFORE INSERT ON main.notices BEGIN "
                         f"SELECT RAISE(ABORT, '{message}'); END")


async def mend_the_notices(db: Database) -> None:
    if db.engine == "postgresql":
        await db.execute("DROP TRIGGER broken ON notices")
        await db.execute("DROP FUNCTION broken()")
    else:
        await db.execute("DROP TRIGGER temp.broken")


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_disputed_check_is_shown_with_its_redacted_text_its_verdict_and_how_many_asked(db, lang):
    reviews = ReviewsRepo(db)
    first = await asked(db, 1, TEXTS[lang], lang=lang, risk="low")
    await asked(db, 2, TEXTS[lang], lang=lang, risk="low")
    await asked(db, 2, TEXTS[lang], lang=lang, risk="low")  # the same person twice is one asker
    disputed = await asked(db, 3, TEXTS[lang], lang=lang, risk="low")
    latest = await asked(db, 1, TEXTS[lang], lang=lang, risk="low")  # the first asker, again, last
    await asked(db, 4, OTHER[lang], lang=lang, risk="none")  # another text: not counted
    assert await reviews.next_item() is None and await reviews.pending() == 0

    await reviews.enqueue_check(disputed, "disputed")

    item = await reviews.next_item()
    assert isinstance(item, TextItem)
    assert (item.check_id, item.reason, item.risk, item.scheme, item.askers) == (disputed, "disputed", "low", None, 3)
    assert item.text_redacted == redact(TEXTS[lang]) and "[карта]" in item.text_redacted
    created = {row[0]: row[1] for row in await db.fetchall("SELECT id, created_at FROM checks")}
    assert item.asked_at == created[latest] > created[first]  # "the last time on …"
    assert await reviews.pending() == 1


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_text_is_queued_once_however_many_ask_it_and_a_dispute_upgrades_a_low_confidence_one(db, lang):
    reviews = ReviewsRepo(db)
    for user in (1, 2, 3):
        await reviews.enqueue_check(await asked(db, user, TEXTS[lang], lang=lang), "low_confidence")
    assert await reviews.pending() == 1 and (await reviews.next_item()).reason == "low_confidence"

    item = await reviews.next_item()
    assert await reviews.skip(OFFICER, item.id)
    await reviews.enqueue_check(await asked(db, 4, TEXTS[lang], lang=lang), "disputed")

    again = await reviews.next_item()
    assert (again.id, again.reason, again.askers) == (item.id, "disputed", 4)  # upgraded, back at the front
    assert await reviews.pending() == 1
    # a later low-confidence check of it changes nothing
    await reviews.enqueue_check(await asked(db, 5, TEXTS[lang], lang=lang), "low_confidence")
    assert (await reviews.next_item()).reason == "disputed" and await reviews.pending() == 1


async def test_the_queue_gives_disputes_then_reported_identifiers_then_unsure_texts_and_skipped_ones_last(db):
    reviews = ReviewsRepo(db)
    unsure_kk = await asked(db, 1, OTHER["kk"], lang="kk")
    unsure_ru = await asked(db, 2, OTHER["ru"], lang="ru")
    disputed_kk = await asked(db, 3, TEXTS["kk"], lang="kk")
    disputed_ru = await asked(db, 4, TEXTS["ru"], lang="ru")
    phone = parse_phone("+77011234567")
    for check_id, reason in ((unsure_kk, "low_confidence"), (unsure_ru, "low_confidence"),
                             (disputed_kk, "disputed"), (disputed_ru, "disputed")):
        await reviews.enqueue_check(check_id, reason)
        time.sleep(0.002)  # distinct times: "oldest first" is what is tested
    await reviews.enqueue_identifier(phone)

    seen = []
    while (item := await reviews.next_item()) is not None:  # each decision takes the item out
        if isinstance(item, TextItem):
            seen.append(item.check_id)
            await reviews.label(OFFICER, item.id, "not_fraud")
        else:
            seen.append(item.identifier.value)
            await reviews.decide_identifier(OFFICER, item.id, "confirmed")
    assert seen == [disputed_kk, disputed_ru, phone.value, unsure_kk, unsure_ru]


async def test_a_skipped_item_goes_behind_every_other_and_the_oldest_skip_comes_back_first(db):
    reviews = ReviewsRepo(db)
    disputed = await asked(db, 1, TEXTS["kk"], lang="kk")
    unsure = [await asked(db, 2, OTHER["kk"], lang="kk"), await asked(db, 3, OTHER["ru"])]
    for check_id, reason in ((disputed, "disputed"), (unsure[0], "low_confidence"), (unsure[1], "low_confidence")):
        await reviews.enqueue_check(check_id, reason)
        time.sleep(0.002)
    shown = []
    for officer in (OFFICER, OTHER_OFFICER, OFFICER, OTHER_OFFICER):
        item = await reviews.next_item()
        shown.append(item.check_id)
        assert await reviews.skip(officer, item.id)
        time.sleep(0.002)
    assert shown == [disputed, unsure[0], unsure[1], disputed]
    assert (await reviews.next_item()).check_id == unsure[0] and await reviews.pending() == 3


async def test_the_next_item_is_read_off_the_queue_index_however_long_the_queue(sqlite_db):
    """SQLite's plan, read with its trace and EXPLAIN QUERY PLAN."""
    db = sqlite_db
    reviews = ReviewsRepo(db)
    for user in range(1, 30):
        await reviews.enqueue_check(await asked(db, user, f"{OTHER['ru']} {user}"), "low_confidence")
    statements: list[str] = []
    await db.conn.set_trace_callback(statements.append)
    try:
        await reviews.next_item()
    finally:
        await db.conn.set_trace_callback(None)
    plan = ""
    for statement in statements:
        rows = await db.conn.execute_fetchall("EXPLAIN QUERY PLAN " + statement)
        plan += " | ".join(row["detail"] for row in rows) + " || "
    assert "SCAN review_items USING INDEX review_items_queue" in plan
    assert "TEMP B-TREE" not in plan  # nothing sorted
    assert "SEARCH checks USING COVERING INDEX checks_text_hash (text_hash=?)" in plan  # the askers


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_label_stores_the_example_empties_the_queue_of_that_text_notices_each_asker_and_is_audited(db, lang):
    reviews = ReviewsRepo(db)
    for user in (1, 2):
        await asked(db, user, TEXTS[lang], lang=lang, risk="medium", scheme="prize_lottery")
    await reviews.enqueue_check(await asked(db, 3, TEXTS[lang], lang=lang), "disputed")
    await reviews.enqueue_check(await asked(db, 4, OTHER[lang], lang=lang), "low_confidence")
    item = await reviews.next_item()

    labelled = await reviews.label(OFFICER, item.id, "prize_lottery")

    assert labelled == Labelled(item.text_hash, "prize_lottery", noticed=3)
    assert await reviews.reviewed_label(item.text_hash) == "prize_lottery"
    assert await reviews.reviewed_examples() == [
        ReviewedExample(redact(TEXTS[lang]), "prize_lottery", lang, pytest.approx(time.time(), abs=5))]
    assert await reviews.count_reviewed() == 1
    assert await reviews.pending() == 1 and (await reviews.next_item()).text_redacted == redact(OTHER[lang])
    notices = await db.fetchall(
        "SELECT user_id, label, sent_at FROM notices WHERE text_hash = ? ORDER BY user_id", (item.text_hash,))
    assert [tuple(row) for row in notices] == [(1, "prize_lottery", None), (2, "prize_lottery", None),
                                               (3, "prize_lottery", None)]
    assert await audit(db) == [(OFFICER, "label", f"prize_lottery:{item.text_hash[:12]}")]


async def test_a_labelled_text_is_not_queued_again_and_its_next_check_finds_the_label(db):
    reviews = ReviewsRepo(db)
    await reviews.enqueue_check(await asked(db, 1, TEXTS["ru"]), "disputed")
    item = await reviews.next_item()
    await reviews.label(OFFICER, item.id, "prize_lottery")

    again = await asked(db, 2, TEXTS["ru"])
    await reviews.enqueue_check(again, "disputed")
    await reviews.enqueue_check(again, "low_confidence")
    assert await reviews.pending() == 0
    assert await reviews.reviewed_label(item.text_hash) == "prize_lottery"
    assert await reviews.reviewed_label(item.text_hash.replace(item.text_hash[0], "x")) is None
    kk_hash = await db.fetchval(
        "SELECT text_hash FROM checks WHERE id = ?", (await asked(db, 3, TEXTS["kk"], lang="kk"),))
    assert await reviews.reviewed_label(kk_hash) is None  # the Kazakh text is another text


async def test_the_exact_match_lookup_is_one_primary_key_search(sqlite_db):
    """SQLite's plan, read with its trace and EXPLAIN QUERY PLAN."""
    db = sqlite_db
    reviews = ReviewsRepo(db)
    statements: list[str] = []
    await db.conn.set_trace_callback(statements.append)
    try:
        await reviews.reviewed_label("0" * 64)
    finally:
        await db.conn.set_trace_callback(None)
    assert len(statements) == 1
    rows = await db.conn.execute_fetchall("EXPLAIN QUERY PLAN " + statements[0])
    assert [row["detail"] for row in rows] == ["SEARCH reviewed_examples USING PRIMARY KEY (text_hash=?)"]


async def test_a_second_officer_deciding_an_item_already_labelled_gets_none_and_changes_nothing(db):
    reviews = ReviewsRepo(db)
    await reviews.enqueue_check(await asked(db, 1, TEXTS["kk"], lang="kk"), "disputed")
    item = await reviews.next_item()
    assert await reviews.label(OFFICER, item.id, "prize_lottery") is not None
    assert await reviews.label(OTHER_OFFICER, item.id, "not_fraud") is None
    assert await reviews.skip(OTHER_OFFICER, item.id) is False
    assert await reviews.decide_identifier(OTHER_OFFICER, item.id, "cleared") is None
    assert await reviews.reviewed_label(item.text_hash) == "prize_lottery"
    assert [action for _, action, _ in await audit(db)] == ["label"]


async def test_a_changed_label_renews_the_notice_of_a_user_already_told_and_the_same_label_does_not(db):
    reviews = ReviewsRepo(db)
    check = await asked(db, 1, TEXTS["ru"])
    await reviews.enqueue_check(check, "disputed")
    item = await reviews.next_item()
    await reviews.label(OFFICER, item.id, "not_fraud")
    await db.execute("UPDATE notices SET sent_at = ? WHERE user_id = 1", (time.time(),))

    # Another user disputes the same text later: labelled, so not queued; an officer relabels
    # it through a fresh item (as if it had been queued before the label).
    await db.execute("INSERT INTO review_items (check_id, reason, created_at) VALUES (?, 'disputed', 0)",
                     (await asked(db, 2, TEXTS["ru"]),))
    item = await reviews.next_item()
    relabelled = await reviews.label(OTHER_OFFICER, item.id, "prize_lottery")
    assert relabelled.noticed == 2  # user 1 is told again (the label changed), user 2 for the first time
    rows = await db.fetchall("SELECT user_id, label, sent_at FROM notices ORDER BY user_id")
    assert [tuple(row) for row in rows] == [(1, "prize_lottery", None), (2, "prize_lottery", None)]
    assert await reviews.reviewed_examples() == [ReviewedExample(redact(TEXTS["ru"]), "prize_lottery", "ru",
                                                                 pytest.approx(time.time(), abs=5))]

    await db.execute("UPDATE notices SET sent_at = ?", (time.time(),))
    await db.execute("INSERT INTO review_items (check_id, reason, created_at) VALUES (?, 'disputed', 0)",
                     (await asked(db, 3, TEXTS["ru"]),))
    item = await reviews.next_item()
    assert (await reviews.label(OFFICER, item.id, "prize_lottery")).noticed == 1  # only the new asker
    assert [a for _, a, _ in await audit(db)] == ["label", "label", "label"]


async def test_a_label_that_fails_halfway_leaves_nothing_half_done(db):
    """A real fault inside the label's statement (a trigger the test adds makes the notices'
    insert fail, as a full disk would): no example, no audit row, the item still queued."""
    reviews = ReviewsRepo(db)
    await reviews.enqueue_check(await asked(db, 1, TEXTS["kk"], lang="kk"), "disputed")
    item = await reviews.next_item()
    await break_the_notices(db, "disk full")
    with pytest.raises(STORAGE_FAULTS, match="disk full"):
        await reviews.label(OFFICER, item.id, "prize_lottery")
    await mend_the_notices(db)
    assert (await count(db, "reviewed_examples"), await count(db, "notices"), await audit(db)) == (0, 0, [])
    assert (await reviews.next_item()).id == item.id
    assert (await reviews.label(OFFICER, item.id, "prize_lottery")).noticed == 1


async def test_a_label_of_an_identifier_item_or_an_empty_label_is_refused(db):
    reviews = ReviewsRepo(db)
    await reviews.enqueue_identifier(parse_phone("+77011234567"))
    item = await reviews.next_item()
    assert await reviews.label(OFFICER, item.id, "prize_lottery") is None
    with pytest.raises(ValueError, match="cannot be empty"):
        await reviews.label(OFFICER, item.id, "")
    with pytest.raises(ValueError, match="'disputed' or 'low_confidence'"):
        await reviews.enqueue_check(1, "reported")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'confirmed' or 'cleared'"):
        await reviews.decide_identifier(OFFICER, item.id, "maybe")  # type: ignore[arg-type]
    assert await reviews.pending() == 1 and await audit(db) == []


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_reported_identifier_is_queued_once_with_the_crowds_standing_and_shown_masked(db, lang):
    reports = ReportsRepo(db, min_reporters=2, min_account_age_days=0)
    reviews = ReviewsRepo(db, reports=reports)
    text = {"kk": "Ақшаны мына нөмірге аударыңыз: 8 701 123 45 67", "ru": "Переведите деньги на номер 8 701 123 45 67"}
    [phone] = find_identifiers(text[lang])
    for user in (1, 2, 3):
        await UsersRepo(db).touch(user)
        await reports.report(user, [phone], "almaty_city")
        await reviews.enqueue_identifier(phone)

    item = await reviews.next_item()
    assert isinstance(item, IdentifierItem) and await reviews.pending() == 1
    assert item.identifier == phone and item.identifier.shown == phone.shown and "•" in item.identifier.shown
    assert (item.standing.reporters, item.standing.past_threshold, item.standing.review) == (3, True, None)


@pytest.mark.parametrize("written", [
    "+7 701 123 45 67", "4400 4301 2345 6789", "KZ86 125K ZT50 0410 0100", "kaspi-bonus.kz", "@kaspi_help_desk",
    "https://instagram.com/kaspi.bonus.kz",
])
async def test_every_kind_of_queued_identifier_comes_back_as_the_detector_made_it(db, written):
    [ident] = find_identifiers(written)
    reviews = ReviewsRepo(db)
    await reviews.enqueue_identifier(ident)
    item = await reviews.next_item()
    assert (item.identifier, item.identifier.shown) == (ident, ident.shown)


async def test_deciding_an_identifier_item_reviews_it_once_audits_it_and_takes_it_out_of_the_queue(db):
    reviews = ReviewsRepo(db)
    phone, site = parse_phone("+77011234567"), find_identifiers("kaspi-bonus.kz")[0]
    await reviews.enqueue_identifier(phone)
    await reviews.enqueue_identifier(site)
    first = await reviews.next_item()
    assert await reviews.decide_identifier(OFFICER, first.id, "confirmed") == phone
    assert await reviews.decide_identifier(OTHER_OFFICER, first.id, "cleared") is None  # gone: no second decision
    second = await reviews.next_item()
    assert await reviews.skip(OFFICER, second.id)
    assert await reviews.decide_identifier(OTHER_OFFICER, second.id, "cleared") == site
    assert await reviews.next_item() is None

    standings = await reviews.reports.reputation([phone, site])
    assert [(s.review, s.reviewed_by) for s in standings] == [("confirmed", OFFICER), ("cleared", OTHER_OFFICER)]
    assert await audit(db) == [
        (OFFICER, "identifier_confirmed", f"phone:{phone.value}"),
        (OFFICER, "review_skip", f"domain:{site.value}"),
        (OTHER_OFFICER, "identifier_cleared", f"domain:{site.value}"),
    ]
    await reviews.enqueue_identifier(phone)  # reviewed: not queued again
    assert await reviews.pending() == 0


async def test_a_review_made_outside_the_queue_also_takes_the_identifier_out_of_it(db):
    reviews = ReviewsRepo(db)
    phone = parse_phone("+77011234567")
    await reviews.enqueue_identifier(phone)
    await reviews.reports.clear(OFFICER, phone)
    assert await reviews.pending() == 0


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_skip_of_a_text_is_audited_by_the_texts_hash_and_never_its_words(db, lang):
    reviews = ReviewsRepo(db)
    await reviews.enqueue_check(await asked(db, 1, TEXTS[lang], lang=lang), "low_confidence")
    item = await reviews.next_item()
    assert await reviews.skip(OFFICER, item.id)
    assert await reviews.skip(OTHER_OFFICER, item.id)
    assert await audit(db) == [(OFFICER, "review_skip", f"text:{item.text_hash[:12]}"),
                               (OTHER_OFFICER, "review_skip", f"text:{item.text_hash[:12]}")]
    assert await reviews.skip(OFFICER, item.id + 100) is False


async def test_reviewed_examples_come_oldest_first_redacted_and_never_name_who_asked(db, on_disk):
    reviews = ReviewsRepo(db)
    for user, lang in ((1, "kk"), (2, "ru")):
        await reviews.enqueue_check(await asked(db, user, TEXTS[lang], lang=lang), "disputed")
        item = await reviews.next_item()
        await reviews.label(OFFICER, item.id, "prize_lottery")
        time.sleep(0.002)
    examples = await reviews.reviewed_examples()
    assert [(e.text, e.language) for e in examples] == [(redact(TEXTS["kk"]), "kk"), (redact(TEXTS["ru"]), "ru")]
    assert examples[0].decided_at < examples[1].decided_at and await reviews.count_reviewed() == 2
    stored = set(await columns_of(db, "reviewed_examples"))
    assert "text_redacted" in stored and "user_id" not in stored and "check_id" not in stored
    assert "[карта]" in await everything_stored(db)
    assert "4400 4301 2345 6789" not in await everything_stored(db)
    assert "5169 4931 1122 3344" not in await everything_stored(db)
    if db.engine == "sqlite":  # and not in the bytes of SQLite's file and WAL either
        assert b"4400 4301 2345 6789" not in on_disk() and b"5169 4931 1122 3344" not in on_disk()


async def test_forget_keeps_a_text_others_asked_in_the_queue_and_drops_one_only_the_user_asked(db):
    reviews = ReviewsRepo(db)
    users = UsersRepo(db)
    mine = await asked(db, 1, TEXTS["kk"], lang="kk")
    await reviews.enqueue_check(mine, "disputed")
    await asked(db, 2, TEXTS["kk"], lang="kk")  # Ivan asked it too, later
    await reviews.enqueue_check(await asked(db, 1, OTHER["ru"]), "low_confidence")  # only Asel asked this
    assert await reviews.pending() == 2

    await users.forget(1)

    item = await reviews.next_item()
    assert await reviews.pending() == 1
    assert (item.text_redacted, item.reason, item.askers) == (redact(TEXTS["kk"]), "disputed", 1)
    assert item.check_id != mine
    labelled = await reviews.label(OFFICER, item.id, "prize_lottery")
    assert labelled.noticed == 1  # Ivan only


async def test_the_crowd_rule_of_the_queue_is_the_one_it_was_given(db):
    reports = ReportsRepo(db, min_reporters=1, min_account_age_days=30)
    reviews = ReviewsRepo(db, reports=reports)
    phone = parse_phone("+77011234567")
    await UsersRepo(db).touch(1)
    await db.execute("UPDATE users SET created_at = ? WHERE id = 1", (time.time() - 40 * DAY,))
    await reports.report(1, [phone], None)
    await reviews.enqueue_identifier(phone)
    item = await reviews.next_item()
    assert (item.standing.seasoned_reporters, item.standing.past_threshold) == (1, True)
    assert ReviewsRepo(db).reports.min_reporters == 3  # the default rule when none is given


async def test_the_repositories_share_one_crowd_rule_between_the_answers_and_the_queue(db):
    from bot.storage import Repositories

    repos = Repositories.of(db, superadmins=frozenset(), conversation_ttl=60.0)
    assert repos.reviews.reports is repos.reports
    assert (repos.reports.min_reporters, repos.reports.min_account_age) == (3, 7 * DAY)  # ReportsRepo's defaults
    await repos.reviews.enqueue_check(await asked(db, 1, TEXTS["kk"], lang="kk"), "disputed")
    item = await repos.reviews.next_item()
    await repos.reviews.label(OFFICER, item.id, "prize_lottery")
    assert [n.user_id for n in await repos.notices.due(time.time(), limit=5)] == [1]



async def test_the_next_item_on_postgresql_is_read_off_the_queue_index_however_long_the_queue(postgres_url):
    """PostgreSQL's plan of `next_item` over a queue of 20,000 identifiers, a third of them
    skipped (analysed, so its planner could choose to sort them all instead): the first in
    the queue's order is read off `review_items_queue`. The statement is the one the
    repository ran, recorded on its way to the server."""
    db = await Database.open(postgres_url)
    try:
        await db.execute(
            "INSERT INTO review_items (kind, value, reason, created_at, skipped_at, skipped_by) "
            "SELECT 'card', '4400' || lpad(g::text, 12, '0'), 'reported', g, CASE WHEN g % 3 = 0 THEN g END, "
            "CASE WHEN g % 3 = 0 THEN CAST(? AS BIGINT) END FROM generate_series(1, 20000) AS g", (OFFICER,))
        await db.execute("ANALYZE review_items")
        item, plans = await with_plans(db, "fetchone", ReviewsRepo(db).next_item())
        assert isinstance(item, IdentifierItem)
        assert item.identifier.value == "4400000000000001"  # the oldest of those not skipped
        plan = plans[0]
        assert "Index Scan using review_items_queue on review_items" in plan, plan
        assert "Sort" not in plan and "Seq Scan on review_items" not in plan, plan
    finally:
        await db.close()


async def test_two_officers_deciding_one_item_at_once_one_decision_is_taken_and_the_other_told_it_is_gone(db):
    """Two officers on two replicas press a button on the same item in the same moment, ten
    times over (PostgreSQL runs the two statements at once: without the item's lock both labels
    were taken, the second written over the first, 19 times in 20): one decision is taken, the
    other officer gets None, and the audit has the one decision."""
    reviews = ReviewsRepo(db)
    for round_ in range(10):
        lang = "kk" if round_ % 2 else "ru"
        await reviews.enqueue_check(await asked(db, 1, f"{'абвгдежзик'[round_]}) {TEXTS[lang]}", lang=lang), "disputed")
        item = await reviews.next_item()
        first, second = await asyncio.gather(reviews.label(OFFICER, item.id, "prize_lottery"),
                                             reviews.label(OTHER_OFFICER, item.id, "not_fraud"))
        assert (first is None) != (second is None), (round_, first, second)
        taken = first or second
        assert await reviews.reviewed_label(item.text_hash) == taken.label and taken.noticed == 1

        phone = parse_phone(f"+7701123450{round_}")
        await reviews.enqueue_identifier(phone)
        item = await reviews.next_item()
        decided = await asyncio.gather(reviews.decide_identifier(OFFICER, item.id, "confirmed"),
                                       reviews.decide_identifier(OTHER_OFFICER, item.id, "cleared"))
        assert sorted(d is None for d in decided) == [False, True] and phone in decided, (round_, decided)
    actions = [action for _, action, _ in await audit(db)]
    assert actions.count("label") == 10
    assert actions.count("identifier_confirmed") + actions.count("identifier_cleared") == 10
    assert await reviews.pending() == 0


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_text_checked_by_many_at_once_is_one_item_disputed_if_anyone_disputed_it(db, lang):
    """A scam wave: twelve people's checks of one text enqueued at the same moment, one of them
    a dispute, three rounds (PostgreSQL runs the inserts side by side, each seeing no item yet:
    without the check after the insert, 17 rounds in 40 left two items for one text)."""
    reviews = ReviewsRepo(db)
    for round_ in range(3):
        text = f"{'абв'[round_]}) {TEXTS[lang]}"
        checks = [await asked(db, user, text, lang=lang) for user in range(1, 13)]
        await asyncio.gather(*(reviews.enqueue_check(check, "disputed" if number == 7 else "low_confidence")
                               for number, check in enumerate(checks)))
        assert await reviews.pending() == 1, round_
        item = await reviews.next_item()
        assert (item.reason, item.askers, item.text_redacted) == ("disputed", 12, redact(text))
        await reviews.label(OFFICER, item.id, "prize_lottery")
