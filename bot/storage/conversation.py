"""The conversation's memory: per user, the bot's last verdict and what the person last meant.

A follow-up ("I have not told him the code yet", "and if he calls again?") means nothing on its
own; it needs the answer it follows. So the bot keeps, per user, one row of ids and enums (the
last verdict's scheme, risk, kind and channel; the last intent; for a paid turn, what was given
away) and the time. Never the user's words: the least that lets a follow-up be answered.

It is read only while it is fresh (`ttl`, from the settings: 30 minutes by default); an
expired row is deleted when it is next read. It lives in SQLite, so it survives a restart of
the bot, and it goes with the user on /forget (explicitly in `UsersRepo.forget`, and by
ON DELETE CASCADE).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import aiosqlite

from bot.storage.database import Database

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


class ConversationRepo:
    def __init__(self, db: Database, ttl: float) -> None:
        self.db = db
        self.ttl = ttl

    @property
    def conn(self) -> aiosqlite.Connection:
        return self.db.conn  # read per call: the database may be reopened under a running bot

    async def recall(self, user_id: int, now: float | None = None) -> Memory | None:
        """The user's memory if it is fresh, else None (an expired row is deleted)."""
        now = time.time() if now is None else now
        async with self.conn.execute(
            "SELECT scheme, risk, kind, channel, intent, paid, verdict_at, updated_at FROM conversations "
            "WHERE user_id = ?", (user_id,),
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            return None
        if row["updated_at"] < now - self.ttl:
            await self.conn.execute("DELETE FROM conversations WHERE user_id = ? AND updated_at = ?",
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
            await self.conn.execute(
                "INSERT INTO conversations (user_id, scheme, risk, kind, channel, intent, paid, verdict_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(user_id) DO UPDATE SET scheme = excluded.scheme,"
                " risk = excluded.risk, kind = excluded.kind, channel = excluded.channel, intent = excluded.intent,"
                " paid = excluded.paid, verdict_at = excluded.verdict_at, updated_at = excluded.updated_at",
                (user_id, verdict.scheme, verdict.risk, verdict.kind, verdict.channel, intent, paid, now, now),
            )
        else:
            # An expired verdict is not carried into a new thread, even if nobody read it since.
            stale = "conversations.updated_at < ?"
            await self.conn.execute(
                "INSERT INTO conversations (user_id, intent, paid, updated_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(user_id) DO UPDATE SET intent = excluded.intent, paid = excluded.paid,"
                f" scheme = CASE WHEN {stale} THEN NULL ELSE scheme END,"
                f" risk = CASE WHEN {stale} THEN NULL ELSE risk END,"
                f" kind = CASE WHEN {stale} THEN NULL ELSE kind END,"
                f" channel = CASE WHEN {stale} THEN NULL ELSE channel END,"
                f" verdict_at = CASE WHEN {stale} THEN NULL ELSE verdict_at END,"
                " updated_at = excluded.updated_at",
                (user_id, intent, paid, now, *[now - self.ttl] * 5),
            )

    async def forget(self, user_id: int) -> None:
        await self.conn.execute("DELETE FROM conversations WHERE user_id = ?", (user_id,))
