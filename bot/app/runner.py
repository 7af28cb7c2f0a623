"""`python -m bot run`: long polling, a webhook server, or the local demo.

- BOT_TOKEN set, WEBHOOK_URL unset: long polling against Telegram (`bot.telegram.inbox.Poller`: the
  offset is advanced only after handling, so a crash loses no message).
- BOT_TOKEN and WEBHOOK_URL set: an aiohttp server receives Telegram's POSTs and answers each
  only after handling it, so Telegram sends again what a crash interrupted.
- no BOT_TOKEN: the local Bot API emulator plus a web chat on http://127.0.0.1:8080, so
  anybody can try the bot in a browser without Telegram.

**A clean stop.** SIGTERM (what ``docker stop`` sends) and SIGINT (Ctrl+C) stop taking updates,
give the handlers in flight up to `HANDLER_GRACE` seconds, let the alert engine write its sends
in flight, close the classifier and OCR processes and the database, and exit 0. A second
signal stops at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Iterator

from aiogram import Bot, Dispatcher
from aiogram.webhook.aiohttp_server import setup_application
from aiohttp import web

from bot.app.dispatcher import Deps, broadcasting, create_bot, create_dispatcher, heartbeat, open_deps, set_commands
from bot.config import Settings
from bot.telegram.inbox import HANDLER_GRACE, Inbox, Poller, SafeRequestHandler

log = logging.getLogger(__name__)

DEMO_TOKEN = "7000000001:SaqBol-local-demo-token-not-for-telegram"
WEBHOOK_PATH = "/telegram/webhook"
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


@contextlib.contextmanager
def stop_on_signals(stop: asyncio.Event) -> Iterator[None]:
    """SIGTERM and SIGINT set ``stop``; a second one cancels the bot at once. The handlers that
    were there before come back afterwards."""
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()
    installed: list[tuple[signal.Signals, object]] = []

    def on_signal(sig: signal.Signals) -> None:
        if stop.is_set():
            log.warning("%s again: stopping at once", sig.name)
            if main is not None:
                main.cancel()
            return
        log.info("%s: stopping (handlers in flight get %.0f s; send it again to stop at once)", sig.name,
                 HANDLER_GRACE)
        stop.set()

    for sig in STOP_SIGNALS:
        try:
            previous = signal.getsignal(sig)
            loop.add_signal_handler(sig, on_signal, sig)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or Windows
            continue
        installed.append((sig, previous))
    try:
        yield
    finally:
        for sig, previous in installed:
            loop.remove_signal_handler(sig)
            with contextlib.suppress(TypeError, ValueError):
                signal.signal(sig, previous)  # type: ignore[arg-type]


async def _until(stop: asyncio.Event, task: asyncio.Task[None]) -> None:
    """Until ``stop`` is set or ``task`` ends (its exception, if any, is raised)."""
    stopped = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({stopped, task}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped.cancel()
    if task.done():
        task.result()


async def _serve(runner: web.AppRunner, host: str, port: int, stop: asyncio.Event) -> None:
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        await stop.wait()
    finally:
        await runner.cleanup()


async def poll(bot: Bot, dp: Dispatcher, inbox: Inbox, stop: asyncio.Event, *, polling_timeout: int = 10) -> None:
    """Long polling until ``stop``; then the handlers in flight get `HANDLER_GRACE` seconds."""
    await bot.delete_webhook(drop_pending_updates=False)
    poller = Poller(dp, bot, inbox, polling_timeout=polling_timeout, allowed_updates=dp.resolve_used_update_types())
    polling = asyncio.create_task(poller.run(), name="polling")
    try:
        await _until(stop, polling)
    finally:
        poller.stop()
        with contextlib.suppress(asyncio.CancelledError):
            await polling
        log.info("polling stopped; waiting for the handlers in flight")
        await poller.drain(HANDLER_GRACE)


async def _webhook(bot: Bot, dp: Dispatcher, settings: Settings, stop: asyncio.Event) -> None:
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    app = web.Application()
    SafeRequestHandler(dp, bot, secret_token=secret).register(app, path=WEBHOOK_PATH)
    setup_application(app, dp, bot=bot)
    # On stop the server waits HANDLER_GRACE for requests in flight; one cut short is not
    # answered 200, so Telegram sends its update again after the restart.
    runner = web.AppRunner(app, shutdown_timeout=HANDLER_GRACE)
    await runner.setup()
    try:
        await web.TCPSite(runner, settings.webhook_host, settings.webhook_port).start()
        await bot.set_webhook(settings.webhook_url, secret_token=secret,
                              allowed_updates=dp.resolve_used_update_types())
        log.info("webhook server on %s:%d%s, Telegram posts to %s",
                 settings.webhook_host, settings.webhook_port, WEBHOOK_PATH, settings.webhook_url)
        await stop.wait()
    finally:
        await runner.cleanup()


async def _demo(settings: Settings, dp: Dispatcher, deps: Deps, stop: asyncio.Event) -> None:
    from bot.devtools.devserver.demo import create_demo_app
    from bot.devtools.devserver.emulator import BotAPIEmulator

    async with BotAPIEmulator() as emulator:
        bot = create_bot(settings, DEMO_TOKEN, api_url=emulator.base_url)
        try:
            async with broadcasting(settings, deps, dp, bot, DEMO_TOKEN, emulator.base_url):
                await set_commands(bot, deps.i18n)
                page_stop = asyncio.Event()
                page = asyncio.create_task(_serve(web.AppRunner(create_demo_app(emulator), shutdown_timeout=1.0),
                                                  settings.demo_host, settings.demo_port, page_stop))
                print(f"SaqBol demo: open http://{settings.demo_host}:{settings.demo_port} in a browser "
                      "(no BOT_TOKEN set, so the bot talks to a local Telegram emulator). Ctrl+C stops it.", flush=True)
                try:
                    await poll(bot, dp, deps.inbox, stop)
                finally:
                    page_stop.set()
                    with contextlib.suppress(asyncio.CancelledError):
                        await page
                log.info("stopping the alert engine")
        finally:
            await bot.session.close()


async def run(settings: Settings) -> None:
    """The bot until SIGTERM or SIGINT (or until cancelled); see the module doc."""
    stop = asyncio.Event()
    with stop_on_signals(stop):
        async with open_deps(settings) as deps:
            await deps.ocr.warm_up()  # the first picture should not wait for the readers to start
            dp = create_dispatcher(settings, deps)
            beat = asyncio.create_task(heartbeat(settings))
            try:
                if settings.bot_token is None:
                    await _demo(settings, dp, deps, stop)
                else:
                    await _telegram(settings, dp, deps, stop)
            finally:
                beat.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await beat
                log.info("closing the classifier, the OCR readers and the database")
    log.info("stopped")


async def _telegram(settings: Settings, dp: Dispatcher, deps: Deps, stop: asyncio.Event) -> None:
    assert settings.bot_token is not None
    token = settings.bot_token.get_secret_value()
    bot = create_bot(settings, token)
    try:
        async with broadcasting(settings, deps, dp, bot, token):
            await set_commands(bot, deps.i18n)
            if settings.webhook_url:
                await _webhook(bot, dp, settings, stop)
            else:
                await poll(bot, dp, deps.inbox, stop)
            log.info("stopping the alert engine")
    finally:
        await bot.session.close()
