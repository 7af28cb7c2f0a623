"""The dashboard's sign-in storage: a link's nonce is usable once, even when two replicas see it
at the same instant; a session is found by the hash of its cookie until it expires, ends on
sign-out, with the officer's revocation, and with /forget. Both engines (the `db` fixture)."""

from __future__ import annotations

import asyncio
import hashlib
import secrets

import pytest

from bot.storage import UsersRepo
from bot.storage.panel import PanelRepo
from tests.storage.engines import another_replica

NOW = 1_764_000_000.0
OFFICER, OTHER = 4401, 4402


def cookie_hash() -> str:
    return hashlib.sha256(secrets.token_bytes(32)).hexdigest()


async def test_a_link_is_usable_once(db):
    panel = PanelRepo(db)
    nonce = secrets.token_urlsafe(16)
    assert await panel.use_link(nonce, OFFICER, NOW)
    assert not await panel.use_link(nonce, OFFICER, NOW + 1)
    assert not await panel.use_link(nonce, OTHER, NOW + 2)  # nor by someone else who got hold of it
    assert await panel.use_link(secrets.token_urlsafe(16), OFFICER, NOW + 3)  # a new link works


async def test_a_link_opened_by_two_replicas_at_the_same_instant_is_used_by_one(db):
    """A double click lands on two replicas: of each pair of simultaneous uses of one nonce,
    exactly one is let in, on separate connections to one database, a hundred times."""
    async with another_replica(db) as other:
        nonces = [secrets.token_urlsafe(16) for _ in range(100)]
        results = await asyncio.gather(*(repo.use_link(nonce, OFFICER, NOW)
                                         for nonce in nonces for repo in (PanelRepo(db), PanelRepo(other))))
    assert [results[i] + results[i + 1] for i in range(0, len(results), 2)] == [1] * 100


async def test_an_empty_nonce_is_refused_saying_to_ask_for_a_new_link(db):
    with pytest.raises(ValueError, match="ask for a new one with /panel"):
        await PanelRepo(db).use_link("", OFFICER, NOW)


async def test_a_session_is_found_by_its_hash_until_it_expires(db):
    panel = PanelRepo(db)
    id_hash = cookie_hash()
    opened = await panel.open_session(id_hash, OFFICER, "officer", "csrf-token", NOW, ttl=3600)
    assert await panel.session(id_hash, NOW + 10) == opened
    assert (opened.user_id, opened.role, opened.csrf, opened.expires_at) == (OFFICER, "officer", "csrf-token",
                                                                            NOW + 3600)
    assert await panel.session(id_hash, NOW + 3600) is None  # expired
    assert await panel.session(cookie_hash(), NOW) is None  # never opened


async def test_signing_out_and_a_revocation_end_sessions(db):
    panel = PanelRepo(db)
    mine, also_mine, theirs = cookie_hash(), cookie_hash(), cookie_hash()
    await panel.open_session(mine, OFFICER, "officer", "a", NOW, 600)
    await panel.open_session(also_mine, OFFICER, "officer", "b", NOW, 600)
    await panel.open_session(theirs, OTHER, "superadmin", "c", NOW, 600)
    assert await panel.end_session(mine) and not await panel.end_session(mine)
    assert await panel.end_sessions_of(OFFICER) == 1
    assert await panel.session(also_mine, NOW) is None
    assert (await panel.session(theirs, NOW)).role == "superadmin"


async def test_purging_drops_expired_sessions_and_nonces_older_than_a_link_lives(db):
    panel = PanelRepo(db)
    await panel.use_link("old", OFFICER, NOW - 700)
    await panel.use_link("recent", OFFICER, NOW - 60)
    await panel.open_session("expired", OFFICER, "officer", "a", NOW - 700, 600)
    await panel.open_session("live", OFFICER, "officer", "b", NOW - 60, 600)
    assert await panel.purge(NOW, link_ttl=600) == 2
    assert not await panel.use_link("recent", OFFICER, NOW)  # still spent: its link may not have expired
    assert await panel.session("live", NOW) is not None


async def test_forget_ends_the_sessions_and_keeps_the_used_nonces_spent_and_anonymous(db):
    await UsersRepo(db).touch(OFFICER)
    panel = PanelRepo(db)
    await panel.use_link("spent", OFFICER, NOW)
    await panel.open_session("s", OFFICER, "officer", "a", NOW, 600)
    await UsersRepo(db).forget(OFFICER)
    assert await panel.session("s", NOW) is None
    assert await db.fetchval("SELECT count(*) FROM panel_links WHERE user_id = ?", (OFFICER,)) == 0
    assert not await panel.use_link("spent", OFFICER, NOW + 1)
