"""The checks repository: a checked message is kept redacted with its verdict's ids, and the
buttons under the verdict can read back only their own user's check.

The text is kept so that mistakes can be reviewed, which is why the promise that a card number,
an IIN, a phone number or a one-time code is never stored is checked on both engines by reading
every table back, and on SQLite also on the bytes it wrote (the database file and the WAL), not
only on what a SELECT returns. Each test runs on SQLite and on PostgreSQL (the `db` fixture)
unless it is about SQLite's file. Kazakh and Russian side by side."""

from __future__ import annotations

import hashlib
import re

import pytest

from bot.privacy.redaction import redact
from bot.storage import ChecksRepo, UsersRepo
from tests.storage.engines import everything_stored, refused
from tests.storage.verdicts import verdict

OWNER, STRANGER = 9101, 9102

# One message per language carrying every kind of personal number, written as people write them.
SECRETS = {
    "kk": ("Сәлеметсіз бе! Картаңыздың нөмірі 4400 4301 2345 6789, ЖСН 900101300123, телефон "
           "+7 701 234 56 78. Банктен келген кодты айтыңыз: 482193. Сыйлыққа 5000 теңге төлеңіз."),
    "ru": ("Здравствуйте! Номер вашей карты 4400-4301-2345-6789, ИИН 900101300123, звоните "
           "+7 (701) 234-56-78. Продиктуйте код из SMS: 482193. Страховка 5 000 тенге."),
}
# Each number as written above and as bare digits: neither form may be found in the file.
WRITTEN = {
    "kk": ("4400 4301 2345 6789", "900101300123", "+7 701 234 56 78", "482193"),
    "ru": ("4400-4301-2345-6789", "900101300123", "+7 (701) 234-56-78", "482193"),
}
# What stays readable for a reviewer: the words and the amounts.
KEPT = {"kk": ("банктен келген кодты айтыңыз", "5000 теңге"), "ru": ("продиктуйте код из sms", "5 000 тенге")}


@pytest.fixture
async def checks(db) -> ChecksRepo:
    for user in (OWNER, STRANGER):
        await UsersRepo(db).touch(user)
    return ChecksRepo(db)


async def stored_row(db, check_id: int):
    return await db.fetchone("SELECT * FROM checks WHERE id = ?", (check_id,))


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_no_card_iin_phone_or_code_is_in_any_row_of_any_table(db, checks, lang):
    """Read back from the database, whichever engine: the redaction is at the storage edge,
    so it holds on PostgreSQL as on SQLite."""
    flags = (("card_number", WRITTEN[lang][0]), ("asks_code", WRITTEN[lang][3]))
    check_id = await checks.add(OWNER, SECRETS[lang], "text", verdict(lang, flags=flags))

    stored = await everything_stored(db)
    assert (await stored_row(db, check_id))["text_redacted"] in stored  # the positive control
    for kept in KEPT[lang]:
        assert kept in stored
    for secret in WRITTEN[lang]:
        digits = re.sub(r"\D", "", secret)
        assert secret not in stored, secret
        assert digits not in stored, digits


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_no_card_iin_phone_or_code_reaches_the_file_or_the_wal(sqlite_db, on_disk, lang):
    """SQLite only: the bytes of its file and WAL (PostgreSQL's are the server's)."""
    db = sqlite_db
    await UsersRepo(db).touch(OWNER)
    flags = (("card_number", WRITTEN[lang][0]), ("asks_code", WRITTEN[lang][3]))
    check_id = await ChecksRepo(db).add(OWNER, SECRETS[lang], "text", verdict(lang, flags=flags))

    row = await stored_row(db, check_id)
    assert row["text_redacted"] == redact(SECRETS[lang])
    for label in ("[карта]", "[иин]", "[телефон]", "[код]"):
        assert label in row["text_redacted"]
    raw = on_disk()
    # The positive control: the committed row is in these bytes (in the WAL until a checkpoint).
    assert row["text_redacted"].encode() in raw
    for kept in KEPT[lang]:
        assert kept.encode() in raw
    for secret in WRITTEN[lang]:
        digits = re.sub(r"\D", "", secret)
        assert secret.encode() not in raw, secret
        assert digits.encode() not in raw, digits
    # After a checkpoint the WAL is copied into the file: still nothing there.
    await db.checkpoint()
    raw = on_disk()
    assert row["text_redacted"].encode() in raw
    assert not any(re.sub(r"\D", "", s).encode() in raw for s in WRITTEN[lang])


@pytest.mark.parametrize(("lang", "text"), [
    ("kk", "Картаңыз: ４４００ ４３０１ ２３４５ ６７８９, кодты айтыңыз: 4\u200c8\u200c2\u200c1\u200c9\u200c3"),
    ("ru", "Карта 4400\u200b4301\u200b2345\u200b6789, код из SMS: 48 21 93, ИИН 9001.0130.0123"),
])
async def test_a_number_disguised_with_invisible_or_wide_characters_is_not_stored(db, checks, lang, text):
    await checks.add(OWNER, text, "text", verdict(lang))
    stored = await everything_stored(db)
    assert "[карта]" in stored and "[код]" in stored
    for digits in ("4400430123456789", "482193", "900101300123"):
        assert digits not in stored, digits
    assert "４４００" not in stored and "4\u200c8" not in stored and "4400\u200b" not in stored


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_the_red_flags_are_kept_as_sorted_ids_without_the_words_they_quote(db, checks, lang):
    quote = {"kk": "жедел түрде айтыңыз", "ru": "срочно продиктуйте"}[lang]
    flags = (("urgency", quote), ("asks_code", quote), ("urgency", quote))
    check_id = await checks.add(OWNER, "x", "text", verdict(lang, flags=flags))
    row = await stored_row(db, check_id)
    assert row["flags"] == "asks_code,urgency"
    assert quote not in await everything_stored(db)


async def test_one_scam_wave_with_different_numbers_has_one_text_hash(db, checks):
    """The hash is of the redacted text, so the same message sent with another card number is
    recognised as a repeat, and the hash cannot be reversed into a card number."""
    first = await checks.add(OWNER, "Переведите 15 000 тенге на карту 4400 4301 2345 6789", "text", verdict())
    second = await checks.add(STRANGER, "Переведите 15 000 тенге на карту 5169 4931 1122 3344", "text", verdict())
    other = await checks.add(OWNER, "Переведите 20 000 тенге на карту 5169 4931 1122 3344", "text", verdict())
    hashes = [(await stored_row(db, c))["text_hash"] for c in (first, second, other)]
    assert hashes[0] == hashes[1] != hashes[2]
    assert hashes[0] == hashlib.sha256("переведите 15 000 тенге на карту [карта]".encode()).hexdigest()


@pytest.mark.parametrize(("lang", "text"), [
    ("kk", "Сіз ұтыс ойынында көлік ұтып алдыңыз, салықты төлеңіз"),
    ("ru", "Вы выиграли автомобиль, оплатите налог на приз"),
])
async def test_a_check_keeps_its_verdict_language_source_and_backend(db, checks, lang, text):
    check_id = await checks.add(OWNER, text, "forward", verdict(lang, risk="medium", scheme="prize_lottery",
                                                                probability=0.123456789))
    row = await stored_row(db, check_id)
    assert (row["user_id"], row["source"], row["risk"], row["scheme"], row["language"], row["backend"]) == (
        OWNER, "forward", "medium", "prize_lottery", lang, "lexical")
    assert row["scam_probability"] == 0.1235  # rounded: the file keeps no false precision
    assert row["text_redacted"] == text.casefold()


async def test_the_buttons_read_back_the_ids_the_detail_needs(checks):
    check_id = await checks.add(OWNER, "Курьер: оплатите доставку по ссылке", "caption", verdict(
        scheme="delivery_parcel", alternative="marketplace_prepayment", channel="sms_link",
        flags=(("urgency", "срочно"), ("asks_transfer", "оплатите")),
        why=("two_schemes_close", "unlike_known_examples", "two_schemes_close"),
    ))
    stored = await checks.get(check_id, OWNER)
    assert stored is not None
    assert (stored.id, stored.risk, stored.scheme, stored.alternative, stored.channel) == (
        check_id, "high", "delivery_parcel", "marketplace_prepayment", "sms_link")
    assert stored.flags == ("asks_transfer", "urgency")
    assert stored.why == ("two_schemes_close", "unlike_known_examples")  # once each, in order


async def test_a_benign_check_reads_back_with_no_scheme_flags_or_reasons(checks):
    check_id = await checks.add(OWNER, "Привет, как дела?", "text", verdict(risk="none", scheme=None, probability=0.02))
    stored = await checks.get(check_id, OWNER)
    assert stored is not None
    assert (stored.scheme, stored.alternative, stored.channel, stored.flags, stored.why) == (None, None, None, (), ())


async def test_someone_elses_check_or_a_missing_one_reads_as_none(checks):
    check_id = await checks.add(OWNER, "Назовите код", "text", verdict())
    assert await checks.get(check_id, STRANGER) is None  # a forged button
    assert await checks.get(check_id + 1000, OWNER) is None


async def test_feedback_is_recorded_once_per_kind_on_the_users_own_check(db, checks):
    check_id = await checks.add(OWNER, "Назовите код", "text", verdict())
    assert await checks.add_feedback(check_id, OWNER, "paid") is True
    assert await checks.add_feedback(check_id, OWNER, "paid") is True  # a second tap is no error
    assert await checks.add_feedback(check_id, OWNER, "report") is True
    rows = await db.fetchall("SELECT kind FROM feedback WHERE check_id = ? ORDER BY kind", (check_id,))
    assert [row[0] for row in rows] == ["paid", "report"]


async def test_feedback_on_someone_elses_or_a_forgotten_check_is_refused_and_not_stored(db, checks):
    check_id = await checks.add(OWNER, "Назовите код", "text", verdict())
    assert await checks.add_feedback(check_id, STRANGER, "not_scam") is False
    await UsersRepo(db).forget(OWNER)
    assert await checks.add_feedback(check_id, OWNER, "is_scam") is False
    assert await db.fetchval("SELECT count(*) FROM feedback") == 0


async def test_a_check_of_an_unknown_user_is_refused_by_the_foreign_key(db, checks):
    """The storage middleware creates the user first; a check without one would outlive /forget."""
    with refused(db, "foreign key"):
        await checks.add(424242, "Назовите код", "text", verdict())
