"""The officers' dashboard's sign-in: one-time links and the sessions they open.

A link the bot sends (`/panel`) carries a random nonce, the user, the role and an expiry,
signed (bot/services/signin.py checks the signature and the expiry); here it is made usable
once: the nonce's row is inserted on first use and a second use, from any replica at any
moment, finds it there (the primary key decides, not a read before a write).

A session is stored by the sha256 of the cookie's random id, never the id itself: whoever
reads the database (a backup, an admin's shell) cannot sign in with what they read. The role
is checked again on every request by the panel (RolesRepo); `end_sessions_of` ends a revoked
officer's sessions at once, and /forget deletes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.storage.database import Database

PanelRole = Literal["officer", "superadmin"]


@dataclass(frozen=True)
class PanelSession:
    id_hash: str
    user_id: int
    role: PanelRole  # the role the link was bound to
    csrf: str  # the token every form of this session must send back
    created_at: float
    expires_at: float


class PanelRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def use_link(self, nonce: str, user_id: int, now: float) -> bool:
        """True the first time a link's nonce is used, False ever after (a reused or replayed
        link), whichever replica sees it and however close together: one INSERT, and the
        nonce's primary key lets one of two simultaneous ones in."""
        if not nonce:
            raise ValueError("a sign-in link's nonce is empty: the link was cut or forged; ask for a new one with /panel")
        return await self.db.execute(
            "INSERT INTO panel_links (nonce, user_id, used_at) VALUES (?, ?, ?) ON CONFLICT (nonce) DO NOTHING",
            (nonce, user_id, now)) > 0

    async def open_session(self, id_hash: str, user_id: int, role: PanelRole, csrf: str, now: float,
                           ttl: float) -> PanelSession:
        """Store a new session lasting ``ttl`` seconds from ``now``."""
        if ttl <= 0:
            raise ValueError(f"a session's lifetime must be positive, not {ttl} seconds")
        session = PanelSession(id_hash, user_id, role, csrf, now, now + ttl)
        await self.db.execute(
            "INSERT INTO panel_sessions (id_hash, user_id, role, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
            (session.id_hash, session.user_id, session.role, session.csrf, session.created_at, session.expires_at))
        return session

    async def session(self, id_hash: str, now: float) -> PanelSession | None:
        """The session, or None when there is none or it has expired."""
        row = await self.db.fetchone(
            "SELECT id_hash, user_id, role, csrf, created_at, expires_at FROM panel_sessions "
            "WHERE id_hash = ? AND expires_at > ?", (id_hash, now))
        return None if row is None else PanelSession(row[0], row[1], row[2], row[3], row[4], row[5])

    async def end_session(self, id_hash: str) -> bool:
        """Sign out; True when there was such a session."""
        return await self.db.execute("DELETE FROM panel_sessions WHERE id_hash = ?", (id_hash,)) > 0

    async def end_sessions_of(self, user_id: int) -> int:
        """End every session of a user (a revoked officer); the number ended."""
        return await self.db.execute("DELETE FROM panel_sessions WHERE user_id = ?", (user_id,))

    async def purge(self, now: float, link_ttl: float) -> int:
        """Delete the sessions that have expired and the used nonces older than a link lives
        (``link_ttl``): such a link is refused for its expiry already, so its nonce need not be
        kept. The number of rows deleted."""
        ended = await self.db.execute("DELETE FROM panel_sessions WHERE expires_at <= ?", (now,))
        return ended + await self.db.execute("DELETE FROM panel_links WHERE used_at < ?", (now - link_ttl,))
