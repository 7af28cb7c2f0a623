"""Notices: the short message telling a user that a text they asked about was reviewed by an
officer ("Your message of 12 November: an officer confirmed it is a fraud").

A notice is created by the schema itself when an officer labels a text (migration 7's trigger
on `reviewed_examples`): one per user who checked that text, pending until sent. The notice
sender (bot/services/notices.py) polls `due` every few seconds, so `due` reads only the
pending notices, through the partial index `notices_pending`, never the ones already sent.

Never more than one a day per user: a person who asked about ten texts of one scam wave is
told over ten days, not flooded in a minute — `users.noticed_at` is the time of their last
notice, set by the schema when a notice is marked sent. A user who blocked the bot gets none
(`users.blocked_at`, and `drop` on a 403); /forget deletes their notices with them (ON DELETE
CASCADE), so nobody is told about a text after asking to be forgotten.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import aiosqlite

from bot.knowledge.schema import Lang
from bot.storage.database import Database

DAY = 86_400.0


@dataclass(frozen=True)
class Notice:
    user_id: int
    language: Lang  # the user's chosen language, else that of the text they asked about
    text_hash: str
    label: str  # the officer's label: a scheme id | not_fraud | fraud_warning
    asked_at: float  # unix time of the user's (latest) check of the text: "your message of 12 November"


class NoticesRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    @property
    def conn(self) -> aiosqlite.Connection:
        return self.db.conn  # read per call: the database may be reopened under a running bot

    async def due(self, now: float, limit: int) -> list[Notice]:
        """Notices to send now, oldest first: at most one per user (their oldest pending), only
        to users told nothing in the day before ``now`` and who have not blocked the bot.

        A user who never chose a language is told in the language of the text they asked about:
        Kazakh for a Kazakh text, Russian (the bot's default) for any other (Russian, mixed)."""
        if limit < 1:
            return []
        # min() with bare columns: SQLite takes the other columns from the row holding the
        # minimum, i.e. each user's oldest pending notice.
        rows = await self.conn.execute_fetchall(
            "SELECT n.user_id, n.text_hash, n.label, n.asked_at, min(n.created_at) AS created, "
            "coalesce(u.language, (SELECT CASE c.language WHEN 'kk' THEN 'kk' ELSE 'ru' END "
            "                      FROM checks AS c WHERE c.text_hash = n.text_hash AND c.user_id = n.user_id "
            "                      ORDER BY c.created_at DESC LIMIT 1), 'ru') AS language "
            "FROM notices AS n JOIN users AS u ON u.id = n.user_id "
            "WHERE n.sent_at IS NULL AND u.blocked_at IS NULL AND (u.noticed_at IS NULL OR u.noticed_at <= ?) "
            "GROUP BY n.user_id ORDER BY created, n.user_id LIMIT ?",
            (now - DAY, limit),
        )
        return [Notice(row["user_id"], row["language"], row["text_hash"], row["label"], row["asked_at"])
                for row in rows]

    async def mark_sent(self, user_id: int, text_hash: str, now: float) -> None:
        """The notice was delivered: it is no longer pending, and the user's day starts now
        (`users.noticed_at`, set by the schema's trigger in the same statement)."""
        await self.conn.execute(
            "UPDATE notices SET sent_at = ? WHERE user_id = ? AND text_hash = ? AND sent_at IS NULL",
            (now, user_id, text_hash),
        )

    async def drop(self, user_id: int) -> None:
        """The user blocked the bot (Telegram answered 403): their pending notices go, so the
        sender does not try them again every few seconds, and the user is marked as blocking
        the bot (`users.blocked_at`, as a broadcast's 403 marks it: their next message clears
        it), so later notices wait until they come back. Notices already sent stay (they keep a
        later label of the same text from telling them twice)."""
        await self.conn.execute("DELETE FROM notices WHERE user_id = ? AND sent_at IS NULL", (user_id,))
        await self.conn.execute(
            "UPDATE users SET blocked_at = ? WHERE id = ? AND blocked_at IS NULL", (time.time(), user_id))
