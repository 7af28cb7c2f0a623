"""The demo chat's HTTP side: the page and the JSON API it uses, with a real Bot replying."""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiogram import Bot
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from aiohttp.test_utils import TestClient, TestServer
from PIL import Image

from bot.devtools.devserver import BotAPIEmulator, create_demo_app
from bot.devtools.devserver.photos import MAX_PHOTO_BYTES, PROBLEMS

USER = 1234567890
PAGE_FILES = ("/", "/static/chat.js", "/static/chat.css")


@pytest.fixture
async def emu() -> AsyncIterator[BotAPIEmulator]:
    async with BotAPIEmulator() as emulator:
        yield emulator


@pytest.fixture
async def bot(emu: BotAPIEmulator) -> AsyncIterator[Bot]:
    async with emu.create_bot() as bot:
        yield bot


@pytest.fixture
async def page(emu: BotAPIEmulator) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(create_demo_app(emu, poll_timeout=0.5))) as client:
        yield client


async def send(page: TestClient, text: str, **extra: object) -> dict:
    response = await page.post("/api/send", json={"user_id": USER, "text": text, **extra})
    assert response.status == 200, await response.text()
    return await response.json()


async def changes(page: TestClient, since: int = 0) -> dict:
    response = await page.get("/api/messages", params={"user_id": USER, "since": since})
    assert response.status == 200
    return await response.json()


# --- the page ---------------------------------------------------------------------------


async def test_page_has_its_title_and_test_ids(page):
    html = await (await page.get("/")).text()
    assert "<title>SaqBol — демо</title>" in html
    for element_id in ('id="text"', 'id="send"', 'id="messages"'):
        assert element_id in html


async def test_page_loads_nothing_from_the_internet(page):
    for path in PAGE_FILES:
        response = await page.get(path)
        assert response.status == 200
        assert not re.search(r"https?://|(?:src|href)=[\"']//|url\(", await response.text()), path


async def test_page_forbids_scripts_from_elsewhere(page):
    policy = (await page.get("/")).headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy


async def test_script_never_parses_text_as_markup(page):
    script = await (await page.get("/static/chat.js")).text()
    assert not re.search(r"(?:inner|outer)HTML\s*\+?=|insertAdjacentHTML|document\.write|eval\(", script)


# --- sending ----------------------------------------------------------------------------


async def test_send_queues_a_message_update_for_the_bot(page, bot):
    await send(page, "Сізге ұтыс түсті")
    [update] = await bot.get_updates()
    assert (update.message.from_user.id, update.message.text) == (USER, "Сізге ұтыс түсті")


async def test_first_message_carries_the_page_language(page, emu):
    await send(page, "Сәлем", language_code="kk")
    assert emu.chat_state(USER).user["language_code"] == "kk"


async def test_unsupported_page_language_falls_back_to_russian(page, emu):
    await send(page, "Hello", language_code="en")
    assert emu.chat_state(USER).user["language_code"] == "ru"


async def test_blank_text_is_refused(page):
    response = await page.post("/api/send", json={"user_id": USER, "text": "   "})
    assert response.status == 400


async def test_non_numeric_user_is_refused(page):
    response = await page.post("/api/send", json={"user_id": "<script>", "text": "x"})
    assert response.status == 400


# --- what the page is told --------------------------------------------------------------


async def test_bot_reply_shows_up_with_its_entities(page, bot):
    await send(page, "/start")
    await bot.send_message(USER, "<b>Осторожно</b>: это мошенники", parse_mode="HTML")
    bot_message = [m for m in (await changes(page))["messages"] if m["from"]["is_bot"]][0]
    assert bot_message["text"] == "Осторожно: это мошенники"
    assert bot_message["entities"] == [{"type": "bold", "offset": 0, "length": 9}]


async def test_long_poll_answers_as_soon_as_the_bot_replies(page, bot):
    await send(page, "Проверь")
    version = (await changes(page))["version"]
    poll = asyncio.create_task(changes(page, since=version))
    await bot.send_message(USER, "Проверяю")
    assert [m["text"] for m in (await asyncio.wait_for(poll, 0.4))["messages"]] == ["Проверяю"]


async def test_long_poll_without_news_answers_empty_after_its_timeout(page):
    await send(page, "Проверь")
    version = (await changes(page))["version"]
    assert (await changes(page, since=version))["messages"] == []


async def test_edit_is_reported_as_a_changed_message(page, bot):
    await send(page, "Проверь")
    sent = await bot.send_message(USER, "Проверяю…")
    version = (await changes(page))["version"]
    await bot.edit_message_text("Готово", chat_id=USER, message_id=sent.message_id)
    [edited] = (await changes(page, since=version))["messages"]
    assert (edited["message_id"], edited["text"]) == (sent.message_id, "Готово")


async def test_deleted_message_is_reported(page, bot):
    await send(page, "Проверь")
    sent = await bot.send_message(USER, "временно")
    version = (await changes(page))["version"]
    await bot.delete_message(USER, sent.message_id)
    assert (await changes(page, since=version))["deleted"] == [sent.message_id]


async def test_reply_keyboard_is_reported_until_removed(page, bot):
    await send(page, "/start")
    menu = ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text="Проверить сообщение")]])
    await bot.send_message(USER, "Меню", reply_markup=menu)
    assert (await changes(page))["reply_keyboard"]["keyboard"] == [[{"text": "Проверить сообщение"}]]
    await bot.send_message(USER, "Без меню", reply_markup=ReplyKeyboardRemove())
    assert (await changes(page))["reply_keyboard"] is None


async def test_version_from_an_earlier_run_resets_the_page(page):
    await send(page, "Проверь")
    answer = await changes(page, since=10_000)
    assert answer["reset"] is True and len(answer["messages"]) == 1


# --- buttons ----------------------------------------------------------------------------


async def bot_question(page: TestClient, bot: Bot) -> int:
    await send(page, "/start")
    buttons = [[InlineKeyboardButton(text="Да", callback_data="yes")]]
    sent = await bot.send_message(USER, "Вам звонили?", reply_markup=InlineKeyboardMarkup(inline_keyboard=buttons))
    return sent.message_id


async def test_press_queues_a_callback_query(page, bot):
    message_id = await bot_question(page, bot)
    response = await page.post("/api/press", json={"user_id": USER, "message_id": message_id, "data": "yes"})
    assert response.status == 200
    callback = [u.callback_query for u in await bot.get_updates() if u.callback_query][0]
    assert (callback.data, callback.message.message_id) == ("yes", message_id)


async def test_press_of_data_not_on_the_message_is_refused(page, bot):
    message_id = await bot_question(page, bot)
    response = await page.post("/api/press", json={"user_id": USER, "message_id": message_id, "data": "forged"})
    assert response.status == 409


async def test_callback_answer_becomes_a_toast(page, bot):
    message_id = await bot_question(page, bot)
    version = (await changes(page))["version"]
    await page.post("/api/press", json={"user_id": USER, "message_id": message_id, "data": "yes"})
    callback = [u.callback_query for u in await bot.get_updates() if u.callback_query][0]
    await bot.answer_callback_query(callback.id, text="Спасибо")
    assert (await changes(page, since=version))["toasts"] == [{"text": "Спасибо", "show_alert": False}]


# --- pictures ---------------------------------------------------------------------------


def _png(width: int, height: int, colour: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


async def send_picture(page: TestClient, data: bytes, *, filename: str = "Screenshot.png",
                       content_type: str = "image/png", **fields: str):
    form = aiohttp.FormData()
    form.add_field("user_id", str(USER))
    for name, value in fields.items():
        form.add_field(name, value)
    form.add_field("file", data, filename=filename, content_type=content_type)
    return await page.post("/api/photo", data=form)


async def test_a_picture_from_the_page_reaches_the_bot_as_a_photo_in_telegrams_sizes(page, bot):
    response = await send_picture(page, _png(1080, 2400), caption="  Мне прислали это  ", language_code="kk")
    assert response.status == 200, await response.text()
    [update] = await bot.get_updates()
    message = update.message
    assert (message.from_user.id, message.from_user.language_code, message.caption) == (USER, "kk", "Мне прислали это")
    assert [(size.width, size.height) for size in message.photo] == [(144, 320), (360, 800), (576, 1280), (1080, 2400)]
    largest = await bot.download(message.photo[-1].file_id)  # getFile, then the file download, as the bot does
    with Image.open(largest) as picture:
        assert (picture.format, picture.size) == ("JPEG", (1080, 2400))


async def test_a_small_picture_keeps_its_own_size_and_is_never_upscaled(page, bot):
    assert (await send_picture(page, _png(300, 200))).status == 200
    [update] = await bot.get_updates()
    assert [(size.width, size.height) for size in update.message.photo] == [(300, 200)]


async def test_a_phone_photo_is_turned_upright_as_telegram_does(page, bot):
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: the camera was held sideways, the viewer must rotate 90°
    Image.new("RGB", (400, 300), (10, 120, 10)).save(out, format="JPEG", exif=exif)
    assert (await send_picture(page, out.getvalue(), filename="IMG_0001.jpg", content_type="image/jpeg")).status == 200
    [update] = await bot.get_updates()
    assert (update.message.photo[-1].width, update.message.photo[-1].height) == (300, 400)


@pytest.mark.parametrize(("data", "filename", "problem"), [
    (b"%PDF-1.4 not a picture", "invoice.png", "not_image"),
    (b"", "empty.png", "empty"),
    (b"\x89PNG\r\n\x1a\n torn", "torn.png", "not_image"),
])
async def test_a_file_that_is_not_a_picture_is_refused_with_its_reason_and_nothing_is_sent(page, emu, data,
                                                                                          filename, problem):
    response = await send_picture(page, data, filename=filename)
    answer = await response.json()
    assert (response.status, answer["ok"], answer["problem"]) == (400, False, problem)
    assert emu.pending_updates == 0


async def test_a_picture_over_telegrams_photo_limit_is_refused_with_the_limit(page, emu):
    response = await send_picture(page, b"\xff\xd8\xff" + b"\0" * MAX_PHOTO_BYTES)
    answer = await response.json()
    assert (response.status, answer["problem"], answer["limit_bytes"]) == (413, "too_large", 10 * 1024 * 1024)
    assert emu.pending_updates == 0


async def test_a_decompression_bomb_is_refused_before_it_is_decoded(page, emu):
    out = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, format="PNG")  # 100 Mpx in a few kilobytes
    answer = await (await send_picture(page, out.getvalue())).json()
    assert answer["problem"] == "too_many_pixels" and emu.pending_updates == 0


async def test_a_strip_far_longer_than_it_is_wide_is_refused_as_telegram_refuses_it(page, emu):
    answer = await (await send_picture(page, _png(2100, 100))).json()
    assert answer["problem"] == "bad_shape" and emu.pending_updates == 0


async def test_a_caption_longer_than_telegram_allows_is_refused(page, emu):
    answer = await (await send_picture(page, _png(50, 50), caption="а" * 1025)).json()
    assert answer["problem"] == "caption_too_long" and emu.pending_updates == 0


async def test_the_page_gets_the_photo_of_its_own_chat_and_no_other(page, emu):
    await send_picture(page, _png(900, 600))
    [message] = (await changes(page))["messages"]
    file_id = message["photo"][-1]["file_id"]
    own = await page.get("/api/file", params={"user_id": USER, "file_id": file_id})
    assert (own.status, own.content_type) == (200, "image/jpeg")
    assert Image.open(io.BytesIO(await own.read())).size == (900, 600)
    emu.add_user(USER + 1)
    other = await page.get("/api/file", params={"user_id": USER + 1, "file_id": file_id})
    assert other.status == 404
    assert (await page.get("/api/file", params={"user_id": USER, "file_id": "document-1"})).status == 404


async def test_page_has_a_picture_button_that_offers_the_camera_or_the_gallery(page):
    html = await (await page.get("/")).text()
    assert re.search(r'<input[^>]*type="file"[^>]*accept="image/\*"', html)
    assert 'capture' not in html  # `capture` would open only the camera, never the gallery
    assert 'id="attach"' in html


async def test_the_page_can_say_every_reason_a_picture_is_refused_in_kazakh_and_russian(page):
    script = await (await page.get("/static/chat.js")).text()
    for problem in (*PROBLEMS, "caption_too_long", "failed"):
        assert len(re.findall(rf"\b{problem}: \"[^\"]+\"", script)) == 2, problem  # one kk, one ru text


async def test_a_picture_the_bot_sends_keeps_its_own_shape_and_the_page_can_show_it(page, bot):
    await send(page, "/stats")
    await bot.send_photo(USER, BufferedInputFile(_png(800, 300), filename="chart.png"))
    [photo] = [m for m in (await changes(page))["messages"] if m["from"]["is_bot"]][0]["photo"]
    assert (photo["width"], photo["height"]) == (800, 300)
    shown = await page.get("/api/file", params={"user_id": USER, "file_id": photo["file_id"]})
    assert (shown.status, shown.content_type) == (200, "image/png")
