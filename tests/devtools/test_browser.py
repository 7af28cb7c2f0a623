"""The demo chat in a real browser: headless Chromium (Debian's package) drives the page
that `make run` serves without a BOT_TOKEN, with the real bot answering behind it.

Most people the bot is for use a phone, so the picture and scrolling tests run at a phone's
viewport (412×915, Chromium's device emulation) in Kazakh and in Russian (the page takes its
language from the browser's, set here through Accept-Language).

Chromium and its installer are shared with the dashboard's browser tests (tests/support/chromium.py).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiohttp import web

from bot.devtools.devserver import BotAPIEmulator
from bot.devtools.devserver.demo import create_demo_app
from bot.devtools.screenshots import Screenshot
from tests.support.chromium import chromium, in_browser, wait_for
from tests.support.livebot import live_bot

SCAM = "Здравствуйте, служба безопасности банка. Продиктуйте код из SMS, чтобы отменить операцию"


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    yield from chromium(lang="ru-RU", window="420,900")


BOT_TEXTS = "return [...document.querySelectorAll('.msg.bot')].map(e => e.innerText)"


async def test_a_person_chats_with_the_bot_in_a_browser_and_presses_a_button(browser, settings, classifier,
                                                                           tmp_path, knowledge):
    async with live_bot(settings, classifier, database_path=tmp_path / "saqbol.db",
                        heartbeat_path=tmp_path / "heartbeat") as live:
        runner = web.AppRunner(create_demo_app(live.emulator, poll_timeout=2.0))
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        try:
            await in_browser(browser.get, f"http://127.0.0.1:{port}/")
            await wait_for(browser, "return document.body.dataset.ready === 'true'")  # chat.js ran
            assert "SaqBol" in browser.title
            text_box = await in_browser(browser.find_element, "id", "text")
            await in_browser(text_box.send_keys, SCAM)
            await in_browser((await in_browser(browser.find_element, "id", "send")).click)
            title = knowledge.schemes["bank_security_call"].title.get("ru")
            await wait_for(browser, f"{BOT_TEXTS}.some(t => t.includes({title!r}))")
            assert any(t.startswith(("🔴", "🟠")) for t in await in_browser(browser.execute_script, BOT_TEXTS))

            paid = await in_browser(browser.find_element, "css selector", "button.inline[data-callback^='ck:paid:']")
            assert paid.text.strip()  # its wording belongs to the bot's texts, not to the page
            await in_browser(paid.click)
            steps_title = knowledge.help.already_paid.title.get("ru")
            await wait_for(browser, f"{BOT_TEXTS}.some(t => t.startsWith({steps_title!r}))")
        finally:
            await runner.cleanup()
    assert await _feedback_kinds(tmp_path / "saqbol.db") == ["paid"]


async def _feedback_kinds(db_path: Path) -> list[str]:
    import aiosqlite

    async with aiosqlite.connect(db_path) as conn, conn.execute("SELECT kind FROM feedback") as cur:
        return [row[0] for row in await cur.fetchall()]


# --- on a phone: the verdict stays in view, pictures ------------------------------------

PHONE = {"width": 412, "height": 915, "deviceScaleFactor": 2.625, "mobile": True}
SCAMS = {
    "kk": "Сәлеметсіз бе, банктің қауіпсіздік қызметінен хабарласып тұрмыз. Картаңыздан күдікті аударым "
          "жасалып жатыр, оны тоқтату үшін SMS-пен келген кодты қазір айтыңыз",
    "ru": "Здравствуйте, вас беспокоит служба безопасности банка. С вашей карты пытаются перевести деньги, "
          "чтобы отменить операцию, срочно продиктуйте код из SMS",
}
SCREENSHOTS = {
    "kk": Screenshot("Құттықтаймыз! Сіз Kaspi ұтыс ойынында көлік ұтып алдыңыз. Жүлдені алу үшін 5000 теңге "
                     "салықты осы картаға аударыңыз.", "Kaspi Ұтыс", "kk", "chat"),
    "ru": Screenshot("Ваша посылка задержана на таможне. Оплатите пошлину 2 500 тг по ссылке "
                     "kazpost-delivery.site, иначе она вернется отправителю.", "KazPost", "ru"),
}
CAPTIONS = {"kk": "Маған осындай хабарлама келді", "ru": "Мне пришло такое сообщение"}
SCAM_BANNERS = ("🔴", "🟠")  # the risk line's emoji for a high and a medium risk
NOT_A_PICTURE = {"kk": "Бұл сурет емес", "ru": "Это не картинка"}
TOO_LARGE = {"kk": "Сурет тым үлкен", "ru": "Картинка слишком большая"}

# The box of the verdict line (the line that starts with a risk emoji) of the latest answer
# that has one, and the box of the chat's visible area: a Range over that line's text.
VERDICT_LINE = r"""
const banners = arguments[0];
const view = document.getElementById("scroller").getBoundingClientRect();
for (const body of [...document.querySelectorAll(".msg.bot .text")].reverse()) {
  const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
  const pieces = [];
  let text = "";
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    pieces.push([node, text.length]);
    text += node.data;
  }
  const found = banners.map((b) => text.indexOf(b)).filter((i) => i >= 0);
  if (!found.length) continue;
  const start = Math.min(...found);
  const end = text.indexOf("\n", start) < 0 ? text.length : text.indexOf("\n", start);
  const at = (offset) => {
    const [node, from] = pieces.filter(([, from]) => from <= offset).pop();
    return [node, offset - from];
  };
  const range = document.createRange();
  range.setStart(...at(start));
  range.setEnd(...at(end));
  const line = range.getBoundingClientRect();
  const answer = body.closest(".msg").getBoundingClientRect();
  return {text: text.slice(start, end), first: !text.slice(0, start).trim(), top: line.top, bottom: line.bottom, viewTop: view.top,
          viewBottom: view.bottom, windowHeight: window.innerHeight, answerTop: answer.top,
          answerBottom: answer.bottom};
}
return null;
"""


@pytest.fixture
def phone(browser) -> Iterator[object]:
    """The browser as a 412×915 phone; the language is set per page by `open_phone_page`."""
    user_agent = browser.execute_script("return navigator.userAgent")
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
    try:
        yield browser
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        browser.execute_cdp_cmd("Emulation.setUserAgentOverride", {"userAgent": user_agent, "acceptLanguage": "en-US"})


@contextlib.asynccontextmanager
async def demo_page(emulator: BotAPIEmulator) -> AsyncIterator[str]:
    """The demo page's server over this emulator; yields its URL."""
    runner = web.AppRunner(create_demo_app(emulator, poll_timeout=2.0))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/"
    finally:
        await runner.cleanup()


async def open_phone_page(driver, url: str, lang: str) -> None:
    user_agent = await in_browser(driver.execute_script, "return navigator.userAgent")
    await in_browser(driver.execute_cdp_cmd, "Emulation.setUserAgentOverride",
                      {"userAgent": user_agent, "acceptLanguage": f"{lang}-KZ,{lang}"})
    await in_browser(driver.get, url)
    await wait_for(driver, "return document.body.dataset.ready === 'true'")
    assert await in_browser(driver.execute_script, "return [document.documentElement.lang, innerWidth]") == [lang, 412]


def _assert_in_view(line: dict) -> None:
    assert line["viewTop"] <= line["top"] and line["bottom"] <= line["viewBottom"] <= line["windowHeight"], line


async def _screenshot(driver, folder: Path, name: str) -> None:
    """For a person checking the layout by eye: kept in the test's tmp folder."""
    await in_browser(driver.save_screenshot, str(folder / f"{name}.png"))


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_on_a_phone_the_verdict_line_of_a_long_answer_stays_in_view(phone, settings, classifier, tmp_path,
                                                                          lang):
    async with live_bot(settings, classifier, database_path=tmp_path / "saqbol.db",
                        heartbeat_path=tmp_path / "heartbeat") as live, demo_page(live.emulator) as url:
        await open_phone_page(phone, url, lang)
        await in_browser((await in_browser(phone.find_element, "id", "start")).click)  # as a newcomer does
        await wait_for(phone, "return document.querySelectorAll('.msg.bot').length > 0")
        text_box = await in_browser(phone.find_element, "id", "text")
        await in_browser(text_box.send_keys, SCAMS[lang])
        await in_browser((await in_browser(phone.find_element, "id", "send")).click)
        line = await wait_for(phone, VERDICT_LINE, list(SCAM_BANNERS), timeout=60.0)
        await asyncio.sleep(0.5)  # any later part of the answer, or a keyboard, arrives and is drawn
        line = await in_browser(phone.execute_script, VERDICT_LINE, list(SCAM_BANNERS))
        await _screenshot(phone, tmp_path, f"verdict-{lang}")
        _assert_in_view(line)
        assert line["first"], line  # a typed text's answer starts with its verdict


LONG_ANSWERS = {  # the page's own rule, whatever the bot's texts: two parts, far taller than a phone
    "kk": ("🔴 Қауіп жоғары: бұл алаяқтыққа өте ұқсайды.\n" + "\n".join(f"{n}. Кеңес жолы" for n in range(1, 40)),
           "\n".join(f"• Қосымша {n}" for n in range(1, 30))),
    "ru": ("🔴 Высокий риск: это очень похоже на мошенничество.\n" + "\n".join(f"{n}. Строка совета" for n in range(1, 40)),
           "\n".join(f"• Дополнение {n}" for n in range(1, 30))),
}


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_on_a_phone_an_answer_in_two_long_parts_is_shown_from_its_first_line(phone, tmp_path, lang):
    async with BotAPIEmulator() as emulator, emulator.create_bot() as bot, demo_page(emulator) as url:
        await open_phone_page(phone, url, lang)
        for _ in range(3):  # some history above, as in a real chat
            await in_browser((await in_browser(phone.find_element, "id", "text")).send_keys, "Сәлем\n")
        user = await _page_user(phone)
        chat = emulator.chat_state
        await emulator.wait_until(lambda: chat(user) is not None and len(chat(user).messages) == 3)
        first, second = LONG_ANSWERS[lang]
        await bot.send_message(user, first)
        await wait_for(phone, "return document.querySelectorAll('.msg.bot').length === 1")
        await bot.send_message(user, second)
        await wait_for(phone, "return document.querySelectorAll('.msg.bot').length === 2")
        line = await in_browser(phone.execute_script, VERDICT_LINE, list(SCAM_BANNERS))
        await _screenshot(phone, tmp_path, f"two-parts-{lang}")
        _assert_in_view(line)
        assert line["answerBottom"] > line["windowHeight"]  # the answer is taller than the screen
        above = await in_browser(phone.execute_script,
                                  "const u = [...document.querySelectorAll('.msg.user')].pop();"
                                  "return u.getBoundingClientRect().bottom")
        assert above > line["viewTop"]  # the end of the user's message is still in view above it


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_on_a_phone_a_screenshot_sent_from_the_page_is_shown_and_gets_a_verdict(
        phone, settings, classifier, tmp_path, tesseract, lang):
    picture = tmp_path / f"Screenshot_{lang}.png"
    picture.write_bytes(SCREENSHOTS[lang].encode("PNG"))
    async with live_bot(settings, classifier, database_path=tmp_path / "saqbol.db",
                        heartbeat_path=tmp_path / "heartbeat") as live, demo_page(live.emulator) as url:
        await open_phone_page(phone, url, lang)
        picker = await in_browser(phone.find_element, "id", "picture")
        await in_browser(picker.send_keys, str(picture))
        await wait_for(phone, "return !document.getElementById('picked').hidden")
        await in_browser((await in_browser(phone.find_element, "id", "text")).send_keys, CAPTIONS[lang])
        await _screenshot(phone, tmp_path, f"picked-{lang}")
        await in_browser((await in_browser(phone.find_element, "id", "send")).click)
        await wait_for(phone, "const i = document.querySelector('.msg.user .photo img');"
                               "return i && i.complete && i.naturalWidth > 0")
        shown_caption = await in_browser(phone.execute_script,
                                          "return document.querySelector('.msg.user .photo + .text').innerText")
        assert shown_caption == CAPTIONS[lang]
        line = await wait_for(phone, VERDICT_LINE, list(SCAM_BANNERS), timeout=60.0)
        await asyncio.sleep(0.5)
        line = await in_browser(phone.execute_script, VERDICT_LINE, list(SCAM_BANNERS))
        await _screenshot(phone, tmp_path, f"picture-verdict-{lang}")
        _assert_in_view(line)
        chat = live.emulator.chat_state(await _page_user(phone))
        [message] = [m for m in chat.messages.values() if "photo" in m]
        assert message["photo"][-1]["width"] == SCREENSHOTS[lang].width  # the bot got the full-size picture
        assert message["caption"] == CAPTIONS[lang]

        await in_browser((await in_browser(phone.find_element, "css selector", ".msg.user .photo")).click)
        full = await wait_for(phone, "const v = document.getElementById('viewer'), i = v.querySelector('img');"
                                      "return v.open && i.complete && i.naturalWidth > 0 && [i.naturalWidth, "
                                      "i.naturalHeight]")
        assert full == [SCREENSHOTS[lang].width, SCREENSHOTS[lang].height]
        await _screenshot(phone, tmp_path, f"viewer-{lang}")
        await in_browser((await in_browser(phone.find_element, "id", "viewer-close")).click)
        await wait_for(phone, "return !document.getElementById('viewer').open")
        await _screenshot(phone, tmp_path, f"photo-in-chat-{lang}")


PASTE_PICTURE = """
const [name, type, text] = arguments;
const data = new DataTransfer();
data.items.add(new File([new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10])], name, {type}));
if (text) data.setData("text/plain", text);
const box = document.getElementById("text");
box.dispatchEvent(new ClipboardEvent("paste", {clipboardData: data, bubbles: true, cancelable: true}));
return [!document.getElementById("picked").hidden, document.getElementById("picked-name").textContent,
        box.placeholder];
"""


@pytest.mark.parametrize(("lang", "caption_hint"), [("kk", "Суретке жазу"), ("ru", "Подпись к фото")])
async def test_a_screenshot_pasted_into_the_text_box_is_picked_but_a_paste_with_text_stays_text(
        phone, lang, caption_hint):
    async with BotAPIEmulator() as emulator, demo_page(emulator) as url:
        await open_phone_page(phone, url, lang)
        with_text = await in_browser(phone.execute_script, PASTE_PICTURE, "table.png", "image/png", "Кесте")
        assert with_text[0] is False
        picked, name, placeholder = await in_browser(phone.execute_script, PASTE_PICTURE, "image.png", "image/png", "")
        assert (picked, name) == (True, "image.png") and placeholder.startswith(caption_hint)
        await in_browser((await in_browser(phone.find_element, "id", "picked-remove")).click)
        assert await in_browser(phone.execute_script, "return document.getElementById('picked').hidden")
        assert emulator.pending_updates == 0


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_on_a_phone_a_file_that_is_not_a_picture_gets_a_clear_message_and_nothing_is_sent(
        phone, settings, classifier, tmp_path, lang):
    letter = tmp_path / "letter.txt"
    letter.write_text("not a picture")
    disguised = tmp_path / "photo.png"  # says PNG, is not: only the server can tell
    disguised.write_bytes(b"%PDF-1.4 an invoice")
    huge = tmp_path / "camera.jpg"
    huge.write_bytes(b"\xff\xd8\xff" + b"\0" * (11 * 1024 * 1024))
    async with live_bot(settings, classifier, database_path=tmp_path / "saqbol.db",
                        heartbeat_path=tmp_path / "heartbeat") as live, demo_page(live.emulator) as url:
        await open_phone_page(phone, url, lang)
        picker = await in_browser(phone.find_element, "id", "picture")
        await in_browser(picker.send_keys, str(letter))
        assert NOT_A_PICTURE[lang] in await wait_for(phone, _error_saying(NOT_A_PICTURE[lang]))

        await in_browser(picker.send_keys, str(huge))
        assert "10 МБ" in await wait_for(phone, _error_saying(TOO_LARGE[lang]))  # the limit is said

        await in_browser(picker.send_keys, str(disguised))
        await wait_for(phone, "return !document.getElementById('picked').hidden")
        await in_browser((await in_browser(phone.find_element, "id", "send")).click)
        await wait_for(phone, _error_saying(NOT_A_PICTURE[lang]))
        await _screenshot(phone, tmp_path, f"not-a-picture-{lang}")
        assert live.emulator.pending_updates == 0 and live.emulator.chat_state(await _page_user(phone)) is None
        assert await in_browser(phone.execute_script, "return document.getElementById('status').hidden")


def _error_saying(words: str) -> str:
    """A script returning the page's picture error once it is shown and says ``words``."""
    return ("const e = document.getElementById('picture-error');"
            f"return !e.hidden && e.textContent.includes({words!r}) && e.textContent")


async def _page_user(driver) -> int:
    """The demo user id the page chose (kept in its localStorage)."""
    return int(await in_browser(driver.execute_script, "return localStorage.getItem('saqbol-demo-user-id')"))
