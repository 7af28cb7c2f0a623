"""Officers sign in to the web dashboard with a one-time link the bot sends them (`/panel`).

Why a link and not a password: officers already prove who they are to Telegram, and the bot
knows their role. The link carries the user id, the role it was issued for, its expiry and a
random nonce, signed with HMAC-SHA256 under PANEL_SECRET; it is good for `LINK_TTL` seconds and
once (the nonce is written when used, `PanelRepo.use_link`, so a link copied from a chat's
history, a proxy's log or a shoulder-surfed screen opens nothing the second time).

Opening it starts a session: a random id in an HttpOnly, SameSite=Strict cookie, of which only
the sha256 is stored (a copy of the database does not hand out sessions), and a CSRF token
every form posts back. **The role is read again on every request** (`RolesRepo.role_of`): a
revoked officer's next page is refused and their sessions end, as the bot's officer commands
are refused at once (`bot.telegram.filters.HasRole`).

Plain arguments (secret bytes, a clock), no settings import: the `/panel` handler and the
panel's pages both use this service and do not import each other (layer 8); the app
(`bot.app.dispatcher`) builds it once from `PanelSettings`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import cast

from bot.storage.panel import PanelRepo, PanelRole
from bot.storage.roles import Role, RolesRepo


LINK_TTL = 600.0  # seconds: 10 minutes, enough to open a chat message on another device
SESSION_TTL = 8 * 3600.0  # seconds: a working shift; the role is checked on every request anyway
PANEL_ROLES: frozenset[Role] = frozenset({"officer", "superadmin"})  # who has a dashboard
SIGNIN_PATH = "/panel/login"
"""Where the link opens the sign-in page. The code says "sign in" (docs/architecture.md, one word
per concept); the address keeps the web's usual ``login``, which the deploy test and the
dashboard's bench (`bot.devtools.panel_bench`) request: a path is an address, not a word of the code."""


class Refused(StrEnum):
    """Why a link or a session opens nothing; the page words each for the officer."""

    INVALID = "invalid"  # not a link of ours: cut short, altered, or signed with another secret
    EXPIRED = "expired"  # older than LINK_TTL: ask the bot for a new one
    USED = "used"  # opened once already
    NOT_OFFICER = "not_officer"  # the person has no officer role (never had, or revoked)
    ROLE_CHANGED = "role_changed"  # their role is not the one the link or session was issued for
    SIGNED_OUT = "signed_out"  # no session, or it ended: ask the bot for a link


@dataclass(frozen=True)
class Session:
    """A signed-in officer, as every page sees them after the checks."""

    user_id: int
    role: PanelRole
    csrf: str
    expires_at: float


@dataclass(frozen=True)
class SignedIn:
    """A link opened: the cookie's value to set (never stored) and the session behind it."""

    cookie: str
    session: Session


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _same(expected: str, sent: str) -> bool:
    """Constant-time equality of what we made and what a request sent, as bytes: a sent text
    outside ASCII (anyone can type one into a URL) is simply unequal, where comparing str
    would raise."""
    return hmac.compare_digest(expected.encode("utf-8"), sent.encode("utf-8", "surrogatepass"))


def session_hash(cookie: str) -> str:
    """What the database keeps of a session id: its sha256, hex."""
    return hashlib.sha256(cookie.encode("utf-8")).hexdigest()


class SignIn:
    """``secret``: PANEL_SECRET's bytes (or the key derived from the bot's token);
    ``base_url``: the dashboard's public address, which the links point at; ``clock``: unix
    time, injectable so tests can step past the expiry instead of waiting ten minutes."""

    def __init__(self, panel: PanelRepo, roles: RolesRepo, *, secret: bytes, base_url: str,
                 link_ttl: float = LINK_TTL, session_ttl: float = SESSION_TTL,
                 clock: Callable[[], float] = time.time) -> None:
        if len(secret) < 16:
            raise ValueError("the panel's signing secret is too short: set PANEL_SECRET to 32+ random characters")
        self.panel = panel
        self.roles = roles
        self._secret = secret
        self.base_url = base_url.rstrip("/")
        self.link_ttl = link_ttl
        self.session_ttl = session_ttl
        self.clock = clock

    # --- links ----------------------------------------------------------------------------------

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._secret, payload.encode("utf-8"), hashlib.sha256).digest())

    def token(self, user_id: int, role: Role) -> str:
        """A fresh one-time token for ``user_id`` in ``role``: ``user.role.expires.nonce.signature``.
        Only the panel's roles get one: a citizen has nothing to sign in to."""
        if role not in PANEL_ROLES:
            raise ValueError(f"no sign-in link for the role {role!r}: only officers and superadmins have a dashboard")
        expires = int(self.clock() + self.link_ttl)
        payload = f"{user_id}.{role}.{expires}.{secrets.token_urlsafe(18)}"
        return f"{payload}.{self._sign(payload)}"

    def link(self, user_id: int, role: Role) -> str:
        """The sign-in URL the bot sends the officer."""
        return f"{self.base_url}{SIGNIN_PATH}?t={self.token(user_id, role)}"

    def _parse(self, token: str) -> tuple[int, str, int, str] | Refused:
        """(user id, role, expiry, nonce) of a token signed by us and not expired."""
        parts = token.split(".")
        if len(parts) != 5 or not _same(self._sign(".".join(parts[:4])), parts[4]):
            return Refused.INVALID
        user, role, expires, nonce = parts[:4]
        if not (user.lstrip("-").isdigit() and expires.isdigit()):
            return Refused.INVALID  # signed by us, so never; but a malformed one must not raise
        if self.clock() > int(expires):
            return Refused.EXPIRED
        return int(user), role, int(expires), nonce

    async def _role_refusal(self, user_id: int, role: str) -> Refused | None:
        actual = await self.roles.role_of(user_id)
        if actual not in PANEL_ROLES:
            return Refused.NOT_OFFICER
        return Refused.ROLE_CHANGED if actual != role else None

    async def check_link(self, token: str) -> Refused | None:
        """What opening the link would refuse, short of its one use (not spent here): the page
        behind the link says at once that it expired or that the role is gone."""
        parsed = self._parse(token)
        if isinstance(parsed, Refused):
            return parsed
        return await self._role_refusal(parsed[0], parsed[1])

    async def open_link(self, token: str) -> SignedIn | Refused:
        """Checks the token (signature, expiry, the person's role now, then the nonce, used once)
        and opens a session. The nonce is spent last, so a refused role does not burn a link
        that a superadmin could make good again by granting the role within its ten minutes."""
        parsed = self._parse(token)
        if isinstance(parsed, Refused):
            return parsed
        user_id, role, _expires, nonce = parsed
        refusal = await self._role_refusal(user_id, role)
        if refusal is not None:
            return refusal
        actual = cast(PanelRole, role)
        now = self.clock()
        if not await self.panel.use_link(nonce, user_id, now):
            return Refused.USED
        cookie, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        await self.panel.open_session(session_hash(cookie), user_id, actual, csrf, now, self.session_ttl)
        await self.roles.audit(user_id, "panel", "sign-in")
        await self.panel.purge(now, self.link_ttl)  # ended sessions and spent nonces no link can use any more
        return SignedIn(cookie, Session(user_id, actual, csrf, now + self.session_ttl))

    # --- sessions ------------------------------------------------------------------------------

    async def session(self, cookie: str | None) -> Session | Refused:
        """The session behind a cookie, after reading the person's role again: a revoked
        officer's sessions end here, on their first request after the revocation."""
        if not cookie:
            return Refused.SIGNED_OUT
        found = await self.panel.session(session_hash(cookie), self.clock())
        if found is None:
            return Refused.SIGNED_OUT
        actual = await self.roles.role_of(found.user_id)
        if actual != found.role:
            await self.panel.end_sessions_of(found.user_id)
            await self.roles.audit(found.user_id, "denied", f"panel: the session's role is gone ({actual} now)")
            return Refused.NOT_OFFICER if actual not in PANEL_ROLES else Refused.ROLE_CHANGED
        return Session(found.user_id, found.role, found.csrf, found.expires_at)

    async def sign_out(self, cookie: str | None) -> None:
        if cookie:
            await self.panel.end_session(session_hash(cookie))

    @staticmethod
    def csrf_ok(session: Session, sent: str | None) -> bool:
        """A form's token matches its session's (constant time)."""
        return bool(sent) and _same(session.csrf, sent or "")

