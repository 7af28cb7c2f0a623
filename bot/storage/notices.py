"""Notices: the short message telling a user that a text they asked about was reviewed by an
officer ("Your message of 12 November: an officer confirmed it is a fraud").

A notice is created by the schema itself when an officer labels a text (migration 7's trigger
on `reviewed_examples`): one per user who checked that text, pending until sent.

Never more than one a day per user: a person who asked about ten texts of one scam wave is
told over ten days, not flooded in a minute. Each pending notice carries `due_at`, the time it
may be sent — its creation, or a day after the user's last notice (`users.noticed_at`); when a
notice is marked sent, the schema moves the user's other pending notices a day on. So the
sender's poll (bot/services/notices.py, every few seconds) reads the due notices off the
partial index `notices_due` in order and stops at its batch, however many notices wait for
their day after a label of a text thousands asked about.

Several replicas run a sender each, polling the same notices: a sender `claim`s what it sends.
The claim starts the person's day (`users.noticed_at`), for the whole batch in one statement
that only takes a person still untold in the day before: of senders polling at once, one gets
each person, and the others get neither that notice nor the person's next one. What a sender
claimed and could not send (a 5xx, flood control) it `release`s for a later round; a sender
that dies holding a claim leaves those people's notices for the next day: late, never lost,
never twice.

A user who blocked the bot gets none: their pending notices go when `users.blocked_at` is set
(a 403 to a broadcast or to a notice, `drop`), and a label creates none for them while they
block it. /forget deletes their notices with them (ON DELETE CASCADE), so nobody is told about
a text after asking to be forgotten.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

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
    # When the user was last told before this notice (`users.noticed_at`), and when a sender
    # claimed it (`claim`): what `release` puts back. Not part of what the notice says.
    told_at: float | None = field(default=None, compare=False)
    claimed_at: float | None = field(default=None, compare=False)


class NoticesRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def due(self, now: float, limit: int) -> list[Notice]:
        """Notices to send at ``now``, oldest first, at most ``limit``: at most one per user
        (their oldest due), only to users told nothing in the day before ``now`` and who have
        not blocked the bot.

        A user who never chose a language is told in the language of the text they asked about:
        Kazakh for a Kazakh text, Russian (the bot's default) for any other (Russian, mixed)."""
        found: dict[int, Notice] = {}
        offset = 0
        while len(found) < limit:
            # A user with several notices due appears once per notice until one is sent: read on
            # past them (rarely more than one page).
            rows = await self.db.fetchall(
                "SELECT n.user_id, n.text_hash, n.label, n.asked_at, u.noticed_at, "
                "coalesce(u.language, (SELECT CASE c.language WHEN 'kk' THEN 'kk' ELSE 'ru' END "
                "                      FROM checks AS c WHERE c.text_hash = n.text_hash AND c.user_id = n.user_id "
                "                      ORDER BY c.created_at DESC LIMIT 1), 'ru') AS language "
                "FROM notices AS n JOIN users AS u ON u.id = n.user_id "
                "WHERE n.sent_at IS NULL AND n.due_at <= ? AND u.blocked_at IS NULL "
                "AND (u.noticed_at IS NULL OR u.noticed_at <= ?) "
                "ORDER BY n.due_at, n.created_at LIMIT ? OFFSET ?",
                (now, now - DAY, limit, offset),
            )
            for row in rows:
                if row["user_id"] not in found and len(found) < limit:
                    found[row["user_id"]] = Notice(row["user_id"], row["language"], row["text_hash"], row["label"],
                                                   row["asked_at"], told_at=row["noticed_at"])
            if len(rows) < limit:
                break
            offset += limit
        return list(found.values())

    async def claim(self, now: float, limit: int) -> list[Notice]:
        """The notices `due` at ``now``, each claimed for this sender alone (see the module's
        doc): their users' day starts at ``now``, so no other sender gives them this notice or
        another one. A user another sender claimed, or told, since the poll read them is left
        out. Send each, then `mark_sent` it, or `release` it when it could not be sent."""
        candidates = await self.due(now, limit)
        if not candidates:
            return []
        users = ", ".join("?" for _ in candidates)
        # One statement for the batch: on PostgreSQL a user's row is locked by the first sender
        # to reach it and the condition read again after its commit, so a second sender finds
        # them told and takes nothing.
        rows = await self.db.fetchall(
            f"UPDATE users SET noticed_at = ? WHERE id IN ({users}) AND blocked_at IS NULL "
            "AND (noticed_at IS NULL OR noticed_at <= ?) RETURNING id",
            (now, *(notice.user_id for notice in candidates), now - DAY),
        )
        claimed = {row[0] for row in rows}
        return [replace(notice, claimed_at=now) for notice in candidates if notice.user_id in claimed]

    async def release(self, notice: Notice) -> None:
        """Give back a claimed notice that could not be sent: the user's day is what it was
        before the claim, so a later round (of any sender) sends it. Nothing when the notice was
        sent meanwhile (that moved the user's day on) or was not claimed."""
        if notice.claimed_at is None:
            return
        await self.db.execute(
            "UPDATE users SET noticed_at = ? WHERE id = ? AND noticed_at = ?",
            (notice.told_at, notice.user_id, notice.claimed_at),
        )

    async def mark_sent(self, user_id: int, text_hash: str, now: float) -> None:
        """The notice was delivered: it is no longer pending, and the user's day starts now
        (`users.noticed_at` and their other pending notices' `due_at`, set by the schema's
        trigger in the same statement)."""
        await self.db.execute(
            "UPDATE notices SET sent_at = ? WHERE user_id = ? AND text_hash = ? AND sent_at IS NULL",
            (now, user_id, text_hash),
        )

    async def drop(self, user_id: int) -> None:
        """The user blocked the bot (Telegram answered 403): they are marked as blocking it
        (`users.blocked_at`, as a broadcast's 403 marks it; their next message clears it), and
        the schema deletes their pending notices in the same statement, so the sender does not
        try them again every few seconds and later labels create none until they come back.
        Notices already sent stay (they keep a later label of the same text from telling them
        twice)."""
        await self.db.execute(
            "UPDATE users SET blocked_at = ? WHERE id = ? AND blocked_at IS NULL", (time.time(), user_id))
        # Already marked (by a broadcast's 403) before this notice was created: its notices go too.
        await self.db.execute("DELETE FROM notices WHERE user_id = ? AND sent_at IS NULL", (user_id,))
