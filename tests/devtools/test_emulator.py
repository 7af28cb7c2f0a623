"""The Bot API emulator, driven by the real aiogram Bot over HTTP, as the bot's tests will use it."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import pytest
from aiogram import Bot, Dispatcher
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    InaccessibleMessage,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from bot.devtools.devserver import BotAPIEmulator, EmulatorSession, origin_channel, origin_hidden_user

USER = 424242
OTHER_USER = 515151


@pytest.fixture
async def emu() -> AsyncIterator[BotAPIEmulator]:
    async with BotAPIEmulator() as emulator:
        emulator.add_user(USER)
        yield emulator


@pytest.fixture
async def bot(emu: BotAPIEmulator) -> AsyncIterator[Bot]:
    async with emu.create_bot() as bot:
        yield bot


def keyboard(*callback_data: str) -> InlineKeyboardMarkup:
    buttons = [InlineKeyboardButton(text=data.upper(), callback_data=data) for data in callback_data]
    return InlineKeyboardMarkup(inline_keyboard=[buttons])


@contextlib.asynccontextmanager
async def webhook_receiver(handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_post("/hook", handler)
    async with contextlib.AsyncExitStack() as stack:
        yield await serve(app, stack)


async def serve(app: web.Application, stack: contextlib.AsyncExitStack) -> str:
    runner = web.AppRunner(app)
    await runner.setup()
    stack.push_async_callback(runner.cleanup)
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    return f"http://{host}:{port}/hook"


# --- identity and routing ---------------------------------------------------------------


async def test_get_me_returns_the_emulated_bot(bot):
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (7000000001, "saqbol_dev_bot", True)


async def test_token_of_another_bot_is_unauthorized(emu):
    async with Bot("123:other-bot", session=EmulatorSession(api=emu.api_server)) as stranger:
        with pytest.raises(TelegramUnauthorizedError):
            await stranger.get_me()


async def test_path_without_a_token_is_not_found(emu):
    async with aiohttp.ClientSession() as http, http.post(f"{emu.base_url}/botnot-a-token/getMe") as response:
        assert (response.status, await response.json()) == (
            404,
            {"ok": False, "error_code": 404, "description": "Not Found"},
        )


async def test_unknown_method_is_not_found(emu):
    async with aiohttp.ClientSession() as http, http.post(f"{emu.base_url}/bot{emu.token}/flyToTheMoon") as response:
        assert response.status == 404
        assert (await response.json())["description"] == "Not Found: method not found"


async def test_json_body_is_accepted(emu):
    body = {"chat_id": USER, "text": "<b>hi</b>", "parse_mode": "HTML", "reply_markup": {"remove_keyboard": True}}
    async with aiohttp.ClientSession() as http, http.post(f"{emu.base_url}/bot{emu.token}/sendMessage", json=body) as response:
        assert (await response.json())["result"]["text"] == "hi"


# --- sending and formatting -------------------------------------------------------------


async def test_sent_message_appears_in_bot_messages(emu, bot):
    sent = await bot.send_message(USER, "Привет")
    assert [(m["message_id"], m["text"]) for m in emu.bot_messages(USER)] == [(sent.message_id, "Привет")]


async def test_html_is_parsed_into_text_and_entities_like_telegram(bot):
    sent = await bot.send_message(USER, "<b>Риск</b> &lt;высокий&gt; &amp; всё", parse_mode="HTML")
    assert sent.text == "Риск <высокий> & всё"
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [("bold", 0, 4)]


async def test_unbalanced_html_is_a_bad_request(bot):
    with pytest.raises(TelegramBadRequest, match="can't parse entities: Can't find end tag"):
        await bot.send_message(USER, "<b>Риск", parse_mode="HTML")


async def test_unescaped_angle_bracket_is_a_bad_request(bot):
    with pytest.raises(TelegramBadRequest, match='Unsupported start tag ""'):
        await bot.send_message(USER, "сумма < 5000", parse_mode="HTML")


async def test_text_over_4096_characters_is_too_long(bot):
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(USER, "я" * 4097)


async def test_tags_do_not_count_towards_the_length_limit(bot):
    sent = await bot.send_message(USER, "<b>" + "я" * 4096 + "</b>", parse_mode="HTML")
    assert len(sent.text) == 4096


async def test_blank_text_is_empty(bot):
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(USER, " <b> </b> ", parse_mode="HTML")


async def test_unknown_chat_is_not_found(bot):
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(999, "кто здесь?")


async def test_callback_data_over_64_bytes_is_invalid(bot):
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(USER, "Выбор", reply_markup=keyboard("ж" * 33))


async def test_reply_to_a_user_message_includes_it(emu, bot):
    question = emu.send_text(USER, "Это мошенники?")
    answer = await bot.send_message(USER, "Да", reply_to_message_id=question["message_id"])
    assert answer.reply_to_message.text == "Это мошенники?"


async def test_reply_keyboard_is_kept_for_the_chat_until_removed(emu, bot):
    buttons = ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text="Проверить")]], resize_keyboard=True)
    menu = await bot.send_message(USER, "Меню", reply_markup=buttons)
    assert menu.reply_markup is None  # Telegram's Message carries inline keyboards only
    assert emu.reply_keyboard(USER)["keyboard"] == [[{"text": "Проверить"}]]
    await bot.send_message(USER, "Скрыто", reply_markup=ReplyKeyboardRemove())
    assert emu.reply_keyboard(USER) is None


# --- editing and deleting ---------------------------------------------------------------


async def test_edit_replaces_the_text_in_place(emu, bot):
    sent = await bot.send_message(USER, "Проверяю…")
    edited = await bot.edit_message_text("Готово", chat_id=USER, message_id=sent.message_id)
    assert edited.edit_date is not None
    assert [m["text"] for m in emu.bot_messages(USER)] == ["Готово"]


async def test_edit_without_markup_removes_the_inline_keyboard(emu, bot):
    sent = await bot.send_message(USER, "Вопрос", reply_markup=keyboard("yes"))
    await bot.edit_message_text("Ответ", chat_id=USER, message_id=sent.message_id)
    assert "reply_markup" not in emu.bot_messages(USER)[0]


async def test_identical_markup_edit_is_not_modified(bot):
    sent = await bot.send_message(USER, "Вопрос", reply_markup=keyboard("yes"))
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_reply_markup(chat_id=USER, message_id=sent.message_id, reply_markup=keyboard("yes"))


async def test_deleted_message_leaves_bot_messages(emu, bot):
    sent = await bot.send_message(USER, "Временно")
    await bot.delete_message(USER, sent.message_id)
    assert emu.bot_messages(USER) == []


# --- buttons ----------------------------------------------------------------------------


async def test_press_arrives_as_a_callback_query_update(emu, bot):
    sent = await bot.send_message(USER, "Вопрос", reply_markup=keyboard("yes", "no"))
    emu.press(USER, sent.message_id, "no")
    [update] = await bot.get_updates()
    assert update.callback_query.data == "no"
    assert update.callback_query.message.message_id == sent.message_id
    assert update.callback_query.from_user.id == USER


async def test_press_refuses_data_that_no_button_carries(emu, bot):
    sent = await bot.send_message(USER, "Вопрос", reply_markup=keyboard("yes"))
    with pytest.raises(ValueError, match="no inline button"):
        emu.press(USER, sent.message_id, "forged")


async def test_press_refuses_a_message_the_chat_does_not_have(emu):
    with pytest.raises(LookupError, match="has no bot message 77"):
        emu.press(USER, 77, "yes")


async def test_forced_press_on_a_missing_message_is_inaccessible(emu, bot):
    emu.press(USER, 777, "stale", force=True)
    [update] = await bot.get_updates()
    assert isinstance(update.callback_query.message, InaccessibleMessage)


async def test_callback_answer_is_recorded(emu, bot):
    sent = await bot.send_message(USER, "Вопрос", reply_markup=keyboard("yes"))
    query = emu.press(USER, sent.message_id, "yes")
    await bot.answer_callback_query(query["id"], text="Принято", show_alert=True)
    answer = emu.callback_answers[-1]
    assert (answer["callback_query_id"], answer["text"], answer["show_alert"]) == (query["id"], "Принято", True)


async def test_second_answer_to_a_query_is_too_old(emu, bot):
    sent = await bot.send_message(USER, "Вопрос", reply_markup=keyboard("yes"))
    query = emu.press(USER, sent.message_id, "yes")
    await bot.answer_callback_query(query["id"])
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query["id"])


# --- updates ----------------------------------------------------------------------------


async def test_forward_carries_its_origin(emu, bot):
    emu.send_forward(USER, "Ваша карта заблокирована", origin=origin_channel("Kaspi News", "kaspi_news"))
    emu.send_forward(USER, "Переведите деньги", origin=origin_hidden_user("Служба безопасности"))
    channel, hidden = [update.message.forward_origin for update in await bot.get_updates()]
    assert (channel.type, channel.chat.title) == ("channel", "Kaspi News")
    assert (hidden.type, hidden.sender_user_name) == ("hidden_user", "Служба безопасности")


async def test_command_text_gets_a_bot_command_entity(emu, bot):
    emu.send_text(USER, "/start ref")
    [update] = await bot.get_updates()
    assert [(e.type, e.length) for e in update.message.entities] == [("bot_command", 6)]


async def test_media_messages_parse_in_aiogram(emu, bot):
    emu.send_sticker(USER)
    emu.send_voice(USER)
    emu.send_document(USER, file_name="договор.pdf", caption="подпишите")
    emu.send_location(USER)
    messages = [update.message for update in await bot.get_updates()]
    assert [m.content_type for m in messages] == ["sticker", "voice", "document", "location"]


async def test_long_poll_returns_as_soon_as_an_update_arrives(emu, bot):
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await emu.wait_until(lambda: emu.is_polling)
    emu.send_text(USER, "срочно")
    [update] = await poll
    assert update.message.text == "срочно"
    assert time.monotonic() - started < 2


async def test_offset_confirms_earlier_updates(emu, bot):
    emu.send_text(USER, "первое")
    [first] = await bot.get_updates()
    emu.send_text(USER, "второе")
    assert [u.message.text for u in await bot.get_updates(offset=first.update_id + 1)] == ["второе"]
    assert emu.pending_updates == 1


async def test_second_poll_ends_the_first_with_a_conflict(emu, bot):
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await emu.wait_until(lambda: emu.is_polling)
    second = asyncio.create_task(bot.get_updates(timeout=5))
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates request"):
        await first
    emu.send_text(USER, "ok")
    assert len(await second) == 1


async def test_next_message_timeout_lists_what_the_chat_got(emu, bot):
    await bot.send_message(USER, "первый ответ")
    await emu.next_message(USER)
    emu.fail("sendMessage", error_code=400, description="Bad Request: can't parse entities: test")
    with pytest.raises(TelegramBadRequest):
        await bot.send_message(USER, "второй")
    with pytest.raises(TimeoutError, match=r"первый ответ.*sendMessage → 400 Bad Request: can't parse entities"):
        await emu.next_message(USER, timeout=0.05)


# --- faults -----------------------------------------------------------------------------


async def test_fail_429_raises_retry_after(emu, bot):
    emu.fail("sendMessage", error_code=429, retry_after=1)
    with pytest.raises(TelegramRetryAfter) as raised:
        await bot.send_message(USER, "x")
    assert raised.value.retry_after == 1
    assert "Too Many Requests: retry after 1" in str(raised.value)


async def test_fail_403_raises_forbidden(emu, bot):
    emu.fail("sendMessage", error_code=403)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(USER, "x")


async def test_fail_400_raises_bad_request_chat_not_found(emu, bot):
    emu.fail("sendMessage", error_code=400)
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(USER, "x")


async def test_fail_500_raises_server_error(emu, bot):
    emu.fail("sendMessage", error_code=500)
    with pytest.raises(TelegramServerError, match="Internal Server Error"):
        await bot.send_message(USER, "x")


async def test_fail_is_used_up_after_its_times(emu, bot):
    emu.fail("sendMessage", error_code=502, times=2)
    for _ in range(2):
        with pytest.raises(TelegramServerError, match="Bad Gateway"):
            await bot.send_message(USER, "x")
    assert (await bot.send_message(USER, "x")).text == "x"


async def test_fail_for_one_chat_spares_the_others(emu, bot):
    emu.add_user(OTHER_USER)
    emu.fail("sendMessage", error_code=403, chat_id=OTHER_USER)
    await bot.send_message(USER, "x")
    with pytest.raises(TelegramForbiddenError):
        await bot.send_message(OTHER_USER, "x")


async def test_drop_raises_network_error(emu, bot):
    emu.drop("sendMessage")
    with pytest.raises(TelegramNetworkError):
        await bot.send_message(USER, "x")
    assert emu.bot_messages(USER) == []


async def test_delay_holds_the_answer(emu, bot):
    emu.delay("getMe", 0.3)
    started = time.monotonic()
    await bot.get_me()
    assert time.monotonic() - started >= 0.3


async def test_a_delayed_call_is_still_carried_out_when_its_client_gives_up(emu, bot):
    """As in Telegram, a request that arrived is executed even if the client is gone by the
    time it is answered: the broadcast engine's crash test relies on it."""
    emu.delay("sendMessage", 0.5)
    with pytest.raises(TelegramNetworkError, match="timeout"):
        await bot.send_message(USER, "kept", request_timeout=0.1)
    await emu.wait_until(lambda: len(emu.bot_messages(USER)) == 1, timeout=5.0)
    assert emu.bot_messages(USER)[0]["text"] == "kept"


async def test_blocked_user_makes_every_send_forbidden(emu, bot):
    emu.block(USER)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_chat_action(USER, "typing")


async def test_requests_are_recorded_with_status_and_chat(emu, bot):
    emu.fail("sendMessage", error_code=403)
    with pytest.raises(TelegramForbiddenError):
        await bot.send_message(USER, "x")
    record = emu.requests[-1]
    assert (record.method, record.status, record.chat_id, record.params["text"]) == ("sendMessage", 403, USER, "x")


async def test_requests_can_go_unrecorded_for_load_tests():
    async with BotAPIEmulator(record_requests=False) as emulator, emulator.create_bot() as bot:
        await bot.get_me()
        assert emulator.requests == []


# --- files ------------------------------------------------------------------------------


async def test_photo_upload_goes_multipart_and_downloads_back(emu, bot):
    sent = await bot.send_photo(USER, BufferedInputFile(b"\x89PNG fake", "screen.png"), caption="<i>скрин</i>", parse_mode="HTML")
    assert sent.caption == "скрин"
    downloaded = await bot.download(sent.photo[-1].file_id)
    assert downloaded.read() == b"\x89PNG fake"


async def test_caption_over_1024_characters_is_too_long(bot):
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await bot.send_photo(USER, BufferedInputFile(b"x", "x.png"), caption="я" * 1025)


async def test_user_photo_downloads_with_get_file(emu, bot):
    emu.send_photo(USER, image=b"JPEG bytes", caption="что это?")
    [update] = await bot.get_updates()
    file = await bot.get_file(update.message.photo[-1].file_id)
    assert (await bot.download_file(file.file_path)).read() == b"JPEG bytes"


async def test_document_keeps_its_name_and_type(emu, bot):
    sent = await bot.send_document(USER, BufferedInputFile(b"%PDF", "памятка.pdf"))
    assert (sent.document.file_name, sent.document.mime_type) == ("памятка.pdf", "application/pdf")


# --- settings ---------------------------------------------------------------------------


async def test_commands_are_kept_per_language(emu, bot):
    await bot.set_my_commands([BotCommand(command="start", description="Бастау")], language_code="kk")
    assert emu.my_commands(language_code="kk") == [{"command": "start", "description": "Бастау"}]
    assert await bot.get_my_commands() == []


async def test_chat_action_is_recorded(emu, bot):
    await bot.send_chat_action(USER, "typing")
    assert emu.chat_actions[-1]["action"] == "typing"


async def test_get_chat_describes_the_private_chat(bot):
    chat = await bot.get_chat(USER)
    assert (chat.id, chat.type, chat.first_name) == (USER, "private", "Test")


# --- webhook ----------------------------------------------------------------------------


async def test_webhook_receives_updates_with_the_secret_header(emu, bot):
    received: asyncio.Queue[tuple[str | None, dict]] = asyncio.Queue()

    async def hook(request: web.Request) -> web.Response:
        await received.put((request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json()))
        return web.json_response({})

    async with webhook_receiver(hook) as url:
        await bot.set_webhook(url, secret_token="s3cret")
        emu.send_text(USER, "через вебхук")
        secret, update = await asyncio.wait_for(received.get(), 5)
    assert secret == "s3cret"
    assert update["message"]["text"] == "через вебхук"


async def test_get_updates_conflicts_while_a_webhook_is_set(bot):
    await bot.set_webhook("http://127.0.0.1:9/hook")
    with pytest.raises(TelegramConflictError, match="webhook is active"):
        await bot.get_updates()


async def test_webhook_retries_until_the_receiver_accepts(emu, bot):
    answers = iter([500, 200])

    async def flaky(request: web.Request) -> web.Response:
        return web.json_response({}, status=next(answers))

    async with webhook_receiver(flaky) as url:
        await bot.set_webhook(url)
        emu.send_text(USER, "повтори")
        await emu.wait_until(lambda: emu.pending_updates == 0, timeout=5)
        info = await bot.get_webhook_info()
    assert info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"


async def test_webhook_answer_with_a_method_is_executed(emu, bot):
    dispatcher = Dispatcher()

    @dispatcher.message()
    async def echo(message: Message) -> object:
        return message.answer(f"эхо: {message.text}")

    app = web.Application()
    SimpleRequestHandler(dispatcher, bot, handle_in_background=False).register(app, path="/hook")
    async with contextlib.AsyncExitStack() as stack:
        await bot.set_webhook(await serve(app, stack))
        emu.send_text(USER, "привет")
        assert (await emu.next_message(USER, timeout=5))["text"] == "эхо: привет"
