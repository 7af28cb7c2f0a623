"""The dashboard in headless Chromium, behind the whole bot: an officer asks the bot for the
link (/panel through the emulator and the real aiogram stack), opens it, signs in, sees the
overview's charts and a wave, opens the wave and makes it an alert draft; an expired link, a
used one, a citizen's and a revoked officer's session are refused. Screenshots are saved in
the test's folder and checked: the charts are on screen, drawn, not blank."""

from __future__ import annotations

import io
import re
import time
from collections.abc import AsyncIterator, Iterator

import pytest
from aiohttp import web
from PIL import Image

from bot.app.runner import web_routes
from bot.devtools.running import free_ports
from bot.services.signin import LINK_TTL
from tests.panel.data import fill
from tests.support.chromium import chromium, in_browser, wait_for
from tests.support.livebot import LiveBot, live_bot

SUPER, OFFICER, CITIZEN = 9001, 9002, 9003
LINK = re.compile(r"(http://\S+/panel/login\?t=\S+)")
REFUSED = "return document.getElementById('refused') && document.getElementById('refused').dataset.reason"
CHARTS = """return [...document.querySelectorAll('svg.chart')].map(e => {
  const r = e.getBoundingClientRect();
  return {x: r.left, y: r.top + window.scrollY, w: r.width, h: r.height, bars: e.querySelectorAll('rect').length,
          shown: getComputedStyle(e).display !== 'none' && getComputedStyle(e).visibility !== 'hidden'};
})"""
DRAFT_TITLE = {"kk": "Ескерту", "ru": "Предупреждение"}


@pytest.fixture(scope="module")
def desk() -> Iterator[object]:
    """An officer's desktop browser."""
    yield from chromium(lang="ru-RU", window="1280,1000")


@pytest.fixture
async def live(settings, classifier, tmp_path) -> AsyncIterator[tuple[LiveBot, str]]:
    """The bot polling the emulator, its web routes on the port its links point at, and what the
    dashboard shows: checks from three regions, a wave, a report, a disputed text."""
    [port] = free_ports(1)
    url = f"http://127.0.0.1:{port}"
    async with live_bot(settings, classifier, admin_ids=[SUPER], database_path=tmp_path / "saqbol.db",
                        heartbeat_path=tmp_path / "heartbeat", panel_url=url) as running:
        for user_id, lang in ((SUPER, "ru"), (OFFICER, "kk"), (CITIZEN, "ru")):
            running.emulator.add_user(user_id, language_code=lang)
        await running.reply_to(SUPER, f"/grant {OFFICER}")
        await fill(running.deps.repos, classifier)
        app = web.Application()
        web_routes(app, running.deps, running.dp, running.bot)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            yield running, url
        finally:
            await runner.cleanup()


async def ask_for_link(live: LiveBot, user_id: int, lang: str) -> str:
    await live.reply_to(user_id, "/language")  # any answer; then the language the test wants
    await live.deps.repos.users.set_language(user_id, lang)
    answer = await live.reply_to(user_id, "/panel")
    [link] = LINK.findall(answer["text"])
    return link


async def sign_in(driver, link: str) -> None:
    await in_browser(driver.delete_all_cookies)
    await in_browser(driver.get, link)
    button = await wait_for(driver, "return document.getElementById('sign-in')")
    await in_browser(button.click)


def _blank(png: bytes, box: dict, ratio: float) -> bool:
    """True when the screenshot is one colour where the chart should be."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    crop = image.crop((int(box["x"] * ratio), int(box["y"] * ratio), int((box["x"] + box["w"]) * ratio),
                       int((box["y"] + box["h"]) * ratio)))
    return len(crop.getcolors(maxcolors=1 << 20) or []) < 3


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_an_officer_signs_in_from_the_bots_link_sees_the_charts_and_makes_a_wave_an_alert_draft(
        desk, live, tmp_path, knowledge, lang):
    running, url = live
    link = await ask_for_link(running, OFFICER, lang)
    assert link.startswith(url + "/panel/login?t=")
    await sign_in(desk, link)
    await wait_for(desk, "return document.querySelectorAll('svg.chart').length === 2")
    assert await in_browser(desk.execute_script, "return document.documentElement.lang") == lang
    await in_browser(desk.set_window_size, 1280, 1800)  # both charts in one screenshot
    charts = await in_browser(desk.execute_script, CHARTS)
    assert all(c["shown"] and c["w"] > 300 and c["h"] > 50 and c["bars"] > 0 for c in charts), charts
    shot = tmp_path / f"overview-{lang}.png"
    await in_browser(desk.save_screenshot, str(shot))
    ratio = await in_browser(desk.execute_script, "return window.devicePixelRatio")
    png = shot.read_bytes()
    assert not any(_blank(png, c, ratio) for c in charts)
    page = await in_browser(desk.execute_script, "return document.body.innerText")
    assert knowledge.schemes["delivery_parcel"].title.get(lang) in page
    await in_browser(desk.set_window_size, 1280, 1000)

    await in_browser((await in_browser(desk.find_element, "css selector", "nav a[href='/panel/waves']")).click)
    wave = await wait_for(desk, "return document.querySelector('a.wave-link')")
    await in_browser(wave.click)
    await wait_for(desk, "return document.getElementById('representative')")
    assert await in_browser(desk.execute_script, "return document.getElementById('wave-users').innerText") == "9"
    await in_browser(desk.save_screenshot, str(tmp_path / f"wave-{lang}.png"))
    make = await wait_for(desk, "return document.getElementById('make-draft')")
    await in_browser(make.click)
    await wait_for(desk, "return document.getElementById('text_kk')")
    assert (await in_browser(desk.execute_script, "return document.querySelector('h1').innerText")).startswith(
        DRAFT_TITLE[lang])
    texts = await in_browser(desk.execute_script,
                             "return ['text_kk', 'text_ru'].map(id => document.getElementById(id).value)")
    assert all(t.strip() for t in texts)  # both languages pre-filled for the officer to edit
    await in_browser(desk.save_screenshot, str(tmp_path / f"draft-{lang}.png"))
    drafts = await running.rows("SELECT author_id, status FROM broadcasts")
    assert drafts == [(OFFICER, "draft")]


async def test_an_expired_a_used_and_a_citizens_link_and_a_revoked_officer_are_refused(desk, live, tmp_path):
    running, url = live
    link = await ask_for_link(running, OFFICER, "ru")
    signin = running.deps.signin
    real_clock = signin.clock
    signin.clock = lambda: real_clock() + LINK_TTL + 1  # the officer opens it eleven minutes later
    try:
        await in_browser(desk.get, link)
        assert await wait_for(desk, REFUSED) == "expired"
    finally:
        signin.clock = real_clock
    await in_browser(desk.save_screenshot, str(tmp_path / "expired.png"))

    fresh = await ask_for_link(running, OFFICER, "ru")
    await sign_in(desk, fresh)
    await wait_for(desk, "return document.querySelectorAll('svg.chart').length === 2")
    await sign_in(desk, fresh)  # the same link again, from another browser
    assert await wait_for(desk, REFUSED) == "used"

    await in_browser(desk.get, signin.link(CITIZEN, "officer"))  # signed right, but a citizen
    assert await wait_for(desk, REFUSED) == "not_officer"
    assert "/panel" not in (await running.reply_to(CITIZEN, "/panel"))["text"]

    await sign_in(desk, await ask_for_link(running, OFFICER, "kk"))
    await wait_for(desk, "return document.querySelectorAll('svg.chart').length === 2")
    assert (await running.reply_to(SUPER, f"/revoke {OFFICER}"))["text"].startswith(str(OFFICER))
    await in_browser(desk.refresh)
    assert await wait_for(desk, REFUSED) == "not_officer"
    assert "Тек полиция қызметкерлеріне" in await in_browser(desk.execute_script, "return document.body.innerText")
    await in_browser(desk.save_screenshot, str(tmp_path / "revoked.png"))
    assert await running.rows("SELECT count(*) FROM panel_sessions") == [(0,)]
    assert time.time() > 0


WIDTHS = """return [document.documentElement.scrollWidth, innerWidth,
                   ...[...document.querySelectorAll('svg.chart')].map(e => e.getBoundingClientRect().right)]"""
PHONE = {"width": 412, "height": 915, "deviceScaleFactor": 2.625, "mobile": True}


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_on_a_phone_the_overview_and_a_wave_fit_the_screen(desk, live, tmp_path, lang):
    """Officers open the bot's link on the phone they got it on: no page is wider than the
    screen (the charts shrink, wide tables scroll inside their card)."""
    running, _url = live
    await sign_in(desk, await ask_for_link(running, OFFICER, lang))
    await wait_for(desk, "return document.querySelectorAll('svg.chart').length === 2")
    await in_browser(desk.execute_cdp_cmd, "Emulation.setDeviceMetricsOverride", PHONE)
    try:
        for path in ("/panel/", "/panel/waves", "/panel/waves/1", "/panel/alerts", "/panel/identifiers"):
            await in_browser(desk.get, _url + path)
            await wait_for(desk, "return document.readyState === 'complete'")
            widths = await in_browser(desk.execute_script, WIDTHS)
            assert widths[0] <= widths[1] and all(right <= widths[1] for right in widths[2:]), (path, widths)
            await in_browser(desk.save_screenshot, str(tmp_path / f"phone{path.replace('/', '-')}{lang}.png"))
    finally:
        await in_browser(desk.execute_cdp_cmd, "Emulation.clearDeviceMetricsOverride", {})
