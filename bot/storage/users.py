"""Users: only what the bot needs to answer in the right language and region."""

from __future__ import annotations

import time
from dataclasses import dataclass

from typing import Any

from bot.knowledge.schema import Lang
from bot.storage.database import Database


@dataclass(frozen=True)
class UserRecord:
    id: int
    language: Lang | None
    region: str | None
    subscribed: bool


class UsersRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def touch(self, user_id: int) -> UserRecord:
        """Create the user on first contact, else note that they were seen (and are not blocking
        us); one statement either way, since it runs for every update."""
        now = time.time()
        row = await self.db.fetchone(
            "INSERT INTO users (id, created_at, seen_at) VALUES (?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET seen_at = excluded.seen_at, blocked_at = NULL "
            "RETURNING id, language, region, subscribed",
            (user_id, now, now),
        )
        return _record(row)

    # The storage middleware has touched (created) the user before any handler runs.
    async def set_language(self, user_id: int, language: Lang) -> None:
        await self.db.execute("UPDATE users SET language = ? WHERE id = ?", (language, user_id))

    async def set_region(self, user_id: int, region: str | None) -> None:
        await self.db.execute("UPDATE users SET region = ? WHERE id = ?", (region, user_id))

    async def forget(self, user_id: int) -> None:
        """Delete the user and, through ON DELETE CASCADE, their checks, feedback,
        subscriptions, the conversation's memory, their notices and the review queue's items
        of their checks; take them out of their reports (the identifier's count stays,
        anonymous); empty the detail of their audit rows that held what they typed (a refused
        command, a rejection reason), keeping only that the action happened; then, on SQLite,
        checkpoint the WAL, so that no older copy of the deleted rows stays in the -wal file
        (secure_delete overwrites them in the database file itself). On PostgreSQL the deleted
        rows are unreadable at once and their space is reclaimed by the server's vacuum.

        A queued text that others checked too stays in the queue, moved to another asker's
        check (one item per text stands for everyone who asked it): it goes only with its last
        asker. Reviewed examples stay: redacted texts an officer labelled, linked to nobody.
        Their checks leave the waves that held them (ON DELETE CASCADE), and a wave shown by one of
        their texts is shown by another member's; their opt-in to waves and their dashboard
        sessions are deleted; the dashboard's day counts stay, anonymous; the alert relay's
        journal forgets which alerts went to them."""
        await self.db.execute("DELETE FROM conversations WHERE user_id = ?", (user_id,))  # also cascades
        await self.db.execute("DELETE FROM send_journal WHERE chat_id = ?", (user_id,))  # the alert relay's keys
        # Their reports of fraudsters' identifiers stay as anonymous counts (bot/storage/reports.py).
        await self.db.execute("UPDATE reports SET user_id = NULL, region = NULL WHERE user_id = ?", (user_id,))
        await self.db.execute(
            "UPDATE review_items SET check_id = ("
            " SELECT other.id FROM checks AS mine JOIN checks AS other ON other.text_hash = mine.text_hash"
            " WHERE mine.id = review_items.check_id AND other.user_id != ?1 ORDER BY other.created_at DESC LIMIT 1) "
            "WHERE check_id IN (SELECT id FROM checks WHERE user_id = ?1) AND EXISTS ("
            " SELECT 1 FROM checks AS mine JOIN checks AS other ON other.text_hash = mine.text_hash"
            " WHERE mine.id = review_items.check_id AND other.user_id != ?1)",
            (user_id,),
        )
        # A wave whose face is one of their texts shows another member's instead (a wave holds
        # several people's near-identical texts), or none when no one else's is left.
        await self.db.execute(
            "UPDATE waves SET representative = coalesce(("
            " SELECT c.text_redacted FROM wave_members AS m JOIN checks AS c ON c.id = m.check_id"
            " WHERE m.wave_id = waves.id AND c.user_id != ?1 ORDER BY c.created_at DESC LIMIT 1), '') "
            "WHERE representative IN (SELECT text_redacted FROM checks WHERE user_id = ?1)",
            (user_id,),
        )
        # No foreign key to users in these two: they are deleted by name.
        await self.db.execute("DELETE FROM wave_watchers WHERE user_id = ?", (user_id,))
        await self.db.execute("DELETE FROM panel_sessions WHERE user_id = ?", (user_id,))
        # A used sign-in nonce stays spent (its link may not have expired yet), owned by nobody.
        await self.db.execute("UPDATE panel_links SET user_id = 0 WHERE user_id = ?", (user_id,))
        await self.db.execute("DELETE FROM users WHERE id = ?", (user_id,))
        await self.db.execute(
            "UPDATE audit SET detail = CASE action"
            " WHEN 'reject' THEN substr(detail, 1, strpos(detail || ':', ':') - 1) ELSE '' END"
            " WHERE actor_id = ? AND action IN ('denied', 'reject') AND detail != ''",
            (user_id,),
        )
        await self.db.checkpoint()


def _record(row: Any) -> UserRecord:
    return UserRecord(row["id"], row["language"], row["region"], bool(row["subscribed"]))
