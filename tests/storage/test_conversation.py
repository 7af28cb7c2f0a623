"""The conversation's memory: one record of ids and enums per user, fresh for a while, gone with
/forget. The same tests on each home it can have: SQLite, PostgreSQL (a real server) and Redis
(a real redis-server, `RedisConversation`, when REDIS_URL is set)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from bot.storage import ConversationRepo, Database, UsersRepo, VerdictNote
from bot.storage.conversation import ConversationMemory, RedisConversation
from bot.storage.migrations import MIGRATIONS
from bot.storage.redis_store import RedisStore

USER, OTHER = 701, 702
BANK = VerdictNote(scheme="bank_security_call", risk="high", kind="scam", channel="call")
CALM = VerdictNote(scheme=None, risk="none", kind="benign")
TTL = 1800.0


@dataclass
class Home:
    memory: ConversationMemory
    db: Database | None = None
    store: RedisStore | None = None

    async def forget(self, user_id: int) -> None:
        """What /forget does: the users' repository deletes the row (and everything of theirs in
        the database); the memory in Redis is deleted by its own `forget`."""
        if self.db is not None:
            await UsersRepo(self.db).forget(user_id)
        else:
            await self.memory.forget(user_id)

    async def stored(self) -> int:
        if self.db is not None:
            return int(await self.db.fetchval("SELECT count(*) FROM conversations"))
        assert self.store is not None
        return len(await self.store.redis.keys("saqbol:conversation:*"))


@pytest.fixture(params=["sqlite", "postgresql", "redis"])
async def home(request, db_path) -> AsyncIterator[Home]:
    if request.param == "redis":
        store = await RedisStore.open(request.getfixturevalue("redis_url"))
        try:
            yield Home(RedisConversation(store, ttl=TTL), store=store)
        finally:
            await store.close()
        return
    target = db_path if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    db = await Database.open(target)
    try:
        for user in (USER, OTHER):
            await UsersRepo(db).touch(user)
        yield Home(ConversationRepo(db, ttl=TTL), db=db)
    finally:
        await db.close()


@pytest.fixture
def memory(home) -> ConversationMemory:
    return home.memory


async def test_the_memory_is_a_migration_of_its_own_and_holds_no_text_column(sqlite_db):
    assert await sqlite_db.schema_version() == len(MIGRATIONS) >= 4
    columns = {row["name"] for row in await sqlite_db.fetchall("PRAGMA table_info(conversations)")}
    assert columns == {"user_id", "scheme", "risk", "kind", "channel", "intent", "paid", "verdict_at", "updated_at"}


async def test_a_verdict_is_recalled_with_its_scheme_risk_kind_and_channel(memory):
    await memory.remember(USER, "message", verdict=BANK, now=1000.0)
    recalled = await memory.recall(USER, now=1000.0 + TTL - 1)
    assert recalled is not None
    assert recalled.verdict == BANK and recalled.intent == "message"
    assert recalled.verdict_at == recalled.updated_at == 1000.0
    assert recalled.previous == "bank_security_call" and recalled.in_scam
    assert await memory.recall(OTHER, now=1000.0) is None


async def test_a_calm_verdict_is_remembered_as_benign_and_not_as_a_scam(memory):
    await memory.remember(USER, "message", verdict=CALM, now=1000.0)
    recalled = await memory.recall(USER, now=1001.0)
    assert recalled is not None and recalled.previous == "benign" and not recalled.in_scam
    assert recalled.verdict == CALM and recalled.paid is None


async def test_after_the_window_the_memory_is_gone(memory):
    await memory.remember(USER, "message", verdict=BANK, now=1000.0)
    assert await memory.recall(USER, now=1000.0 + TTL + 1) is None


async def test_in_the_database_an_expired_row_is_deleted_when_read(home):
    if home.db is None:
        pytest.skip("Redis expires the memory by itself (the test below)")
    await home.memory.remember(USER, "message", verdict=BANK, now=1000.0)
    assert await home.memory.recall(USER, now=1000.0 + TTL + 1) is None
    assert await home.stored() == 0


async def test_a_turn_without_a_verdict_keeps_the_verdict_and_moves_the_window_on(memory):
    await memory.remember(USER, "message", verdict=BANK, now=1000.0)
    await memory.remember(USER, "followup", now=1000.0 + TTL - 10)
    recalled = await memory.recall(USER, now=1000.0 + TTL + 100)
    assert recalled is not None and recalled.verdict == BANK and recalled.intent == "followup"
    assert recalled.verdict_at == 1000.0 and recalled.updated_at == 1000.0 + TTL - 10


async def test_a_turn_without_a_verdict_replaces_what_was_given_away(memory):
    await memory.remember(USER, "paid", paid="money", now=1000.0)
    await memory.remember(USER, "question", now=1001.0)
    recalled = await memory.recall(USER, now=1002.0)
    assert recalled is not None and recalled.paid is None and recalled.intent == "question"


async def test_a_stale_verdict_is_not_carried_into_a_new_thread(memory):
    await memory.remember(USER, "message", verdict=BANK, now=1000.0)
    await memory.remember(USER, "paid", paid="money", now=1000.0 + TTL + 5)  # nobody read the old row since
    recalled = await memory.recall(USER, now=1000.0 + TTL + 6)
    assert recalled is not None and recalled.verdict is None and recalled.previous is None
    assert recalled.paid == "money" and recalled.verdict_at is None


async def test_forget_deletes_the_memory_of_that_user_only(home, memory):
    await memory.remember(USER, "message", verdict=BANK, now=1000.0)
    await memory.remember(OTHER, "message", verdict=CALM, now=1000.0)
    await home.forget(USER)
    assert await memory.recall(USER, now=1001.0) is None
    assert await memory.recall(OTHER, now=1001.0) is not None
    assert await home.stored() == 1


async def test_in_redis_the_memory_expires_by_itself_one_ttl_after_the_last_turn(redis_stores):
    store = redis_stores[0]
    memory = RedisConversation(store, ttl=0.3)
    await memory.remember(USER, "message", verdict=BANK)
    assert await store.redis.pttl("saqbol:conversation:701") <= 1300
    assert await memory.recall(USER) is not None
    await asyncio.sleep(0.35)
    assert await memory.recall(USER) is None  # fresh no more
    await asyncio.sleep(1.1)
    assert await store.redis.exists("saqbol:conversation:701") == 0  # and gone from Redis


async def test_two_replicas_share_one_memory_in_redis(redis_stores):
    """The follow-up lands on another replica than the message it follows."""
    first, second = redis_stores
    await RedisConversation(first, ttl=TTL).remember(USER, "message", verdict=BANK)
    recalled = await RedisConversation(second, ttl=TTL).recall(USER, now=time.time() + 1)
    assert recalled is not None and recalled.verdict == BANK


async def test_when_redis_fails_mid_run_the_answer_goes_on_without_the_memory(unreachable_redis):
    """A real refused connection: the error is one the answer path's best_effort already treats
    as a storage fault, so the person gets the verdict, without its context."""
    from bot.storage.database import STORAGE_FAULTS, best_effort

    memory = RedisConversation(unreachable_redis, ttl=TTL)
    with pytest.raises(STORAGE_FAULTS):
        await memory.remember(USER, "message", verdict=BANK)
    assert await best_effort(memory.recall(USER), "conversation memory") is None
