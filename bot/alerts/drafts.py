"""Broadcast drafts and their approval. Delivery itself is `bot/alerts/`."""

from __future__ import annotations

import time
from dataclasses import dataclass

from bot.storage.database import Database
from bot.storage.subscriptions import NATIONAL


@dataclass(frozen=True)
class Draft:
    id: int
    author_id: int
    text_kk: str
    text_ru: str
    regions: tuple[str, ...]  # ('national',) or region ids
    scheme: str | None
    status: str


class BroadcastsRepo:
    def __init__(self, db: Database) -> None:
        self.conn = db.conn

    async def submit(self, author_id: int, text_kk: str, text_ru: str, regions: tuple[str, ...],
                     scheme: str | None) -> int:
        cur = await self.conn.execute(
            "INSERT INTO broadcasts (author_id, text_kk, text_ru, regions, scheme, status, created_at) "
            "VALUES (?, ?, ?, ?, ?, 'pending', ?)",
            (author_id, text_kk, text_ru, ",".join(regions), scheme, time.time()),
        )
        return int(cur.lastrowid)

    async def get(self, broadcast_id: int) -> Draft | None:
        async with self.conn.execute(
            "SELECT id, author_id, text_kk, text_ru, regions, scheme, status FROM broadcasts WHERE id = ?",
            (broadcast_id,),
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            return None
        return Draft(row[0], row[1], row[2], row[3], tuple(row[4].split(",")), row[5], row[6])

    async def decide(self, broadcast_id: int, approver_id: int, approve: bool, reason: str | None = None,
                     *, paid: bool = False) -> bool:
        """Atomically move a pending broadcast to approved/rejected. False when it is not
        pending any more (somebody decided first) or the approver is its author."""
        cur = await self.conn.execute(
            "UPDATE broadcasts SET status = ?, approver_id = ?, reason = ?, decided_at = ?, paid = ? "
            "WHERE id = ? AND status = 'pending' AND author_id != ?",
            ("approved" if approve else "rejected", approver_id, reason, time.time(), int(paid), broadcast_id,
             approver_id),
        )
        return cur.rowcount == 1

    async def set_progress_message(self, broadcast_id: int, chat_id: int, message_id: int) -> None:
        await self.conn.execute(
            "UPDATE broadcasts SET progress_chat_id = ?, progress_message_id = ? WHERE id = ?",
            (chat_id, message_id, broadcast_id),
        )

    async def progress_message(self, broadcast_id: int) -> tuple[int, int, str] | None:
        """Where the live progress of a broadcast is shown: (chat, message, that officer's language)."""
        async with self.conn.execute(
            "SELECT b.progress_chat_id, b.progress_message_id, coalesce(u.language, 'ru') FROM broadcasts b "
            "LEFT JOIN users u ON u.id = b.progress_chat_id WHERE b.id = ?", (broadcast_id,)
        ) as cur:
            row = await cur.fetchone()
        return (row[0], row[1], row[2]) if row and row[0] else None

    async def audience(self, regions: tuple[str, ...]) -> int:
        """How many subscribers a broadcast to these regions would reach now."""
        if NATIONAL in regions:
            sql, params = "SELECT count(*) FROM users WHERE subscribed = 1 AND blocked_at IS NULL", ()
        else:
            marks = ",".join("?" * len(regions))
            sql = ("SELECT count(DISTINCT u.id) FROM users u JOIN subscriptions s ON s.user_id = u.id "
                   f"WHERE u.subscribed = 1 AND u.blocked_at IS NULL AND s.region IN ({marks})")
            params = regions
        async with self.conn.execute(sql, params) as cur:
            return int((await cur.fetchone())[0])

    async def approvers(self, superadmins: frozenset[int], author_id: int) -> list[int]:
        """Everyone who may approve: officers and superadmins other than the author."""
        async with self.conn.execute("SELECT user_id FROM officers") as cur:
            officers = {row[0] for row in await cur.fetchall()}
        return sorted((officers | superadmins) - {author_id})
