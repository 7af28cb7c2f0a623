"""/panel end to end: the real aiogram stack polling the emulator sends an officer a one-time
link in their language; the dashboard served by the bot's own routes (`web_routes`) opens it;
a citizen gets no link."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from aiohttp import ClientSession, CookieJar, web

from bot.app.runner import web_routes
from tests.support.livebot import LiveBot, live_bot

SUPER, OFFICER_KK, OFFICER_RU, CITIZEN = 9001, 9002, 9005, 9003
LINK = re.compile(r"(http://\S+/panel/login\?t=\S+)")
SAYS = {"kk": "Басқару тақтасына кіру сілтемесі", "ru": "Ссылка для входа в панель"}
OVERVIEW = {"kk": "<h1>Шолу</h1>", "ru": "<h1>Обзор</h1>"}
OFFICERS = {"kk": OFFICER_KK, "ru": OFFICER_RU}


@pytest.fixture
async def live(settings, classifier, tmp_path) -> AsyncIterator[LiveBot]:
    async with live_bot(settings, classifier, admin_ids=[SUPER], database_path=tmp_path / "saqbol.db",
                        heartbeat_path=tmp_path / "heartbeat") as running:
        running.emulator.add_user(SUPER, language_code="ru")
        running.emulator.add_user(OFFICER_KK, language_code="kk")
        running.emulator.add_user(OFFICER_RU, language_code="ru")
        running.emulator.add_user(CITIZEN, language_code="ru")
        for officer in (OFFICER_KK, OFFICER_RU):
            await running.reply_to(SUPER, f"/grant {officer}")
        yield running


@pytest.fixture
async def served(live) -> AsyncIterator[str]:
    """The bot's web routes on a port of their own, as `web_server` serves them with polling."""
    app = web.Application()
    web_routes(app, live.deps, live.dp, live.bot)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_an_officer_gets_a_one_time_link_in_their_language_and_it_opens_the_dashboard(live, served, lang):
    answer = await live.reply_to(OFFICERS[lang], "/panel")
    assert answer["text"].startswith(SAYS[lang])
    [link] = LINK.findall(answer["text"])
    assert link.startswith(live.settings.panel.public_url(None)) and link.endswith(f"&lang={lang}")
    local = link.replace(live.settings.panel.public_url(None), served)
    async with ClientSession(cookie_jar=CookieJar(unsafe=True)) as http:
        page = await (await http.get(local)).text()
        token = re.search(r'name="t" value="([^"]+)"', page).group(1)
        signed = await http.post(served + "/panel/login", data={"t": token})
        assert OVERVIEW[lang] in await signed.text()
        again = await http.post(served + "/panel/login", data={"t": token})
        assert again.status == 403
    assert await live.rows("SELECT actor_id, detail FROM audit WHERE action = 'panel'") == [(OFFICERS[lang], "sign-in")]


async def test_a_citizen_gets_no_link_but_the_officers_only_answer(live):
    answer = await live.reply_to(CITIZEN, "/panel")
    assert answer["text"] == "Эта команда только для сотрудников полиции."
    assert not LINK.search(answer["text"])


async def test_the_bots_web_routes_answer_health_and_the_dashboard_on_one_server(live, served):
    async with ClientSession() as http:
        assert (await http.get(served + "/healthz")).status == 200
        assert (await http.get(served + "/panel/", allow_redirects=False)).status == 401
        moved = await http.get(served + "/panel", allow_redirects=False)
        assert moved.status == 301 and moved.headers["Location"] == "/panel/"


async def test_a_revoked_officers_next_click_is_refused_and_ends_their_dashboard_sessions(live, served):
    """The session is useless from the moment of /revoke (the role is read on every request);
    it is kept until that request so that the page can say why: the role is gone."""
    answer = await live.reply_to(OFFICER_RU, "/panel")
    [link] = LINK.findall(answer["text"])
    async with ClientSession(cookie_jar=CookieJar(unsafe=True)) as http:
        page = await (await http.get(link.replace(live.settings.panel.public_url(None), served))).text()
        token = re.search(r'name="t" value="([^"]+)"', page).group(1)
        assert (await http.post(served + "/panel/login", data={"t": token})).status == 200
        assert await live.rows("SELECT user_id FROM panel_sessions") == [(OFFICER_RU,)]
        await live.reply_to(SUPER, f"/revoke {OFFICER_RU}")
        refused = await http.get(served + "/panel/", allow_redirects=False)
        assert refused.status == 403 and "Только для сотрудников полиции" in await refused.text()
        assert await live.rows("SELECT count(*) FROM panel_sessions") == [(0,)]
        assert (await http.get(served + "/panel/", allow_redirects=False)).status == 401
