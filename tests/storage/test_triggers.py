"""The schema's triggers do the same on both engines (SQLite's trigger bodies, PostgreSQL's
plpgsql functions): every test runs on each (`db`), in plain SQL statements as any repository
or an admin would write them, so the trigger and nothing else is what is checked. A review
decision writes its audit row; an identifier reviewed leaves the queue; a label empties the
queue of its text and gives every asker (not blocking the bot) a notice, due at once or a day
after their last; a notice sent starts the user's day; a user who blocks the bot loses their
pending notices."""

from __future__ import annotations

import hashlib

import pytest

from bot.storage.database import Database

TEXTS = {"kk": "Картаңыз бұғатталды, SMS-кодты айтыңыз", "ru": "Ваша карта заблокирована, назовите код из SMS"}
DAY = 86400.0


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


async def user(db: Database, user_id: int, lang: str, *, noticed_at: float | None = None,
               blocked_at: float | None = None) -> None:
    await db.execute("INSERT INTO users (id, language, created_at, seen_at, noticed_at, blocked_at) "
                     "VALUES (?, ?, ?, ?, ?, ?)", (user_id, lang, 1.0, 1.0, noticed_at, blocked_at))


async def check(db: Database, user_id: int, text: str, created_at: float) -> int:
    return await db.fetchval(
        "INSERT INTO checks (user_id, source, text_redacted, text_hash, risk, scheme, scam_probability, flags, "
        "language, backend, created_at) VALUES (?, 'text', ?, ?, 'low', NULL, 0.4, '', 'ru', 'lexical', ?) "
        "RETURNING id", (user_id, text, digest(text), created_at))


async def audit(db: Database) -> list[tuple]:
    return [tuple(r) for r in await db.fetchall("SELECT actor_id, action, detail, created_at FROM audit ORDER BY id")]


async def notices(db: Database) -> dict[int, tuple]:
    rows = await db.fetchall("SELECT user_id, asked_at, label, created_at, due_at, sent_at FROM notices")
    return {r["user_id"]: tuple(r)[1:] for r in rows}


LABEL = ("INSERT INTO reviewed_examples (text_hash, text_redacted, label, language, officer_id, decided_at) "
         "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (text_hash) DO UPDATE SET label = excluded.label, "
         "officer_id = excluded.officer_id, decided_at = excluded.decided_at")
REVIEW = ("INSERT INTO identifier_reviews (kind, value, status, officer_id, decided_at) VALUES (?, ?, ?, ?, ?) "
          "ON CONFLICT (kind, value) DO UPDATE SET status = excluded.status, officer_id = excluded.officer_id, "
          "decided_at = excluded.decided_at")


async def test_an_identifier_review_is_audited_and_takes_the_identifier_out_of_the_queue(db):
    await db.execute("INSERT INTO review_items (kind, value, reason, created_at) VALUES (?, ?, 'reported', ?)",
                     ("phone", "+77011234567", 1.0))
    await db.execute(REVIEW, ("phone", "+77011234567", "confirmed", 900, 10.0))
    assert await audit(db) == [(900, "identifier_confirmed", "phone:+77011234567", 10.0)]
    assert await db.fetchval("SELECT count(*) FROM review_items") == 0

    # Queued again by the crowd, then cleared by another officer: the update path does the same.
    await db.execute("INSERT INTO review_items (kind, value, reason, created_at) VALUES (?, ?, 'reported', ?)",
                     ("phone", "+77011234567", 11.0))
    await db.execute(REVIEW, ("phone", "+77011234567", "cleared", 901, 12.0))
    assert (await audit(db))[1:] == [(901, "identifier_cleared", "phone:+77011234567", 12.0)]
    assert await db.fetchval("SELECT count(*) FROM review_items") == 0


async def test_a_skip_is_audited_only_when_an_officer_skips(db):
    await user(db, 1, "kk")
    check_id = await check(db, 1, TEXTS["kk"], 2.0)
    text_item = await db.fetchval("INSERT INTO review_items (check_id, reason, created_at) "
                                  "VALUES (?, 'disputed', ?) RETURNING id", (check_id, 3.0))
    card_item = await db.fetchval("INSERT INTO review_items (kind, value, reason, created_at) "
                                  "VALUES ('card', '4400430212345678', 'reported', ?) RETURNING id", (3.0,))
    await db.execute("UPDATE review_items SET skipped_at = ?, skipped_by = ? WHERE id = ?", (5.0, 900, text_item))
    await db.execute("UPDATE review_items SET skipped_at = ?, skipped_by = ? WHERE id = ?", (6.0, 901, card_item))
    assert await audit(db) == [(900, "review_skip", "text:" + digest(TEXTS["kk"])[:12], 5.0),
                               (901, "review_skip", "card:4400430212345678", 6.0)]
    # Back in the queue (skipped_at NULL), a skip by nobody, a change of reason: no audit row.
    await db.execute("UPDATE review_items SET skipped_at = NULL, skipped_by = NULL WHERE id = ?", (text_item,))
    await db.execute("UPDATE review_items SET skipped_at = ? WHERE id = ?", (7.0, text_item))
    await db.execute("UPDATE review_items SET reason = 'low_confidence' WHERE id = ?", (text_item,))
    assert len(await audit(db)) == 2


async def test_a_label_is_audited_empties_the_queue_of_its_text_and_notices_each_asker_once(db):
    text = TEXTS["ru"]
    await user(db, 1, "kk")
    await user(db, 2, "ru", noticed_at=100.0)   # told something at 100: the next notice waits a day
    await user(db, 3, "ru", blocked_at=40.0)    # blocks the bot: told nothing
    await user(db, 4, "kk")                     # checked another text
    first = await check(db, 1, text, 5.0)
    await check(db, 1, text, 8.0)               # the same user twice: one notice, the latest ask
    await check(db, 2, text, 6.0)
    await check(db, 3, text, 7.0)
    await check(db, 4, TEXTS["kk"], 7.0)
    await db.execute("INSERT INTO review_items (check_id, reason, created_at) VALUES (?, 'disputed', ?)", (first, 9.0))

    assert await db.execute(LABEL, (digest(text), text, "bank_security_call", "ru", 900, 50.0)) == 1
    assert await audit(db) == [(900, "label", "bank_security_call:" + digest(text)[:12], 50.0)]
    assert await db.fetchval("SELECT count(*) FROM review_items") == 0
    assert await notices(db) == {1: (8.0, "bank_security_call", 50.0, 50.0, None),
                                 2: (6.0, "bank_security_call", 50.0, 100.0 + DAY, None)}


async def test_a_changed_label_notices_again_and_the_same_label_does_not(db):
    text = TEXTS["kk"]
    await user(db, 1, "kk")
    await check(db, 1, text, 5.0)
    await db.execute(LABEL, (digest(text), text, "bank_security_call", "kk", 900, 50.0))
    await db.execute("UPDATE notices SET sent_at = ? WHERE user_id = ?", (60.0, 1))

    await db.execute(LABEL, (digest(text), text, "bank_security_call", "kk", 901, 70.0))   # the same label
    assert (await notices(db))[1] == (5.0, "bank_security_call", 50.0, 50.0, 60.0)
    await db.execute(LABEL, (digest(text), text, "not_fraud", "kk", 902, 80.0))            # changed
    assert (await notices(db))[1] == (5.0, "not_fraud", 80.0, 60.0 + DAY, None)
    assert [row[1] for row in await audit(db)] == ["label", "label", "label"]


async def test_a_notice_sent_starts_the_users_day_and_the_others_wait_for_it(db):
    await user(db, 1, "kk", noticed_at=5000.0)
    await user(db, 2, "ru")
    for number, text in enumerate(("бірінші", "екінші", "первое")):
        await db.execute("INSERT INTO notices (user_id, text_hash, asked_at, label, created_at, due_at) "
                         "VALUES (?, ?, ?, ?, ?, ?)", (1, digest(text), 1.0, "bank_security_call", 2.0, 3.0 + number))
    await db.execute("INSERT INTO notices (user_id, text_hash, asked_at, label, created_at, due_at) "
                     "VALUES (?, ?, ?, ?, ?, ?)", (2, digest("второе"), 1.0, "not_fraud", 2.0, 3.0))
    assert await db.execute("UPDATE notices SET sent_at = ? WHERE user_id = ? AND text_hash = ?",
                            (1000.0, 1, digest("бірінші"))) == 1
    # noticed_at never goes back (5000 stays); the user's other pending notices wait a day after 1000
    assert await db.fetchval("SELECT noticed_at FROM users WHERE id = ?", (1,)) == 5000.0
    rows = await db.fetchall("SELECT due_at FROM notices WHERE user_id = ? AND sent_at IS NULL", (1,))
    assert sorted(r[0] for r in rows) == [1000.0 + DAY, 1000.0 + DAY]
    assert await db.fetchval("SELECT due_at FROM notices WHERE user_id = ?", (2,)) == 3.0  # someone else's
    await db.execute("UPDATE notices SET sent_at = ? WHERE user_id = ?", (9000.0, 2))
    assert await db.fetchval("SELECT noticed_at FROM users WHERE id = ?", (2,)) == 9000.0


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_user_who_blocks_the_bot_loses_their_pending_notices_but_not_the_sent_ones(db, lang):
    await user(db, 1, lang)
    for text, sent in ((TEXTS["kk"], None), (TEXTS["ru"], 20.0)):
        await db.execute("INSERT INTO notices (user_id, text_hash, asked_at, label, created_at, due_at, sent_at) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?)", (1, digest(text), 1.0, "not_fraud", 2.0, 3.0, sent))
    await db.execute("UPDATE users SET seen_at = ? WHERE id = ?", (30.0, 1))        # not a block: nothing goes
    assert await db.fetchval("SELECT count(*) FROM notices") == 2
    assert await db.execute("UPDATE users SET blocked_at = ? WHERE id = ?", (40.0, 1)) == 1
    assert [r[0] for r in await db.fetchall("SELECT sent_at FROM notices")] == [20.0]


async def test_the_schema_refuses_what_its_checks_forbid(db):
    """CHECK constraints hold on both engines: a language the bot does not speak, a queue item
    that is both a text and an identifier, an empty label."""
    from tests.storage.engines import refused

    with refused(db, "check"):
        await db.execute("INSERT INTO users (id, language, created_at, seen_at) VALUES (?, 'en', 1.0, 1.0)", (1,))
    await user(db, 1, "kk")
    check_id = await check(db, 1, TEXTS["kk"], 2.0)
    with refused(db, "check"):
        await db.execute("INSERT INTO review_items (check_id, kind, value, reason, created_at) "
                         "VALUES (?, 'phone', '+77011234567', 'reported', 1.0)", (check_id,))
    with refused(db, "check"):
        await db.execute("INSERT INTO reviewed_examples (text_hash, text_redacted, label, language, officer_id, "
                         "decided_at) VALUES ('h', 't', '', 'kk', 1, 1.0)")
