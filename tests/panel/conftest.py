"""The dashboard over HTTP: a real aiohttp server on a port of 127.0.0.1, a real database (a
SQLite file, or PostgreSQL where a test runs on both engines), the real knowledge base and
catalogues, a real delivery engine whose Bot talks to the local Bot API emulator. Only the
sign-in's clock is the test's, so a link can be ten minutes old without waiting ten minutes."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiohttp import ClientResponse, ClientSession, CookieJar, web

from bot.alerts import BroadcastsRepo, DeliveryEngine
from bot.devtools.devserver import BotAPIEmulator
from bot.i18n import create_i18n
from bot.panel.app import Panel, add_panel_routes
from bot.panel.approvals import telegram_approvals
from bot.services.alerts import AlertService
from bot.services.signin import SignIn
from bot.storage import Database, Repositories

SUPER, OFFICER, SECOND, CITIZEN = 9001, 9002, 9004, 9003
SECRET = b"tests-panel-secret-0123456789abcdef"


class Clock:
    """The sign-in's time, moved by the test."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@dataclass
class Site:
    url: str
    http: ClientSession
    signin: SignIn
    repos: Repositories
    db: Database
    clock: Clock
    emulator: BotAPIEmulator
    panel: Panel

    async def get(self, path: str, **kwargs) -> ClientResponse:
        return await self.http.get(self.url + path, allow_redirects=False, **kwargs)

    async def open_link(self, link: str) -> ClientResponse:
        """What an officer does with the bot's link: open it, press "Sign in"; the redirect is followed."""
        page = await self.http.get(link.replace(self.signin.base_url, self.url))
        if page.status != 200:
            return page
        token = re.search(r'name="t" value="([^"]+)"', await page.text())
        assert token, await page.text()
        return await self.http.post(self.url + "/panel/login", data={"t": token.group(1)})

    async def sign_in(self, user_id: int = OFFICER, role: str = "officer", lang: str = "ru") -> ClientResponse:
        return await self.open_link(self.signin.link(user_id, role) + f"&lang={lang}")

    def csrf(self, html: str) -> str:
        found = re.search(r'name="csrf" value="([^"]+)"', html)
        assert found, "the page has no form with a CSRF token"
        return found.group(1)


@pytest.fixture
async def emulator() -> AsyncIterator[BotAPIEmulator]:
    async with BotAPIEmulator() as emu:
        yield emu


async def open_site(db: Database, knowledge, emulator: BotAPIEmulator, *, waves=None) -> AsyncIterator[Site]:
    repos = Repositories.of(db, superadmins=frozenset({SUPER}), conversation_ttl=600)
    for officer in (OFFICER, SECOND):
        await repos.roles.grant(officer, by=SUPER)
    for user_id in (SUPER, OFFICER, SECOND, CITIZEN):
        await repos.users.touch(user_id)
        emulator.add_user(user_id)
    clock = Clock(1_800_000_000.0)
    signin = SignIn(repos.panel, repos.roles, secret=SECRET, base_url="http://panel.saqbol.test", clock=clock)
    i18n = create_i18n()
    async with emulator.create_bot() as bot:
        engine = DeliveryEngine(db, bot, rate=30.0)
        broadcasts = BroadcastsRepo(db)
        alerts = AlertService(knowledge, broadcasts, repos.roles, engine, i18n, superadmins=frozenset({SUPER}),
                              paid=False)
        panel = Panel(signin, repos, broadcasts, knowledge, alerts=alerts, waves=waves,
                      ask_approval=telegram_approvals(bot, i18n, knowledge))
        app = web.Application()
        add_panel_routes(app, panel)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        port = runner.addresses[0][1]
        try:
            async with ClientSession(cookie_jar=CookieJar(unsafe=True)) as http:
                yield Site(f"http://127.0.0.1:{port}", http, signin, repos, db, clock, emulator, panel)
        finally:
            await runner.cleanup()
            await engine.shutdown()


@pytest.fixture
async def db(tmp_path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "saqbol.db")
    yield database
    await database.close()


@pytest.fixture
async def site(db, knowledge, emulator) -> AsyncIterator[Site]:
    async for opened in open_site(db, knowledge, emulator):
        yield opened
