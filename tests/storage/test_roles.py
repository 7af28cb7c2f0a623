"""Roles: superadmins come from the settings (ADMIN_IDS) and are never stored; officers are
granted and revoked by a superadmin, in the database, and a revoked officer loses access at
the very next command; every admin action leaves an audit row. Each test runs on a real SQLite
file and on a real PostgreSQL database."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.storage.database import Database
from bot.storage.roles import RolesRepo
from tests.storage.engines import db_target  # noqa: F401 (a fixture: the database, on each engine)

ADMIN, OTHER_ADMIN = 1001, 1002
OFFICER, CITIZEN = 2001, 3001


@pytest.fixture
def roles(db) -> RolesRepo:
    return RolesRepo(db, frozenset({ADMIN, OTHER_ADMIN}))


async def rows(db: Database, sql: str, *params) -> list[tuple]:
    return [tuple(row) for row in await db.fetchall(sql, params)]


async def test_the_superadmins_are_the_ids_the_settings_name_and_are_not_stored(db, monkeypatch):
    monkeypatch.setenv("ADMIN_IDS", f"{ADMIN}; {OTHER_ADMIN}")
    roles = RolesRepo(db, frozenset(Settings().telegram.admin_ids))
    assert [await roles.role_of(user) for user in (ADMIN, OTHER_ADMIN, CITIZEN)] == [
        "superadmin", "superadmin", "citizen"]
    assert await rows(db, "SELECT * FROM officers") == []
    # the same file under settings without them: nobody is a superadmin any more
    monkeypatch.setenv("ADMIN_IDS", "")
    assert await RolesRepo(db, frozenset(Settings().telegram.admin_ids)).role_of(ADMIN) == "citizen"


async def test_everyone_else_is_a_citizen(roles):
    assert await roles.role_of(CITIZEN) == "citizen"


async def test_a_granted_officer_is_an_officer_and_granting_again_says_so(db, roles):
    assert await roles.grant(OFFICER, by=ADMIN) is True
    assert await roles.role_of(OFFICER) == "officer"
    assert await roles.grant(OFFICER, by=OTHER_ADMIN) is False  # already one: the first grant stands
    officers = await roles.officers()
    assert [(user, by) for user, by, _at in officers] == [(OFFICER, ADMIN)]


async def test_a_revoked_officer_loses_access_at_once(roles):
    await roles.grant(OFFICER, by=ADMIN)
    assert await roles.revoke(OFFICER) is True
    assert await roles.role_of(OFFICER) == "citizen"  # the same repository, read again: no cache
    assert await roles.revoke(OFFICER) is False  # nothing left to revoke
    assert await roles.officers() == []


async def test_a_superadmin_cannot_be_revoked_through_the_database(roles):
    """Superadmins are the operator's choice (ADMIN_IDS); only the settings remove one."""
    assert await roles.revoke(ADMIN) is False
    assert await roles.role_of(ADMIN) == "superadmin"


async def test_officers_are_listed_in_the_order_they_were_granted(roles):
    for officer in (2003, 2001, 2002):
        await roles.grant(officer, by=ADMIN)
    listed = await roles.officers()
    assert [user for user, _by, _at in listed] == [2003, 2001, 2002]
    assert [at for _user, _by, at in listed] == sorted(at for _user, _by, at in listed)


async def test_an_officer_survives_a_restart_of_the_bot(db_target):
    db = await Database.open(db_target)
    await RolesRepo(db, frozenset({ADMIN})).grant(OFFICER, by=ADMIN)
    await db.close()
    db = await Database.open(db_target)
    try:
        assert await RolesRepo(db, frozenset({ADMIN})).role_of(OFFICER) == "officer"
    finally:
        await db.close()


@pytest.mark.parametrize(("lang", "reason"), [("kk", "мәтінде қате бар"), ("ru", "в тексте ошибка")])
async def test_every_admin_action_leaves_an_audit_row_in_order(db, roles, lang, reason):
    await roles.audit(ADMIN, "grant", str(OFFICER))
    await roles.audit(OFFICER, "reject", f"broadcast 3: {reason}")
    await roles.audit(OFFICER, "officers")
    assert await rows(db, "SELECT actor_id, action, detail FROM audit ORDER BY id") == [
        (ADMIN, "grant", str(OFFICER)), (OFFICER, "reject", f"broadcast 3: {reason}"), (OFFICER, "officers", "")]
    times = [at for (at,) in await rows(db, "SELECT created_at FROM audit ORDER BY id")]
    assert times == sorted(times) and all(at > 1.7e9 for at in times)
