"""Headless Chromium (Debian's package) driven by selenium, for the browser tests: the demo
chat (tests/devtools/test_browser.py) and the officers' dashboard (tests/panel/test_browser.py).

The set-up installs chromium and chromium-driver with apt when they are missing; where that
is impossible (not root, no apt, no network to the mirror) the test is skipped and says why.
Selenium blocks, while the bot and the pages' servers run on the test's event loop, so every
browser call goes to a thread (`in_browser`).
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


def install_chromium() -> str | None:
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


def chromium(*, lang: str = "ru-RU", window: str = "420,900") -> Iterator[object]:
    """A headless Chromium for a session fixture (skipped, saying why, where there is none)."""
    reason = install_chromium()
    if reason:
        pytest.skip(reason)
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", f"--lang={lang}", f"--window-size={window}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


async def in_browser(call, *args):
    """A selenium call on a thread: the page's server runs on this event loop."""
    return await asyncio.to_thread(call, *args)


async def wait_for(driver, script: str, *args, timeout: float = 20.0):
    """Poll the page until ``script`` (given ``args`` as its ``arguments``) returns a truthy value."""
    deadline = time.monotonic() + timeout
    while True:
        value = await in_browser(driver.execute_script, script, *args)
        if value:
            return value
        if time.monotonic() > deadline:
            page = await in_browser(driver.execute_script, "return document.body.innerText")
            raise AssertionError(f"timed out waiting for: {script}\npage: {page}")
        await asyncio.sleep(0.2)
