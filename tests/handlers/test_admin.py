"""Roles: superadmins from ADMIN_IDS grant and revoke officers; every admin command and
button checks the role on each call; everything is audited."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.livebot import LiveBot, live_bot

SUPER, OFFICER, CITIZEN = 9001, 9002, 9003


@pytest.fixture
async def live(settings, classifier, tmp_path) -> AsyncIterator[LiveBot]:
    async with live_bot(settings, classifier, admin_ids=[SUPER], database_path=tmp_path / "saqbol.db",
                        heartbeat_path=tmp_path / "heartbeat") as running:
        running.emulator.add_user(SUPER, language_code="ru")
        running.emulator.add_user(OFFICER, language_code="kk")
        running.emulator.add_user(CITIZEN, language_code="ru")
        yield running


async def test_a_superadmin_grants_and_revokes_the_officer_role(live):
    granted = await live.reply_to(SUPER, f"/grant {OFFICER}")
    assert granted["text"] == f"{OFFICER} теперь сотрудник полиции."
    listed = await live.reply_to(SUPER, "/officers")
    assert str(OFFICER) in listed["text"]
    revoked = await live.reply_to(SUPER, f"/revoke {OFFICER}")
    assert revoked["text"] == f"{OFFICER} больше не сотрудник полиции."
    assert await live.rows("SELECT count(*) FROM officers") == [(0,)]
    actions = await live.rows("SELECT actor_id, action, detail FROM audit ORDER BY id")
    assert actions == [(SUPER, "grant", str(OFFICER)), (SUPER, "officers", ""), (SUPER, "revoke", str(OFFICER))]


@pytest.mark.parametrize("command", ["/grant 1", "/revoke 1", "/officers", "/broadcast", "/stats",
                                     "/cancel_broadcast"])
async def test_a_citizen_is_refused_every_admin_command(live, command):
    answer = await live.reply_to(CITIZEN, command)
    assert answer["text"] == "Эта команда только для сотрудников полиции."
    assert await live.rows("SELECT actor_id, action FROM audit") == [(CITIZEN, "denied")]
    assert await live.rows("SELECT count(*) FROM officers") == [(0,)]


async def test_an_officer_cannot_grant_roles_and_is_told_it_is_for_superadmins(live):
    await live.reply_to(SUPER, f"/grant {OFFICER}")
    answer = await live.reply_to(OFFICER, f"/grant {CITIZEN}")
    assert answer["text"] == "Бұл пәрмен тек боттың бас әкімшілеріне арналған."
    assert await live.rows("SELECT user_id FROM officers") == [(OFFICER,)]


@pytest.mark.parametrize("data", ["apr:1:1", "bc:send:1"])
async def test_a_forged_admin_button_is_refused(live, data):
    mine = await live.reply_to(CITIZEN, "Мама, я дома")
    live.emulator.press(CITIZEN, mine["message_id"], data, force=True)
    await live.emulator.wait_until(lambda: bool(live.emulator.callback_answers))
    assert live.emulator.callback_answers[-1]["text"] == "Эта кнопка только для сотрудников полиции."
    assert await live.rows("SELECT actor_id, action, detail FROM audit") == [(CITIZEN, "denied", data)]


async def test_a_revoked_officer_loses_access_at_once(live):
    await live.reply_to(SUPER, f"/grant {OFFICER}")
    await live.reply_to(SUPER, f"/revoke {OFFICER}")
    answer = await live.reply_to(OFFICER, "/broadcast")
    assert answer["text"].startswith("Бұл пәрмен тек")


async def test_grant_without_an_id_explains_how(live):
    answer = await live.reply_to(SUPER, "/grant")
    assert answer["text"] == "Отправьте /grant и Telegram id сотрудника, например: /grant 123456789"


@pytest.mark.parametrize("arg", ["99999999999999999999999", "１２３４５", "١٢٣"])
async def test_grant_with_an_id_no_telegram_account_can_have_explains_how(live, arg):
    """A number too long for any Telegram id (it would overflow the database's integer) and
    digits of other scripts get the usage line, not an error."""
    answer = await live.reply_to(SUPER, f"/grant {arg}")
    assert answer["text"] == "Отправьте /grant и Telegram id сотрудника, например: /grant 123456789"
    answer = await live.reply_to(SUPER, f"/revoke {arg}")
    assert answer["text"] == "Отправьте /revoke и Telegram id сотрудника, например: /revoke 123456789"
