"""The users repository: a user is created on first contact with nothing but an id, keeps the
language and region they chose, and /forget takes everything about them out of every table
and out of the bytes on disk. Each test runs on a real SQLite file and on a real PostgreSQL
database (the `db` fixture), except the one about SQLite's own file; Kazakh and Russian side by
side."""

from __future__ import annotations

import time

import pytest

from bot.classifier import Verdict
from bot.classifier.identifiers import parse_phone
from bot.privacy.redaction import redact
from bot.storage import ChecksRepo, ConversationRepo, Database, UserRecord, UsersRepo, VerdictNote
from bot.storage.reports import ReportsRepo
from bot.storage.reviews import ReviewsRepo
from bot.storage.roles import RolesRepo
from bot.storage.panel import PanelRepo
from bot.storage.subscriptions import SubscriptionsRepo
from bot.storage.waves import WaveDraft, WavesRepo
from tests.storage.engines import everything_stored, refused, tables_referring_to
from tests.storage.verdicts import verdict

ASEL, IVAN = 8101, 8102  # the one who asks to be forgotten, and someone who stays

TEXTS = {
    "kk": "Анам ауруханада жатыр, шұғыл түрде 50 000 теңге аудара аласың ба? Картам 4400 4301 2345 6789",
    "ru": "Мама в больнице, срочно переведи 50 000 тенге, вот моя карта 5169 4931 1122 3344",
}
# A police prevention post both users checked; an officer labels it, and each is to be told.
SHARED = "Полиция ескертеді: SMS-кодты ешкімге айтпаңыз. Полиция предупреждает: никому не называйте код из SMS."
OFFICER = 9001
# What each typed where only officers may type: a refused command and a rejection's reason.
REFUSED = {"kk": "/grant мен мұнда әкімшімін", "ru": "/grant я здесь администратор"}
REASONS = {"kk": "мәтін тым ұзын, қысқартыңыз", "ru": "текст слишком длинный, сократите"}
LANG_OF = {ASEL: "kk", IVAN: "ru"}


async def seen_at(db: Database, user_id: int) -> tuple[float, float, float | None]:
    return tuple(await db.fetchone("SELECT created_at, seen_at, blocked_at FROM users WHERE id = ?", (user_id,)))


async def test_first_contact_creates_a_user_with_nothing_but_the_id(db):
    record = await UsersRepo(db).touch(ASEL)
    assert record == UserRecord(id=ASEL, language=None, region=None, subscribed=False)
    assert await db.fetchval("SELECT count(*) FROM users") == 1


@pytest.mark.parametrize(("user", "lang", "region"), [(ASEL, "kk", "almaty_city"), (IVAN, "ru", "karaganda")])
async def test_a_returning_user_keeps_the_language_and_region_they_chose(db, user, lang, region):
    users = UsersRepo(db)
    await users.touch(user)
    await users.set_language(user, lang)
    await users.set_region(user, region)
    assert await users.touch(user) == UserRecord(id=user, language=lang, region=region, subscribed=False)
    await users.set_region(user, None)
    assert (await users.touch(user)).region is None


async def test_each_contact_moves_seen_on_and_clears_a_block_but_not_the_first_contact(db):
    users = UsersRepo(db)
    await users.touch(ASEL)
    created, first_seen, _ = await seen_at(db, ASEL)
    await db.execute("UPDATE users SET blocked_at = ? WHERE id = ?", (first_seen, ASEL))  # as a 403 sets it
    time.sleep(0.01)
    await users.touch(ASEL)
    assert await seen_at(db, ASEL) == (created, pytest.approx(time.time(), abs=5), None)
    assert (await seen_at(db, ASEL))[1] > first_seen


async def test_a_language_the_bot_does_not_speak_is_refused_by_the_schema(db):
    users = UsersRepo(db)
    await users.touch(IVAN)
    with refused(db, "check"):
        await users.set_language(IVAN, "en")  # type: ignore[arg-type]
    assert (await users.touch(IVAN)).language is None


async def everything_about(db: Database, user_id: int) -> dict[str, int]:
    """Rows that name this user, table by table (the audit by what the user typed)."""
    queries = {
        "users": "SELECT count(*) FROM users WHERE id = ?",
        "checks": "SELECT count(*) FROM checks WHERE user_id = ?",
        "feedback": "SELECT count(*) FROM feedback JOIN checks ON checks.id = check_id WHERE user_id = ?",
        "subscriptions": "SELECT count(*) FROM subscriptions WHERE user_id = ?",
        "conversations": "SELECT count(*) FROM conversations WHERE user_id = ?",
        "deliveries": "SELECT count(*) FROM deliveries WHERE user_id = ?",
        "reports": "SELECT count(*) FROM reports WHERE user_id = ?",
        "notices": "SELECT count(*) FROM notices WHERE user_id = ?",
        "review_items": "SELECT count(*) FROM review_items JOIN checks ON checks.id = check_id WHERE user_id = ?",
        "wave_members": "SELECT count(*) FROM wave_members JOIN checks ON checks.id = check_id WHERE user_id = ?",
        "wave_watchers": "SELECT count(*) FROM wave_watchers WHERE user_id = ?",
        "panel_sessions": "SELECT count(*) FROM panel_sessions WHERE user_id = ?",
        "panel_links": "SELECT count(*) FROM panel_links WHERE user_id = ?",
        "typed in the audit": "SELECT count(*) FROM audit WHERE actor_id = ? AND ("
                              "(action = 'denied' AND detail != '') OR (action = 'reject' AND detail LIKE '%:%'))",
    }
    counts = {}
    for table, sql in queries.items():
        counts[table] = await db.fetchval(sql, (user_id,))
    return counts


async def test_every_table_that_refers_to_a_user_is_among_those_forget_is_checked_on(db):
    """A new table with a user's rows (by a foreign key to users, or to their checks) must be
    added to `everything_about`, and /forget must delete its rows."""
    checked = set(await everything_about(db, 0)) - {"typed in the audit"}
    referring = await tables_referring_to(db, "users") | await tables_referring_to(db, "checks")
    # The officers' tables of issue 16 name a user without a foreign key: /forget deletes them by name.
    assert referring | {"users", "wave_watchers", "panel_sessions", "panel_links"} == checked


async def live_a_little(db: Database, user_id: int, verdict: Verdict) -> None:
    """What a user leaves behind: a check with feedback (disputed: in the review queue),
    subscriptions, the conversation's memory, an alert delivered, a fraudster's number
    reported, a check of the shared text, refused admin commands and a rejection they wrote;
    as an officer: a wave their check is the face of, their opt-in to waves, a sign-in link
    used and a dashboard session."""
    users, checks = UsersRepo(db), ChecksRepo(db)
    await users.touch(user_id)
    await users.set_language(user_id, LANG_OF[user_id])
    check_id = await checks.add(user_id, TEXTS[LANG_OF[user_id]], "text", verdict)
    await checks.add_feedback(check_id, user_id, "paid")
    await SubscriptionsRepo(db).subscribe(user_id, {"almaty_city"})
    await ConversationRepo(db, ttl=1800).remember(user_id, "message", verdict=VerdictNote(
        "relative_emergency", "high", "scam", "messenger"))
    await db.execute(
        "INSERT INTO broadcasts (id, author_id, text_kk, text_ru, regions, status, created_at) "
        "VALUES (1, 1, 'Абай болыңыз', 'Будьте бдительны', 'national', 'done', 0) ON CONFLICT DO NOTHING")
    await db.execute("INSERT INTO deliveries (broadcast_id, user_id, language, status) VALUES (1, ?, ?, 'sent')",
                     (user_id, LANG_OF[user_id]))
    await ReportsRepo(db).report(user_id, [parse_phone("+77011234567")], "almaty_city")
    await ReviewsRepo(db).enqueue_check(check_id, "disputed")  # their own text waits for an officer
    await ReviewsRepo(db).enqueue_check(await checks.add(user_id, SHARED, "forward", verdict), "low_confidence")
    roles = RolesRepo(db, frozenset())
    await roles.audit(user_id, "denied", REFUSED[LANG_OF[user_id]])
    await roles.audit(user_id, "reject", f"broadcast 1: {REASONS[LANG_OF[user_id]]}")
    await roles.audit(user_id, "submit", "broadcast 1")
    waves = WavesRepo(db)
    now = time.time()
    await waves.upsert(WaveDraft(redact(TEXTS[LANG_OF[user_id]]), "relative_emergency", 1, 1, ["almaty_city"],
                                 [LANG_OF[user_id]], now, now, 1.0), [check_id], now)
    await waves.watch(user_id, True)
    await PanelRepo(db).use_link(f"nonce-{user_id}", user_id, now)
    await PanelRepo(db).open_session(f"session-{user_id}", user_id, "officer", f"csrf-{user_id}", now, 3600)


async def officer_labels_the_shared_text(db: Database) -> None:
    """Both users checked SHARED: the label gives each a pending notice."""
    reviews = ReviewsRepo(db)
    item = await reviews.next_item()
    while item is not None and item.text_redacted != redact(SHARED):
        await reviews.skip(OFFICER, item.id)
        item = await reviews.next_item()
    assert item is not None and (await reviews.label(OFFICER, item.id, "fraud_warning")).noticed == 2


async def test_forget_deletes_everything_about_the_user_in_every_table_and_nothing_of_others(db):
    for user in (ASEL, IVAN):
        await live_a_little(db, user, verdict(LANG_OF[user], scheme="relative_emergency"))
    await officer_labels_the_shared_text(db)
    before = await everything_about(db, IVAN)
    assert set(before.values()) == {1, 2} and before["typed in the audit"] == 2

    await UsersRepo(db).forget(ASEL)

    assert await everything_about(db, ASEL) == dict.fromkeys(before, 0)
    assert await everything_about(db, IVAN) == before
    # that the actions happened is kept; what the user typed is not
    assert [tuple(row) for row in await db.fetchall(
        "SELECT action, detail FROM audit WHERE actor_id = ? ORDER BY id", (ASEL,))] == [
        ("denied", ""), ("reject", "broadcast 1"), ("submit", "broadcast 1")]


async def test_after_forget_the_users_words_are_in_no_row_of_any_table_and_the_others_stay(db):
    for user in (ASEL, IVAN):
        await live_a_little(db, user, verdict(LANG_OF[user], scheme="relative_emergency"))
    await officer_labels_the_shared_text(db)
    forgotten, kept = ((redact(TEXTS[lang]), REFUSED[lang], REASONS[lang]) for lang in ("kk", "ru"))
    stored = await everything_stored(db)
    assert all(words in stored for words in forgotten + kept)  # the search sees them while stored

    await UsersRepo(db).forget(ASEL)

    stored = await everything_stored(db)
    assert [words for words in forgotten if words in stored] == []
    assert all(words in stored for words in kept)


async def test_after_forget_the_users_words_are_in_neither_the_file_nor_the_wal(sqlite_db, on_disk):
    """SQLite only: its file and WAL keep no older copy of the deleted rows (secure_delete and
    the checkpoint /forget ends with). PostgreSQL's pages are the server's; the rows are read
    back on both engines by the test above."""
    db = sqlite_db
    for user in (ASEL, IVAN):
        await live_a_little(db, user, verdict(LANG_OF[user], scheme="relative_emergency"))
    await officer_labels_the_shared_text(db)
    forgotten, kept = ((redact(TEXTS[lang]), REFUSED[lang], REASONS[lang]) for lang in ("kk", "ru"))
    raw = on_disk()
    assert all(words.encode() in raw for words in forgotten + kept)  # the search sees them while stored

    await UsersRepo(db).forget(ASEL)

    raw = on_disk()
    assert [words for words in forgotten if words.encode() in raw] == []
    assert all(words.encode() in raw for words in kept)


async def test_forgetting_an_unknown_user_changes_nothing(db):
    users = UsersRepo(db)
    await users.touch(IVAN)
    await users.forget(ASEL)
    assert await users.touch(IVAN) == UserRecord(IVAN, None, None, False)


async def test_a_forgotten_user_who_comes_back_starts_afresh(db):
    users = UsersRepo(db)
    await users.touch(ASEL)
    await users.set_language(ASEL, "kk")
    await SubscriptionsRepo(db).subscribe(ASEL, {"shymkent"})
    await users.forget(ASEL)
    assert await users.touch(ASEL) == UserRecord(ASEL, None, None, False)
    assert await SubscriptionsRepo(db).regions_of(ASEL) == set()
