"""Everything a handler (or a filter) can ask for by parameter name, in one typed list.

aiogram hands a handler each keyword it declares out of one dict per update: the dispatcher's
workflow data, then what middlewares and filters add. That dict is untyped, so a misspelt
parameter or a service nobody provides shows up only as a TypeError on the first update that
reaches the handler. `HandlerData` is the list of what is really provided, in the style of
aiogram's own `MiddlewareData`, and it is filled in exactly three places:

- the dispatcher's workflow data, once at start (`bot.app.dispatcher.workflow_data`; `alerts`
  and `engine` once the broadcast engine runs, `bot.app.dispatcher.broadcasting`): the
  long-lived services;
- `StorageMiddleware`, per update: `repos` and `user_record`;
- `LanguageMiddleware`, per update: `i18n` (aiogram's) and `language_known`.

Filters add a few per handler: `callback_data` (a `CallbackData.filter()`), `command`
(`Command`), `role` (`HasRole`). `tests/telegram/test_context.py` checks that every
parameter of every registered handler and filter is a key of this TypedDict, so a new
service is declared here before any handler may ask for it.
"""

from __future__ import annotations

from aiogram.dispatcher.middlewares.data import I18nData, MiddlewareData
from aiogram.filters import CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.utils.i18n import I18n

from bot.alerts import DeliveryEngine
from bot.knowledge import KnowledgeBase
from bot.ocr import OcrService
from bot.replies.verdict import ReplyRenderer
from bot.services.alerts import AlertService
from bot.services.conversation import Conversation
from bot.services.reports import Reports
from bot.services.reputation import Reputation
from bot.services.review import ReviewService
from bot.services.signin import SignIn
from bot.services.verdicts import Verdicts
from bot.services.waves import WaveDetector
from bot.storage import Repositories, UserRecord
from bot.storage.roles import Role


class HandlerData(MiddlewareData, I18nData, total=False):
    """aiogram's own keys (bot, state, event_from_user, i18n, ...) and ours."""

    # --- the dispatcher's workflow data: services that live as long as the bot -----------------
    knowledge: KnowledgeBase
    """The knowledge base (schemes, FAQ, regions, contacts) loaded from knowledge/."""
    renderer: ReplyRenderer
    """Turns verdicts, FAQ entries and the urgent steps into the text of an answer."""
    conversation: Conversation
    """A text → what the person needs (a check, the urgent steps, a FAQ answer, ...)."""
    verdicts: Verdicts
    """A text the person wants checked → its verdict, kept as a stored check."""
    ocr: OcrService
    """The text in a picture (Tesseract worker processes)."""
    reputation: Reputation
    """What is known of the numbers, cards and links in a text: official, confirmed, reported."""
    reports: Reports
    """A person reports a fraudster's number, card or link: the offered candidates, the report."""
    review: ReviewService
    """The officers' review queue: the next item, a label of a text, a decision on an identifier, skip."""
    waves: WaveDetector
    """New scam waves: officers opt in to hear of them; a wave's alert draft, its texts to the review queue."""
    i18n: I18n
    """The translations (also set per update by `LanguageMiddleware`, with the user's locale)."""
    engine: DeliveryEngine
    """The police alerts' delivery engine; set when it starts (`bot.app.dispatcher.broadcasting`)."""
    alerts: AlertService
    """The police alerts' use cases (submit, review, approve, reject, cancel); set with the engine."""
    signin: SignIn
    """The officers' dashboard sign-in: /panel's one-time links (the dashboard checks them)."""

    # --- StorageMiddleware, per update ---------------------------------------------------------
    repos: Repositories
    """Every repository of the bot's tables (users, checks, roles, subscriptions, stats, ...)."""
    user_record: UserRecord | None
    """The sender's stored language, region and subscription; None outside a private chat, for
    a new user whose touch failed, or when the database failed (the answer never waits on it)."""

    # --- LanguageMiddleware, per update (besides aiogram's `i18n`) ------------------------------
    language_known: bool
    """True when the user chose a language or Telegram told it; False: the answer follows the
    language of the text they sent."""

    # --- added by a handler's filters ----------------------------------------------------------
    callback_data: CallbackData
    """The unpacked button data, from `SomeCb.filter()`."""
    command: CommandObject
    """The command and its arguments, from `Command(...)`."""
    role: Role
    """The sender's role, from `HasRole(...)`."""


HANDLER_DATA_KEYS: frozenset[str] = HandlerData.__required_keys__ | HandlerData.__optional_keys__
"""Every name a handler or filter may declare."""
