"""The emulator's webhook as Telegram and a load balancer deliver it: round-robin to several bot
processes, many requests at once but one at a time per chat, a failed POST sent again to the
next replica. The replica tests of the bot (tests/app/test_replicas.py) rely on each of these."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web

from bot.devtools.devserver.emulator import BotAPIEmulator

KK, RU = "Сәлем, кодты айтыңыз", "Здравствуйте, назовите код"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@contextlib.asynccontextmanager
async def receivers(*handlers: Handler) -> AsyncIterator[list[str]]:
    """One small web server per handler, each a 'replica'; yields their webhook URLs."""
    async with contextlib.AsyncExitStack() as stack:
        urls = []
        for handler in handlers:
            app = web.Application()
            app.router.add_post("/telegram/webhook", handler)
            runner = web.AppRunner(app)
            await runner.setup()
            stack.push_async_callback(runner.cleanup)
            await web.TCPSite(runner, "127.0.0.1", 0).start()
            host, port = runner.addresses[0][:2]
            urls.append(f"http://{host}:{port}/telegram/webhook")
        yield urls


def closed_port_url() -> str:
    """A URL nothing listens on: a replica that is down."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/telegram/webhook"


class Recorder:
    """A webhook that takes ``seconds`` per update and writes down who got what, and when."""

    def __init__(self, seconds: float = 0.0) -> None:
        self.seconds = seconds
        self.got: dict[str, list[dict]] = defaultdict(list)
        self.spans: list[tuple[int, str, float, float]] = []  # chat, text, start, end
        self.open = self.most_open = 0

    def handler(self, name: str) -> Handler:
        async def handle(request: web.Request) -> web.Response:
            update = await request.json()
            self.open += 1
            self.most_open = max(self.most_open, self.open)
            started = time.monotonic()
            try:
                await asyncio.sleep(self.seconds)
            finally:
                self.open -= 1
            message = update["message"]
            self.spans.append((message["chat"]["id"], message["text"], started, time.monotonic()))
            self.got[name].append(update)
            return web.json_response({})
        return handle


def users(emulator: BotAPIEmulator, count: int, first: int = 91000) -> list[int]:
    """``count`` users, Kazakh and Russian in turn."""
    ids = [first + n for n in range(count)]
    for n, user in enumerate(ids):
        emulator.add_user(user, language_code="kk" if n % 2 else "ru")
    return ids


def text_of(user: int, n: int) -> str:
    return f"{KK if user % 2 else RU} #{n}"


async def test_updates_are_posted_round_robin_to_every_replica(tmp_path):
    recorder = Recorder()
    async with receivers(*(recorder.handler(name) for name in "abc")) as urls:
        async with BotAPIEmulator(webhook_replicas=urls) as emulator, emulator.create_bot() as bot:
            await bot.set_webhook("https://saqbol.example/telegram/webhook")
            for user in users(emulator, 30):
                emulator.send_text(user, text_of(user, 0))
            await emulator.wait_until(lambda: emulator.pending_updates == 0, timeout=10)
            info = await bot.get_webhook_info()
            assert emulator.webhook is not None
            assert emulator.webhook.deliveries == {url: 10 for url in urls}
            routes = emulator.webhook.routes
            assert [routes[update_id] for update_id in sorted(routes)] == urls * 10  # a, b, c, a, b, c…
    assert {name: len(got) for name, got in recorder.got.items()} == {"a": 10, "b": 10, "c": 10}
    assert info.url == "https://saqbol.example/telegram/webhook"  # what the bot registered, not the replicas


async def test_one_persons_updates_arrive_in_order_one_at_a_time_while_people_are_served_side_by_side():
    recorder = Recorder(seconds=0.05)
    async with receivers(*(recorder.handler(name) for name in "abc")) as urls:
        async with BotAPIEmulator(webhook_replicas=urls) as emulator, emulator.create_bot() as bot:
            await bot.set_webhook("https://saqbol.example/telegram/webhook")
            people = users(emulator, 8)
            for n in range(5):
                for user in people:
                    emulator.send_text(user, text_of(user, n))
            await emulator.wait_until(lambda: emulator.pending_updates == 0, timeout=20)
    by_chat: dict[int, list[tuple[str, float, float]]] = defaultdict(list)
    for chat, text, started, ended in recorder.spans:
        by_chat[chat].append((text, started, ended))
    assert set(by_chat) == set(people)
    for chat, spans in by_chat.items():
        spans.sort(key=lambda span: span[1])
        assert [text for text, _, _ in spans] == [text_of(chat, n) for n in range(5)]  # in the order sent
        for (_, _, ended), (_, next_started, _) in zip(spans, spans[1:]):
            assert next_started >= ended, f"two updates of chat {chat} were in flight at once"
    assert recorder.most_open == 8  # everybody at once: one request per person


async def test_no_more_requests_are_open_at_once_than_max_connections():
    recorder = Recorder(seconds=0.05)
    async with receivers(recorder.handler("a")) as urls:
        async with BotAPIEmulator() as emulator, emulator.create_bot() as bot:
            await bot.set_webhook(urls[0], max_connections=3)
            for user in users(emulator, 12):
                emulator.send_text(user, text_of(user, 0))
            await emulator.wait_until(lambda: emulator.pending_updates == 0, timeout=10)
            info = await bot.get_webhook_info()
    assert recorder.most_open == 3
    assert len(recorder.got["a"]) == 12
    assert info.max_connections == 3


async def test_an_update_a_replica_fails_goes_to_the_next_one_and_is_delivered_once():
    recorder = Recorder()

    async def broken(request: web.Request) -> web.Response:
        return web.json_response({}, status=502)

    async with receivers(recorder.handler("a"), broken) as urls:
        replicas = [urls[0], urls[1], closed_port_url()]  # one answers 502, one is down
        async with BotAPIEmulator(webhook_replicas=replicas) as emulator, emulator.create_bot() as bot:
            await bot.set_webhook("https://saqbol.example/telegram/webhook", secret_token="s3cret")
            people = users(emulator, 6)
            for user in people:
                emulator.send_text(user, text_of(user, 0))
            await emulator.wait_until(lambda: emulator.pending_updates == 0, timeout=10)
            info = await bot.get_webhook_info()
    delivered = sorted(update["message"]["chat"]["id"] for update in recorder.got["a"])
    assert delivered == people  # each exactly once, by the one replica that works
    assert info.last_error_message is not None


async def test_a_second_replica_setting_the_same_webhook_keeps_the_delivery_running():
    recorder = Recorder()
    async with receivers(recorder.handler("a"), recorder.handler("b")) as urls:
        async with BotAPIEmulator(webhook_replicas=urls) as emulator, emulator.create_bot() as bot:
            await bot.set_webhook("https://saqbol.example/telegram/webhook", secret_token="s3cret")
            pusher = emulator.webhook
            await bot.set_webhook("https://saqbol.example/telegram/webhook", secret_token="s3cret")
            assert emulator.webhook is pusher
            for user in users(emulator, 4):
                emulator.send_text(user, text_of(user, 0))
            await emulator.wait_until(lambda: emulator.pending_updates == 0, timeout=10)
            await bot.set_webhook("https://saqbol.example/telegram/webhook", secret_token="other")
            assert emulator.webhook is not pusher  # a changed secret is a new webhook
    assert sum(len(got) for got in recorder.got.values()) == 4
