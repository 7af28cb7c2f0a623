"""Building the bot: services, the dispatcher, and the three ways to run it.

`create_dispatcher(settings, deps)` is the one place where routers, middlewares and
services meet; services reach handlers as the dispatcher's workflow data (`workflow_data`),
every name of it declared in `bot.telegram.context.HandlerData`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.types import BotCommand, ErrorEvent
from aiogram.utils.i18n import I18n

from bot.alerts import BroadcastsRepo, DeliveryEngine
from bot.alerts.progress import ProgressReporter
from bot.alerts.ratelimit import SharedRate
from bot.classifier.service import ClassifierService
from bot.classifier import Classifier
from bot.classifier.intents import IntentReader
from bot.config import Settings
from bot.services.alerts import AlertService
from bot.services.conversation import Conversation
from bot.services.reports import Reports
from bot.services.reputation import Reputation
from bot.services.learning import Learning
from bot.services.notices import NoticeSender
from bot.services.review import ReviewService
from bot.services.signin import SignIn
from bot.classifier.faq import FaqMatcher
from bot.handlers import setup_routers
from bot.i18n import LANGUAGES, N_, both, create_i18n
from bot.telegram.inbox import Inbox, InboxMiddleware
from bot.knowledge import KnowledgeBase, load_knowledge
from bot.metrics import Metrics
from bot.telegram.middlewares import LanguageMiddleware, MetricsMiddleware, StorageMiddleware, ThrottlingMiddleware
from bot.telegram.middlewares.throttling import RedisFloodGate
from bot.ocr import OcrService
from bot.replies.reputation import ReputationReplies
from bot.replies.verdict import ReplyRenderer
from bot.services.verdicts import Verdicts
from bot.services.waves import WaveDetector
from bot.storage import Database, Repositories
from bot.storage.redis_store import RedisStore
from bot.telegram.fsm import SharedStorage
from bot.telegram.context import HandlerData
from bot.telegram.keyboards import wave_actions
from bot.telegram.retry import RetryMiddleware

log = logging.getLogger(__name__)

COMMANDS = ("start", "help", "paid", "faq", "report", "language", "region", "subscribe", "unsubscribe", "forget")
HEARTBEAT_EVERY = 30.0
ENGINE_GRACE = 5.0  # seconds broadcasts get to write their sends in flight when the bot stops


@dataclass
class Deps:
    """The bot's long-lived parts, opened and closed together by `open_deps`; handlers get the
    ones they may ask for through `workflow_data`."""

    settings: Settings
    knowledge: KnowledgeBase
    renderer: ReplyRenderer
    checker: ClassifierService
    faq: FaqMatcher
    db: Database
    i18n: I18n
    ocr: OcrService
    inbox: Inbox
    conversation: Conversation
    repos: Repositories
    verdicts: Verdicts
    notices: NoticeSender
    review: ReviewService
    learning: Learning
    reputation: Reputation
    reports: Reports
    redis: RedisStore | None = None  # REDIS_URL: the state the replicas share
    metrics: Metrics = field(default_factory=Metrics)  # this bot's counters and gauges (GET /metrics), its own registry
    signin: SignIn | None = None  # the officers' dashboard: /panel's one-time links and the sessions they open
    waves: WaveDetector | None = None  # new scam waves told to officers (runs beside the notices); open_deps builds it


@contextlib.asynccontextmanager
async def open_deps(settings: Settings, classifier: Classifier | None = None,
                    intents: IntentReader | None = None) -> AsyncIterator[Deps]:
    """Load the knowledge base, start the classifier process, open the database; close all at
    the end. Tests pass a ready classifier, which then runs on a thread of this process, and may
    pass a ready intent reader (it is fitted at start otherwise). The OCR workers start with the
    first picture, or earlier through `OcrService.warm_up`."""
    knowledge = load_knowledge(settings.classifier.knowledge_dir)
    checker = ClassifierService.in_thread(classifier) if classifier else ClassifierService.in_process(settings.classifier, settings.log_level)
    ocr = OcrService(settings.ocr)
    db = learning = redis = None
    try:
        await checker.warm_up()
        if settings.storage.redis_url:  # refuses to start, with advice, when it cannot be reached
            redis = await RedisStore.open(settings.storage.redis_url)
        db = await Database.open(settings.storage.database)
        inbox = Inbox(db)
        await inbox.open()
        renderer, faq = ReplyRenderer(knowledge), FaqMatcher(knowledge)
        repos = Repositories.of(db, superadmins=frozenset(settings.telegram.admin_ids),
                                conversation_ttl=settings.storage.conversation_memory_minutes * 60, redis=redis)
        i18n = create_i18n()
        metrics = Metrics(knowledge.schemes)  # here, not at import: two bots in one process count apart
        reputation = Reputation(knowledge, repos.reports)
        reports = Reports(repos, reputation, redis=redis)
        conversation = Conversation(knowledge, intents or IntentReader(knowledge), checker, faq, renderer,
                                    repos.conversation, reputation=reputation,
                                    lookups=ReputationReplies(knowledge, i18n), metrics=metrics)
        waves = WaveDetector(repos, knowledge, i18n, settings.waves, broadcasts=BroadcastsRepo(db),
                             keyboard=wave_actions, metrics=metrics)
        verdicts = Verdicts(checker, repos, conversation, reports, knowledge, metrics, on_candidate=waves.nudge)
        notices = NoticeSender(repos.notices, i18n, knowledge)
        learning = Learning(checker, repos.reviews)
        review = ReviewService(repos, learning, knowledge, notices)
        await learning.at_start()  # officers' labels in the database: retrained in the background
        signin = SignIn(repos.panel, repos.roles, secret=settings.panel.signing_key(settings.telegram.token),
                        base_url=settings.panel.public_url(settings.telegram.webhook_url))
        yield Deps(settings, knowledge, renderer, checker, faq, db, i18n, ocr, inbox, conversation, repos,
                   verdicts, notices, review, learning, reputation, reports, redis, metrics=metrics,
                   signin=signin, waves=waves)
    finally:
        if learning is not None:
            learning.close()  # a retrain waiting or running stops; the classifier closes next
        checker.close()
        ocr.close()
        if db is not None:
            await db.close()
        if redis is not None:
            await redis.close()


async def on_error(event: ErrorEvent, i18n: I18n) -> bool:
    """Log the failure and tell the user something went wrong, instead of silence."""
    log.exception("update %s failed", event.update.update_id, exc_info=event.exception)
    text = both(i18n, "Something went wrong on our side. Please try again in a minute.")
    with contextlib.suppress(Exception):
        if event.update.callback_query is not None:  # stops the button's spinner; works under any message
            await event.update.callback_query.answer(text[:200], show_alert=True)
        elif event.update.message is not None and event.update.message.chat.type == "private":
            await event.update.message.answer(text)  # a group is not told about our failures
    return True


def workflow_data(deps: Deps) -> HandlerData:
    """The long-lived services handlers may ask for by name; the per-update ones (`repos`,
    `user_record`, `language_known`) come from the middlewares."""
    return HandlerData(knowledge=deps.knowledge, renderer=deps.renderer, conversation=deps.conversation,
                       verdicts=deps.verdicts, ocr=deps.ocr, i18n=deps.i18n, review=deps.review,
                       reputation=deps.reputation, reports=deps.reports, signin=deps.signin,
                       waves=deps.waves)


def create_dispatcher(settings: Settings, deps: Deps) -> Dispatcher:
    fsm: dict[str, Any] = {}
    if deps.redis is not None:
        # Dialogs in Redis, one update of a chat at a time across all replicas (a Redis lock), so
        # a /broadcast dialog whose steps land on different replicas goes on where it was.
        storage = SharedStorage(deps.redis)  # aiogram's RedisStorage, failing open (bot/telegram/fsm.py)
        fsm = {"storage": storage, "events_isolation": storage.create_isolation()}
    dp = Dispatcher(**fsm, **workflow_data(deps))
    # Update-level outer middlewares run in this order for every update. The inbox first: an
    # update already answered before a crash costs nothing else.
    dp.update.outer_middleware(InboxMiddleware(deps.inbox))
    dp.update.outer_middleware(MetricsMiddleware(deps.metrics))  # after the inbox: an update sent again counts once
    limit, window = settings.telegram.throttle_messages, settings.telegram.throttle_window
    shared = RedisFloodGate(deps.redis, limit, window) if deps.redis is not None else None
    dp.update.outer_middleware(ThrottlingMiddleware(deps.i18n, limit, window, shared=shared))
    dp.update.outer_middleware(StorageMiddleware(deps.repos))
    dp.update.outer_middleware(LanguageMiddleware(deps.i18n))
    dp.include_router(setup_routers())
    dp.errors.register(on_error)
    return dp


def create_bot(settings: Settings, token: str, api_url: str | None = None, *, retry: bool = True) -> Bot:
    """``retry=False`` leaves out the RetryMiddleware: the broadcast engine's Bot, which must
    see each 429 itself to pause all of its sending rather than one call."""
    base = api_url or settings.telegram.api_url
    session = AiohttpSession(api=TelegramAPIServer.from_base(base)) if base else AiohttpSession()
    if retry:
        session.middleware(RetryMiddleware())
    return Bot(
        token,
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )


async def set_commands(bot: Bot, i18n: I18n) -> None:
    """The command menu in each language (Telegram shows the one matching the user's app)."""
    descriptions = {
        "start": N_("Start: choose a language and a region"),
        "help": N_("How to use the bot"),
        "paid": N_("I already sent money: what to do now"),
        "faq": N_("Questions: where to call, how to block a card"),
        "report": N_("Report a fraudster's number, card or link"),
        "language": N_("Change the language"),
        "region": N_("Change the region"),
        "subscribe": N_("Get police alerts"),
        "unsubscribe": N_("Stop police alerts"),
        "forget": N_("Delete my data"),
    }
    for lang in LANGUAGES:
        commands = [BotCommand(command=c, description=i18n.gettext(descriptions[c], locale=lang)) for c in COMMANDS]
        await bot.set_my_commands(commands, language_code=lang)
    await bot.set_my_commands(
        [BotCommand(command=c, description=i18n.gettext(descriptions[c], locale="ru")) for c in COMMANDS]
    )


async def heartbeat(settings: Settings) -> None:
    """Touch a file while the event loop is alive; the container's healthcheck reads its age."""
    settings.telegram.heartbeat_path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        settings.telegram.heartbeat_path.write_text(f"{time.time():.0f}\n")
        await asyncio.sleep(HEARTBEAT_EVERY)


@contextlib.asynccontextmanager
async def broadcasting(settings: Settings, deps: Deps, dp: Dispatcher, bot: Bot, token: str,
                       api_url: str | None = None) -> AsyncIterator[DeliveryEngine]:
    """The broadcast engine, with its own Bot (no retry middleware: it handles 429 itself), and
    the alert use cases on top of it, handed to handlers as `alerts` (the engine also as
    `engine`); live progress goes through the main `bot`. Broadcasts a crash interrupted are
    resumed at once, and while the bot runs the engine sends every broadcast being sent, beside
    the other replicas' engines (`DeliveryEngine.watch`)."""
    engine_bot = create_bot(settings, token, api_url, retry=False)
    broadcasts = BroadcastsRepo(deps.db)
    reporter = ProgressReporter(bot, broadcasts, deps.i18n)
    engine = DeliveryEngine(deps.db, engine_bot, rate=settings.alerts.rate,
                            paid_rate=settings.alerts.paid_rate, on_progress=reporter,
                            shared_rate=SharedRate(deps.redis) if deps.redis is not None else None,
                            metrics=deps.metrics, relay_url=settings.alerts.relay_url)
    superadmins = frozenset(settings.telegram.admin_ids)
    dp["engine"] = engine
    dp["alerts"] = AlertService(deps.knowledge, broadcasts, deps.repos.roles, engine, deps.i18n,
                                superadmins=superadmins, paid=settings.alerts.paid)
    resume = asyncio.create_task(engine.watch(), name="broadcasts")
    try:
        yield engine
    finally:
        await stop_engine(engine, resume)
        await engine_bot.session.close()


@contextlib.asynccontextmanager
async def noticing(deps: Deps, bot: Bot) -> AsyncIterator[NoticeSender]:
    """The notices telling people that an officer reviewed their text, sent in the background
    through ``bot`` while the bot runs (`bot.services.notices`); a send in flight at the stop is
    cut and its notice stays pending for the next start. Beside them the wave detector, which
    tells the officers who opted in of new scam waves (`bot.services.waves`)."""
    deps.notices.start(bot)
    if deps.waves is not None:
        deps.waves.start(bot)
    try:
        yield deps.notices
    finally:
        if deps.waves is not None:
            await deps.waves.stop()
        await deps.notices.stop()


async def stop_engine(engine: DeliveryEngine, resume: asyncio.Task[None], grace: float = ENGINE_GRACE) -> None:
    """The engine's own shutdown: sends in flight finish and are recorded, so nothing stays
    'sending' that Telegram answered (cancelling the runs instead would leave them uncertain).
    Runs the resume task starts while we wait are paused too; after ``grace`` seconds what is
    left is cancelled, as a crash would."""
    deadline = asyncio.get_running_loop().time() + grace
    while True:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(engine.shutdown(), max(0.01, deadline - asyncio.get_running_loop().time()))
        left = deadline - asyncio.get_running_loop().time()
        if resume.done() or left <= 0:
            break
        await asyncio.wait({resume}, timeout=min(0.2, left))
    if not resume.done():
        log.warning("broadcasts still running %.0f s after the stop began were interrupted; resumed at the next start",
                    grace)
        resume.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        try:
            await resume
        except Exception:  # noqa: BLE001 - already logged by the engine; the bot is stopping anyway
            log.exception("resuming broadcasts failed")
