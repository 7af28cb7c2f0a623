"""`python -m bot run` with a BOT_TOKEN: long polling or a webhook server.

- BOT_TOKEN set, WEBHOOK_URL unset: long polling against Telegram (`bot.telegram.inbox.Poller`: the
  offset is advanced only after handling, so a crash loses no message).
- BOT_TOKEN and WEBHOOK_URL set: an aiohttp server receives Telegram's POSTs and answers each
  only after handling it, so Telegram sends again what a crash interrupted. The same server
  answers GET /healthz (liveness) and GET /readyz (readiness: the database, Redis when set and
  the classifier answer), for the load balancer and the orchestrator in front of replicas
  (deploy/), and GET /metrics for Prometheus (`bot.app.scraping`), and the officers' dashboard
  under /panel/ (`bot.panel`): `web_routes`, one place for every route that is not Telegram's.
  With long polling these are served by a server of their own on PANEL_HOST:PANEL_PORT
  (`web_server`), and so in the demo.
- no BOT_TOKEN: the local demo, which is a development tool and lives in
  `bot.devtools.demo_mode`; `bot.cli` starts it, passing its own ``serve`` to `run`. The product
  never imports `bot.devtools`, so a deployment needs neither the emulator nor the demo page.

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
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

from aiogram import Bot, Dispatcher
from aiogram.webhook.aiohttp_server import setup_application
from aiohttp import web

from bot.alerts import BroadcastsRepo
from bot.app.dispatcher import (Deps, broadcasting, create_bot, create_dispatcher, heartbeat, noticing, open_deps,
                                set_commands)
from bot.app.scraping import add_metrics_route
from bot.config import Settings
from bot.panel.app import MAX_BODY, Panel, add_panel_routes
from bot.panel.approvals import telegram_approvals
from bot.telegram.inbox import HANDLER_GRACE, Inbox, Poller, SafeRequestHandler

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
READY_TIMEOUT = 2.0  # seconds each part gets to answer a readiness check
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


async def until_stopped(stop: asyncio.Event, task: asyncio.Task[None]) -> None:
    """Until ``stop`` is set or ``task`` ends (its exception, if any, is raised)."""
    stopped = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({stopped, task}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped.cancel()
    if task.done():
        task.result()


async def poll(bot: Bot, dp: Dispatcher, inbox: Inbox, stop: asyncio.Event, *, polling_timeout: int = 10) -> None:
    """Long polling until ``stop``; then the handlers in flight get `HANDLER_GRACE` seconds."""
    await bot.delete_webhook(drop_pending_updates=False)
    poller = Poller(dp, bot, inbox, polling_timeout=polling_timeout, allowed_updates=dp.resolve_used_update_types())
    polling = asyncio.create_task(poller.run(), name="polling")
    try:
        await until_stopped(stop, polling)
    finally:
        poller.stop()
        with contextlib.suppress(asyncio.CancelledError):
            await polling
        log.info("polling stopped; waiting for the handlers in flight")
        await poller.drain(HANDLER_GRACE)


Probe = Callable[[], Awaitable[object]]
"""One readiness check: returns when the part answers, raises (or returns False) when it does not."""


def readiness_probes(deps: Deps) -> dict[str, Probe]:
    """What must answer before this replica takes updates: the database (``SELECT 1``), Redis
    when REDIS_URL is set (the replicas' shared state), and the classifier process (one short
    text through the same queue users' texts take)."""
    probes: dict[str, Probe] = {
        "database": lambda: deps.db.fetchval("SELECT 1"),
        "classifier": lambda: deps.checker.check("SaqBol"),
    }
    if deps.redis is not None:
        probes["redis"] = deps.redis.ping
    return probes


async def _probe(name: str, probe: Probe, timeout: float) -> str | None:
    """None when ``probe`` answers within ``timeout``, else a short reason (the details go to the log)."""
    try:
        async with asyncio.timeout(timeout):
            answer = await probe()
    except TimeoutError:
        log.warning("readiness: %s did not answer within %.0f s", name, timeout)
        return f"no answer within {timeout:g} s"
    except Exception as exc:  # noqa: BLE001 - any failure of a part means "not ready", with its reason
        log.warning("readiness: %s failed: %s: %s", name, type(exc).__name__, exc)
        return f"failed ({type(exc).__name__})"
    if answer is False:
        return "not answering"
    return None


def add_health_routes(app: web.Application, probes: dict[str, Probe], *, timeout: float = READY_TIMEOUT) -> None:
    """GET `HEALTH_PATH`: liveness, 200 while the process serves HTTP at all (a container
    orchestrator restarts it otherwise). GET `READY_PATH`: readiness, 200 when every probe
    answers within ``timeout`` seconds, else 503 with ``{"ready": false, "failing": {part: reason}}``,
    so a load balancer sends updates only to replicas that can handle them. Reasons name the
    kind of failure, never a host or a password: the endpoint is reachable from outside."""

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"alive": True})

    async def readyz(request: web.Request) -> web.Response:
        names = list(probes)
        reasons = await asyncio.gather(*(_probe(name, probes[name], timeout) for name in names))
        failing = {name: reason for name, reason in zip(names, reasons, strict=True) if reason is not None}
        if failing:
            return web.json_response({"ready": False, "failing": failing}, status=503)
        return web.json_response({"ready": True, "checked": names})

    app.router.add_get(HEALTH_PATH, healthz)
    app.router.add_get(READY_PATH, readyz)


def dashboard(deps: Deps, dp: Dispatcher, bot: Bot | None) -> Panel:
    """The officers' dashboard over the bot's services: alerts are submitted through the alert
    engine's service once it runs (``dp["alerts"]``), approvers asked through ``bot``."""
    assert deps.signin is not None, "open_deps builds the sign-in service"
    return Panel(deps.signin, deps.repos, BroadcastsRepo(deps.db), deps.knowledge, alerts=dp.get("alerts"),
                 waves=dp.get("waves"),
                 ask_approval=telegram_approvals(bot, deps.i18n, deps.knowledge) if bot is not None else None)


def web_routes(app: web.Application, deps: Deps, dp: Dispatcher, bot: Bot | None) -> None:
    """Every route the bot serves besides Telegram's webhook, on whichever server serves them:
    health and readiness, Prometheus' /metrics, the officers' dashboard."""
    add_health_routes(app, readiness_probes(deps))
    add_metrics_route(app, deps)  # GET /metrics for Prometheus, which scrapes each replica directly
    add_panel_routes(app, dashboard(deps, dp, bot))


@contextlib.asynccontextmanager
async def web_server(settings: Settings, deps: Deps, dp: Dispatcher, bot: Bot | None, *,
                     required: bool = True) -> AsyncIterator[str | None]:
    """With long polling (and in the demo) nothing else listens for HTTP: `web_routes` on a
    server of their own on PANEL_HOST:PANEL_PORT while inside; yields its address. A taken port
    stops the bot with advice, or, where the routes are not ``required`` (the demo), is logged
    and the bot runs without them (yields None)."""
    app = web.Application(client_max_size=MAX_BODY)  # the limit is this app's, not the /panel sub-app's
    web_routes(app, deps, dp, bot)
    runner = web.AppRunner(app, shutdown_timeout=1.0)
    await runner.setup()
    try:
        host, port = settings.panel.host, settings.panel.port
        try:
            await web.TCPSite(runner, host, port).start()
        except OSError as exc:
            if required:
                raise OSError(f"cannot serve the dashboard and /healthz on {host}:{port} ({exc.strerror}): "
                              "set PANEL_PORT to a free port, or PANEL_HOST") from exc
            log.warning("the officers' dashboard is off: %s:%d is taken (%s); set PANEL_PORT", host, port, exc.strerror)
            yield None
            return
        address = f"http://{host}:{runner.addresses[0][1]}"
        log.info("officers' dashboard on %s/panel/ (links point at %s), /healthz, /metrics", address,
                 settings.panel.public_url(None))
        yield address
    finally:
        await runner.cleanup()


async def _webhook(bot: Bot, dp: Dispatcher, deps: Deps, settings: Settings, stop: asyncio.Event) -> None:
    secret = settings.telegram.webhook_secret.get_secret_value() if settings.telegram.webhook_secret else None
    # aiohttp's default body limit (1 MiB), for Telegram's updates; the dashboard's 256 KiB
    # (MAX_BODY) is nginx's in front of this server (deploy/nginx.conf, location /panel/).
    app = web.Application()
    SafeRequestHandler(dp, bot, secret_token=secret).register(app, path=WEBHOOK_PATH)
    web_routes(app, deps, dp, bot)  # /healthz, /readyz, /metrics, /panel/
    setup_application(app, dp, bot=bot)
    # On stop the server waits HANDLER_GRACE for requests in flight; one cut short is not
    # answered 200, so Telegram sends its update again after the restart.
    runner = web.AppRunner(app, shutdown_timeout=HANDLER_GRACE)
    await runner.setup()
    try:
        await web.TCPSite(runner, settings.telegram.webhook_host, settings.telegram.webhook_port).start()
        await bot.set_webhook(settings.telegram.webhook_url, secret_token=secret,
                              allowed_updates=dp.resolve_used_update_types())
        log.info("webhook server on %s:%d%s, Telegram posts to %s",
                 settings.telegram.webhook_host, settings.telegram.webhook_port, WEBHOOK_PATH, settings.telegram.webhook_url)
        await stop.wait()
    finally:
        await runner.cleanup()


Serve = Callable[[Settings, Dispatcher, Deps, asyncio.Event], Awaitable[None]]
"""How the bot meets Telegram once its services are open: `serve_telegram` (polling or a webhook),
or the demo's emulator (`bot.devtools.demo_mode`). It returns once ``stop`` is set."""


async def run(settings: Settings, serve: Serve | None = None) -> None:
    """The bot until SIGTERM or SIGINT (or until cancelled); see the module doc. ``serve``
    defaults to `serve_telegram`, which needs BOT_TOKEN."""
    serve = serve or serve_telegram
    if serve is serve_telegram and settings.telegram.token is None:
        raise ValueError("no BOT_TOKEN: set it to run against Telegram; `python -m bot run` without it "
                         "starts the local demo (bot.devtools.demo_mode)")
    stop = asyncio.Event()
    with stop_on_signals(stop):
        async with open_deps(settings) as deps:
            await deps.ocr.warm_up()  # the first picture should not wait for the readers to start
            dp = create_dispatcher(settings, deps)
            beat = asyncio.create_task(heartbeat(settings))
            try:
                await serve(settings, dp, deps, stop)
            finally:
                beat.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await beat
                log.info("closing the classifier, the OCR readers and the database")
    log.info("stopped")


async def serve_telegram(settings: Settings, dp: Dispatcher, deps: Deps, stop: asyncio.Event) -> None:
    """Long polling, or a webhook server when WEBHOOK_URL is set, until ``stop``."""
    assert settings.telegram.token is not None
    token = settings.telegram.token.get_secret_value()
    bot = create_bot(settings, token)
    try:
        async with broadcasting(settings, deps, dp, bot, token), noticing(deps, bot):
            await set_commands(bot, deps.i18n)
            if settings.telegram.webhook_url:
                await _webhook(bot, dp, deps, settings, stop)
            else:
                async with web_server(settings, deps, dp, bot):
                    await poll(bot, dp, deps.inbox, stop)
            log.info("stopping the alert engine")
    finally:
        await bot.session.close()
