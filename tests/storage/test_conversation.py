"""The conversation's memory in SQLite: one row of ids and enums per user, fresh for a while,
gone with /forget. A real database file per test."""

from __future__ import annotations

import pytest

from bot.storage import ConversationRepo, Database, UsersRepo, VerdictNote
from bot.storage.migrations import MIGRATIONS

USER, OTHER = 701, 702
BANK = VerdictNote(scheme="bank_security_call", risk="high", kind="scam", channel="call")
CALM = VerdictNote(scheme=None, risk="none", kind="benign")
TTL = 1800.0


@pytest.fixture
async def db(tmp_path):
    database = await Database.open(tmp_path / "saqbol.db")
    for user in (USER, OTHER):
        await UsersRepo(database).touch(user)
    yield database
    await database.close()


@pytest.fixture
def memory(db) -> ConversationRepo:
    return ConversationRepo(db, ttl=TTL)


async def test_the_memory_is_a_new_migration_and_holds_no_text_column(db):
    assert await db.schema_version() == len(MIGRATIONS) >= 4
    async with db.conn.execute("PRAGMA table_info(conversations)") as cur:
        columns = {row["name"] for row in await cur.fetchall()}
    assert columns == {"user_id", "scheme", "risk", "kind", "channel", "intent", "paid", "verdict_at", "updated_at"}


async def test_a_verdict_is_recalled_with_its_scheme_risk_kind_and_channel(memory):
    await memory.remember(USER, "message", verdict=BANK, now=1000.0)
    recalled = await memory.recall(USER, now=1000.0 + TTL - 1)
    assert recalled is not None
    assert recalled.verdict == BANK and recalled.intent == "message"
    assert recalled.previous == "bank_security_call" and recalled.in_scam
    assert await memory.recall(OTHER, now=1000.0) is None


async def test_a_calm_verdict_is_remembered_as_benign_and_not_as_a_scam(memory):
    await memory.remember(USER, "message", verdict=CALM, now=1000.0)
    recalled = await memory.recall(USER, now=1001.0)
    assert recalled is not None and recalled.previous == "benign" and not recalled.in_scam


async def test_after_the_window_the_memory_is_gone_and_its_row_deleted(db, memory):
    await memory.remember(USER, "message", verdict=BANK, now=1000.0)
    assert await memory.recall(USER, now=1000.0 + TTL + 1) is None
    async with db.conn.execute("SELECT count(*) FROM conversations") as cur:
        assert (await cur.fetchone())[0] == 0


async def test_a_turn_without_a_verdict_keeps_the_verdict_and_moves_the_window_on(memory):
    await memory.remember(USER, "message", verdict=BANK, now=1000.0)
    await memory.remember(USER, "followup", now=1000.0 + TTL - 10)
    recalled = await memory.recall(USER, now=1000.0 + TTL + 100)
    assert recalled is not None and recalled.verdict == BANK and recalled.intent == "followup"


async def test_a_stale_verdict_is_not_carried_into_a_new_thread(memory):
    await memory.remember(USER, "message", verdict=BANK, now=1000.0)
    await memory.remember(USER, "paid", paid="money", now=1000.0 + TTL + 5)  # nobody read the old row since
    recalled = await memory.recall(USER, now=1000.0 + TTL + 6)
    assert recalled is not None and recalled.verdict is None and recalled.previous is None
    assert recalled.paid == "money"


async def test_forget_deletes_the_memory_of_that_user_only(db, memory):
    await memory.remember(USER, "message", verdict=BANK, now=1000.0)
    await memory.remember(OTHER, "message", verdict=CALM, now=1000.0)
    await UsersRepo(db).forget(USER)
    assert await memory.recall(USER, now=1001.0) is None
    assert await memory.recall(OTHER, now=1001.0) is not None
