"""The conversation's memory: per user, the bot's last verdict and what the person last meant.

A follow-up ("I have not told him the code yet", "and if he calls again?") means nothing on its
own; it needs the answer it follows. So the bot keeps, per user, one row of ids and enums (the
last verdict's scheme, risk, kind and channel; the last intent; for a paid turn, what was given
away) and the time. Never the user's words: the least that lets a follow-up be answered.

It is read only while it is fresh (`ttl`, from the settings: 30 minutes by default). Two
homes, one interface (`ConversationMemory`):

- `ConversationRepo`, in the database (SQLite or PostgreSQL): it survives a restart; an expired
  row is deleted when it is next read; it goes with the user on /forget (explicitly in
  `UsersRepo.forget`, and by ON DELETE CASCADE).
- `RedisConversation`, when ``REDIS_URL`` is set: the follow-up may land on another replica
  than the message it follows, and Redis expires a memory by itself (its TTL is the
  conversation's), so nothing stale is kept for anyone. /forget deletes it
  (`forget`, called by the /forget handler beside `UsersRepo.forget`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Protocol

from bot.storage.database import Database
from bot.storage.redis_store import RedisStore, as_storage_fault, key

BENIGN = "benign"  # `previous` for the intent reader when the last verdict saw no fraud scheme


@dataclass(frozen=True)
class VerdictNote:
    """What is remembered of a verdict: ids and enums only."""

    scheme: str | None  # the scheme it named (a scam), or warned about (a fraud warning); None otherwise
    risk: str
    kind: str
    channel: str | None = None


@dataclass(frozen=True)
class Memory:
    verdict: VerdictNote | None
    intent: str
    paid: str | None
    verdict_at: float | None
    updated_at: float

    @property
    def previous(self) -> str | None:
        """The intent reader's context: the last verdict's scheme, "benign" for a verdict that
        named none, None when the bot gave no verdict in this conversation."""
        if self.verdict is None:
            return None
        return self.verdict.scheme or BENIGN

    @property
    def in_scam(self) -> bool:
        """The last verdict called the text fraud: a calm answer now would contradict it."""
        return self.verdict is not None and self.verdict.risk in ("high", "medium") and self.verdict.scheme is not None


class ConversationMemory(Protocol):
    """What the conversation service needs of its memory, wherever it is kept."""

    ttl: float

    async def recall(self, user_id: int, now: float | None = None) -> Memory | None: ...

    async def remember(self, user_id: int, intent: str, *, verdict: VerdictNote | None = None,
                       paid: str | None = None, now: float | None = None) -> None: ...

    async def forget(self, user_id: int) -> None: ...


class ConversationRepo:
    """The memory in the database, one row per user."""

    def __init__(self, db: Database, ttl: float) -> None:
        self.db = db
        self.ttl = ttl

    async def recall(self, user_id: int, now: float | None = None) -> Memory | None:
        """The user's memory if it is fresh, else None (an expired row is deleted)."""
        now = time.time() if now is None else now
        row = await self.db.fetchone(
            "SELECT scheme, risk, kind, channel, intent, paid, verdict_at, updated_at FROM conversations "
            "WHERE user_id = ?", (user_id,),
        )
        if row is None:
            return None
        if row["updated_at"] < now - self.ttl:
            await self.db.execute("DELETE FROM conversations WHERE user_id = ? AND updated_at = ?",
                                  (user_id, row["updated_at"]))
            return None
        verdict = (VerdictNote(row["scheme"], row["risk"], row["kind"], row["channel"])
                   if row["risk"] is not None else None)
        return Memory(verdict, row["intent"], row["paid"], row["verdict_at"], row["updated_at"])

    async def remember(self, user_id: int, intent: str, *, verdict: VerdictNote | None = None,
                       paid: str | None = None, now: float | None = None) -> None:
        """Note this turn. A turn with a verdict replaces the remembered verdict; a turn without
        one (a question, a follow-up, a paid story) keeps it and only moves the time on, so the
        thread lasts as long as the person keeps talking about it."""
        now = time.time() if now is None else now
        if verdict is not None:
            await self.db.execute(
                "INSERT INTO conversations (user_id, scheme, risk, kind, channel, intent, paid, verdict_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET scheme = excluded.scheme,"
                " risk = excluded.risk, kind = excluded.kind, channel = excluded.channel, intent = excluded.intent,"
                " paid = excluded.paid, verdict_at = excluded.verdict_at, updated_at = excluded.updated_at",
                (user_id, verdict.scheme, verdict.risk, verdict.kind, verdict.channel, intent, paid, now, now),
            )
        else:
            # An expired verdict is not carried into a new thread, even if nobody read it since.
            stale = "conversations.updated_at < ?5"
            await self.db.execute(
                "INSERT INTO conversations (user_id, intent, paid, updated_at) VALUES (?1, ?2, ?3, ?4)"
                " ON CONFLICT (user_id) DO UPDATE SET intent = excluded.intent, paid = excluded.paid,"
                f" scheme = CASE WHEN {stale} THEN NULL ELSE conversations.scheme END,"
                f" risk = CASE WHEN {stale} THEN NULL ELSE conversations.risk END,"
                f" kind = CASE WHEN {stale} THEN NULL ELSE conversations.kind END,"
                f" channel = CASE WHEN {stale} THEN NULL ELSE conversations.channel END,"
                f" verdict_at = CASE WHEN {stale} THEN NULL ELSE conversations.verdict_at END,"
                " updated_at = excluded.updated_at",
                (user_id, intent, paid, now, now - self.ttl),
            )

    async def forget(self, user_id: int) -> None:
        await self.db.execute("DELETE FROM conversations WHERE user_id = ?", (user_id,))


REMEMBER_LUA = """
-- KEYS[1]: the user's memory (hash); ARGV: ttl (ms), stale (updated_at below it: expired),
-- '1' when this turn has a verdict (it replaces everything), then field, value pairs.
-- ConversationRepo.remember's two statements, atomic: replicas may answer one user at once.
if ARGV[3] == '1' then
  redis.call('DEL', KEYS[1])
else
  local updated = tonumber(redis.call('HGET', KEYS[1], 'updated_at'))
  if updated ~= nil and updated < tonumber(ARGV[2]) then
    redis.call('DEL', KEYS[1])  -- an expired verdict is not carried into a new thread
  end
  redis.call('HDEL', KEYS[1], 'intent', 'paid')
end
for i = 4, #ARGV, 2 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
"""


class RedisConversation:
    """The memory in Redis (``REDIS_URL``): one hash per user, holding the same ids and enums as
    the database's row (a field left out is None), expiring ``ttl`` seconds after the last turn."""

    def __init__(self, store: RedisStore, ttl: float) -> None:
        self.store = store
        self.ttl = ttl
        self._remember = store.script(REMEMBER_LUA)

    @staticmethod
    def _key(user_id: int) -> str:
        return key("conversation", user_id)

    async def recall(self, user_id: int, now: float | None = None) -> Memory | None:
        """The user's memory if it is fresh, else None (Redis drops an expired one by itself)."""
        now = time.time() if now is None else now
        with as_storage_fault(self.store.where):
            raw = await self.store.redis.hgetall(self._key(user_id))
        if not raw:
            return None
        row = {k.decode(): v.decode() for k, v in raw.items()}
        updated_at = float(row["updated_at"])
        if updated_at < now - self.ttl:
            return None
        verdict = (VerdictNote(row.get("scheme"), row["risk"], row["kind"], row.get("channel"))
                   if "risk" in row else None)
        verdict_at = float(row["verdict_at"]) if "verdict_at" in row else None
        return Memory(verdict, row["intent"], row.get("paid"), verdict_at, updated_at)

    async def remember(self, user_id: int, intent: str, *, verdict: VerdictNote | None = None,
                       paid: str | None = None, now: float | None = None) -> None:
        """As `ConversationRepo.remember`; the key lives ``ttl`` seconds from this turn."""
        now = time.time() if now is None else now
        fields: dict[str, str | None] = {"intent": intent, "paid": paid, "updated_at": repr(float(now))}
        if verdict is not None:
            fields |= {"scheme": verdict.scheme, "risk": verdict.risk, "kind": verdict.kind,
                       "channel": verdict.channel, "verdict_at": repr(float(now))}
        pairs = [part for name, value in fields.items() if value is not None for part in (name, value)]
        with as_storage_fault(self.store.where):
            await self._remember(keys=[self._key(user_id)],
                                 args=[math.ceil(self.ttl * 1000) + 1000, repr(float(now - self.ttl)),
                                       "1" if verdict is not None else "0", *pairs])

    async def forget(self, user_id: int) -> None:
        with as_storage_fault(self.store.where):
            await self.store.redis.delete(self._key(user_id))
