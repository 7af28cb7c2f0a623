"""The demo chat in a real browser: headless Chromium (Debian's package) drives the page
that `make run` serves without a BOT_TOKEN, with the real bot answering behind it.

The set-up installs chromium and chromium-driver with apt when they are missing; where that
is impossible (not root, no apt, no network to the mirror) the test is skipped and says why.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web

from bot.devserver.demo import create_demo_app
from tests.e2e.livebot import live_bot

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
SCAM = "Здравствуйте, служба безопасности банка. Продиктуйте код из SMS, чтобы отменить операцию"


def _install_chromium() -> str | None:
    """None when Chromium is ready, else the reason it cannot be."""
    if Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists():
        return None
    if shutil.which("apt-get") is None:
        return "Chromium is not installed and there is no apt-get to install it"
    if shutil.which("id") and subprocess.run(["id", "-u"], capture_output=True, text=True).stdout.strip() != "0":
        return "Chromium is not installed and installing it needs root (apt-get install chromium chromium-driver)"
    install = ["apt-get", "install", "-y", "-q", "chromium", "chromium-driver"]
    for step in ([], [["apt-get", "update", "-q"]]):
        for command in [*step, install]:
            done = subprocess.run(command, capture_output=True, text=True, timeout=600)
        if done.returncode == 0 and Path(CHROMEDRIVER).exists():
            return None
    return f"apt-get could not install Chromium: {done.stderr.strip()[-300:]}"


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    reason = _install_chromium()
    if reason:
        pytest.skip(reason)
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--lang=ru-RU", "--window-size=420,900"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


async def _in_browser(call, *args):
    """Selenium blocks; the bot and the page's server run on this event loop, so every browser
    call goes to a thread."""
    return await asyncio.to_thread(call, *args)


async def _wait_for(driver, script: str, timeout: float = 20.0):
    """Poll the page until `script` returns a truthy value."""
    deadline = time.monotonic() + timeout
    while True:
        value = await _in_browser(driver.execute_script, script)
        if value:
            return value
        if time.monotonic() > deadline:
            page = await _in_browser(driver.execute_script, "return document.body.innerText")
            raise AssertionError(f"timed out waiting for: {script}\npage: {page}")
        await asyncio.sleep(0.2)


BOT_TEXTS = "return [...document.querySelectorAll('.msg.bot')].map(e => e.innerText)"


async def test_a_person_chats_with_the_bot_in_a_browser_and_presses_a_button(browser, settings, classifier,
                                                                           tmp_path, kb):
    async with live_bot(settings, classifier, database_path=tmp_path / "saqbol.db",
                        heartbeat_path=tmp_path / "heartbeat") as live:
        runner = web.AppRunner(create_demo_app(live.emulator, poll_timeout=2.0))
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        try:
            await _in_browser(browser.get, f"http://127.0.0.1:{port}/")
            await _wait_for(browser, "return document.body.dataset.ready === 'true'")  # chat.js ran
            assert "SaqBol" in browser.title
            text_box = await _in_browser(browser.find_element, "id", "text")
            await _in_browser(text_box.send_keys, SCAM)
            await _in_browser((await _in_browser(browser.find_element, "id", "send")).click)
            title = kb.schemes["bank_security_call"].title.get("ru")
            await _wait_for(browser, f"{BOT_TEXTS}.some(t => t.includes({title!r}))")
            assert any(t.startswith(("🔴", "🟠")) for t in await _in_browser(browser.execute_script, BOT_TEXTS))

            paid = await _in_browser(browser.find_element, "css selector", "button.inline[data-callback^='ck:paid:']")
            assert paid.text == "Я уже перевёл деньги"
            await _in_browser(paid.click)
            steps_title = kb.help.already_paid.title.get("ru")
            await _wait_for(browser, f"{BOT_TEXTS}.some(t => t.startsWith({steps_title!r}))")
        finally:
            await runner.cleanup()
    assert await _feedback_kinds(tmp_path / "saqbol.db") == ["paid"]


async def _feedback_kinds(db_path: Path) -> list[str]:
    import aiosqlite

    async with aiosqlite.connect(db_path) as conn, conn.execute("SELECT kind FROM feedback") as cur:
        return [row[0] for row in await cur.fetchall()]
