"""Checked messages (redacted) with their verdicts, and the users' feedback on them."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Literal

from bot.classifier import Verdict
from bot.privacy.redaction import redact
from bot.storage.database import Database

# How the checked text reached the bot (the `checks.source` column): typed or pasted, a photo's
# caption, a forwarded message, or read from a picture. Not `Source`: that is a citation in the
# knowledge schema.
Medium = Literal["text", "caption", "forward", "picture"]
Feedback = Literal["paid", "report", "not_scam", "is_scam"]
# The classifier's hedge for a text far from every example it knows: a candidate for a new wave.
NOVEL = "unlike_known_examples"


@dataclass(frozen=True)
class StoredCheck:
    """What the buttons under a verdict can still read of it: ids, never the user's words."""

    id: int
    risk: str
    scheme: str | None
    alternative: str | None
    channel: str | None
    flags: tuple[str, ...]  # red-flag ids
    why: tuple[str, ...]  # why the verdict was hedged


def text_hash(text: str) -> str:
    """The key of a text in `checks.text_hash` and of an officer's label in
    `reviewed_examples`: the sha256 of the redacted text, so one scam wave with different
    numbers in it is one key, and the same text checked again finds its label. One function
    for both: a hash computed two ways would silently stop the exact-match answers."""
    return _digest(redact(text))


def _digest(redacted: str) -> str:
    return hashlib.sha256(redacted.encode()).hexdigest()


class ChecksRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, user_id: int, text: str, medium: Medium, verdict: Verdict) -> int:
        """Store one check. The text is redacted here, so no caller can forget to. The asker's
        region is read from their record in the same statement (the region they had when they
        checked: the dashboard's map and a wave's regions), so no caller has to pass it and a
        check from a picture counts in its region as one typed does; `novel` marks a verdict the
        classifier found unlike every known example, which the wave detector looks at first.
        The schema's trigger adds the check to the dashboard's `check_counts` in this statement."""
        safe = redact(text)
        check_id = await self.db.fetchval(
            "INSERT INTO checks (user_id, source, text_redacted, text_hash, risk, scheme, scam_probability,"
            " flags, language, backend, created_at, channel, alternative, why, region, novel)"
            " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
            " (SELECT region FROM users WHERE id = ?1), ?15) RETURNING id",
            (
                user_id,
                medium,
                safe,
                _digest(safe),  # = text_hash(text), with the text redacted once
                verdict.risk,
                verdict.scheme,
                round(verdict.scam_probability, 4),
                ",".join(sorted({f.id for f in verdict.red_flags})),
                verdict.language,
                verdict.backend,
                time.time(),
                verdict.channel,
                verdict.alternative,
                ",".join(dict.fromkeys(verdict.why)),
                int(NOVEL in verdict.why),
            ),
        )
        return int(check_id)

    async def get(self, check_id: int, user_id: int) -> StoredCheck | None:
        """The user's own check; None for someone else's (a forged button) or a deleted one."""
        row = await self.db.fetchone(
            "SELECT id, risk, scheme, alternative, channel, flags, why FROM checks WHERE id = ? AND user_id = ?",
            (check_id, user_id),
        )
        if row is None:
            return None
        return StoredCheck(row[0], row[1], row[2], row[3], row[4], tuple(filter(None, row[5].split(","))),
                           tuple(filter(None, row[6].split(","))))

    async def add_feedback(self, check_id: int, user_id: int, kind: Feedback) -> bool:
        """Record the user's judgement of their own check; False when the check is not theirs
        (a forged or stale button) or was deleted by /forget."""
        added = await self.db.execute(
            "INSERT INTO feedback (check_id, kind, created_at) "
            "SELECT id, CAST(? AS TEXT), CAST(? AS DOUBLE PRECISION) FROM checks WHERE id = ? AND user_id = ? "
            "ON CONFLICT (check_id, kind) DO NOTHING",
            (kind, time.time(), check_id, user_id),
        )
        if added:
            return True
        mine = await self.db.fetchval("SELECT 1 FROM checks WHERE id = ? AND user_id = ?", (check_id, user_id))
        return mine is not None
