"""Telling a person that a text they asked about was reviewed by a police officer.

After an officer labels a text (`bot.services.review`), storage keeps one pending *notice* per
person who checked that text (`bot.storage.notices.NoticesRepo`). `NoticeSender` is a
background task, started by the app next to the alert engine, that every few seconds sends the
notices that are due, in each person's language:

- "Your message of 12 November: a police officer confirmed that it is fraud (scheme «…»)";
- "…: a police officer checked it — it is not fraud"; or "…it is a warning about fraud".

What may be sent is the repository's rule, so the sender cannot break it: at most one notice a
day per person (their oldest pending first), none to a person who blocked the bot, none after
/forget (their notices are deleted with them). With several replicas each runs a sender; each
round claims its notices (`NoticesRepo.claim`), so two senders never tell one person twice.

Telegram's answers:

- 403 (the person blocked the bot) and 400 "chat not found" (the account is gone): their
  pending notices are dropped; nobody is ever going to read them;
- 429: the round stops and the sender waits ``retry_after`` before the next one (the bot's own
  retry middleware already waits out the short ones inside the call);
- anything else (5xx, the network, a locked database): the notice stays pending and is sent
  in a later round, after a growing pause; a notice is never lost. A crash between Telegram's
  OK and the write of ``sent_at`` sends it again the next day (the claim holds the person's
  day): at least once, never lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import html
import logging
import time
from dataclasses import dataclass

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramRetryAfter
from aiogram.utils.i18n import I18n
from babel.dates import format_date

from bot.alerts.sending import recipient_gone
from bot.i18n import KZ_TIME, LANGUAGES, N_
from bot.knowledge import BENIGN, FRAUD_WARNING, KnowledgeBase
from bot.knowledge.schema import NOT_FRAUD_LABEL, Lang
from bot.services.background import Rounds
from bot.storage.database import STORAGE_FAULTS
from bot.storage.notices import Notice, NoticesRepo

log = logging.getLogger(__name__)

NOTICE_EVERY = 5.0  # seconds between two rounds
BATCH = 20  # notices sent in one round at most
PAUSE = 0.05  # seconds between two sends of a round: 20 a second at most, well under Telegram's 30
MAX_BACKOFF = 300.0  # the longest pause after failing rounds
NOT_FRAUD_LABELS = frozenset({NOT_FRAUD_LABEL, BENIGN})  # an officer's word, and the knowledge base's

CONFIRMED = N_("Your message of {date}: a police officer confirmed that it is fraud (scheme «{scheme}»).")
CONFIRMED_NO_SCHEME = N_("Your message of {date}: a police officer confirmed that it is fraud.")
NOT_FRAUD = N_("Your message of {date}: a police officer checked it — it is not fraud.")
WARNING = N_("Your message of {date}: a police officer checked it — it is a warning about fraud "
             "(from a bank, the police or the news), not fraud itself.")
IF_PAID = N_("If you already sent money or told a code: /paid")


def notice_date(asked_at: float, lang: Lang) -> str:
    """The day the person asked, in Kazakhstan's time, as people write it: "12 ноября", "12 қараша"."""
    return format_date(dt.datetime.fromtimestamp(asked_at, KZ_TIME).date(), "d MMMM", locale=lang)


def notice_text(label: str, asked_at: float, lang: Lang, i18n: I18n, knowledge: KnowledgeBase) -> str:
    """One notice in one language, HTML (the bot's parse mode): the scheme's title escaped."""
    date = notice_date(asked_at, lang)
    if label == FRAUD_WARNING:
        return i18n.gettext(WARNING, locale=lang).format(date=date)
    if label in NOT_FRAUD_LABELS:
        return i18n.gettext(NOT_FRAUD, locale=lang).format(date=date)
    scheme = knowledge.schemes.get(label)
    confirmed = (i18n.gettext(CONFIRMED, locale=lang).format(date=date, scheme=html.escape(scheme.title.get(lang)))
                 if scheme else i18n.gettext(CONFIRMED_NO_SCHEME, locale=lang).format(date=date))
    return confirmed + "\n" + i18n.gettext(IF_PAID, locale=lang)


def message_for(notice: Notice, i18n: I18n, knowledge: KnowledgeBase) -> str:
    """In the person's language; both languages for someone who never chose one (their text's
    language is not theirs for sure)."""
    if notice.language in LANGUAGES:
        return notice_text(notice.label, notice.asked_at, notice.language, i18n, knowledge)
    return "\n\n".join(notice_text(notice.label, notice.asked_at, lang, i18n, knowledge) for lang in LANGUAGES)


@dataclass
class Round:
    """What one round did: sent, dropped (the person is unreachable), failed (pending still),
    and how long Telegram asked to wait (429), if it did."""

    sent: int = 0
    dropped: int = 0
    failed: int = 0
    retry_after: float | None = None


class NoticeSender:
    """Sends the due notices, in the background once `start` is given the bot's main Bot (with
    its retry middleware). Built before the bot exists, so that the review service can `wake` it
    after a label: the people asking are told within a moment, not at the next round."""

    def __init__(self, notices: NoticesRepo, i18n: I18n, knowledge: KnowledgeBase, *,
                 every: float = NOTICE_EVERY, batch: int = BATCH, pause: float = PAUSE) -> None:
        if every <= 0 or batch < 1 or pause < 0:
            raise ValueError("every must be above 0 seconds, batch at least 1 and pause not negative")
        self.notices = notices
        self.i18n = i18n
        self.knowledge = knowledge
        self.every = every
        self.batch = batch
        self.pause = pause
        self._wake = asyncio.Event()
        self._rounds: Rounds[Round] = Rounds("notices", "the notice sender")

    async def send_due(self, bot: Bot, now: float | None = None) -> Round:
        """One round: the notices due at ``now`` (default: the present), claimed for this sender
        alone (another replica's sender polling at the same time gets other people), each sent
        and written; what could not be sent is released for a later round."""
        result = Round()
        claimed = await self.notices.claim(time.time() if now is None else now, self.batch)
        unsent = list(claimed)
        try:
            for number, notice in enumerate(claimed):
                if number and self.pause:
                    await asyncio.sleep(self.pause)
                try:
                    await bot.send_message(notice.user_id, message_for(notice, self.i18n, self.knowledge))
                except TelegramRetryAfter as exc:
                    log.warning("notices: flood control, waiting %s s as Telegram asked", exc.retry_after)
                    result.retry_after = float(exc.retry_after)
                    break
                except TelegramAPIError as exc:
                    if recipient_gone(exc):  # blocked the bot, or no such chat
                        unsent.remove(notice)
                        await self.notices.drop(notice.user_id)
                        result.dropped += 1
                    else:  # a 5xx, the network, another refusal: a later round sends it
                        log.warning("notices: sending to user %s failed (%s); kept for a later round",
                                    notice.user_id, exc)
                        result.failed += 1
                else:
                    unsent.remove(notice)
                    await self.notices.mark_sent(notice.user_id, notice.text_hash, time.time())
                    result.sent += 1
        finally:
            # Not sent (failed, flood control, the round cut short): given back, so a later
            # round of any replica sends them; a release that fails leaves them for tomorrow.
            for notice in unsent:
                with contextlib.suppress(*STORAGE_FAULTS):
                    await self.notices.release(notice)
        if result.sent or result.dropped or result.failed:
            log.info("notices: %d sent, %d dropped (unreachable), %d kept for later", result.sent, result.dropped,
                     result.failed)
        return result

    def wake(self) -> None:
        """A notice was just created: the next round starts now rather than at its time (never
        cutting short a wait Telegram asked for, or the pause after failures)."""
        self._wake.set()

    async def round_after(self) -> Round:
        """Wakes the sender and returns what the first round that starts after this call did
        (raises what it raised). Needs the sender running."""
        return await self._rounds.next_round(self.wake)

    async def run(self, bot: Bot) -> None:
        """Rounds until cancelled: every `every` seconds, or at once when woken. After a 429 the
        next round comes when Telegram's ``retry_after`` has passed; after rounds that failed
        (Telegram or storage) the pause doubles, up to `MAX_BACKOFF`. Neither wait is cut short
        by a wake."""
        failures = 0
        while True:
            self._wake.clear()
            waiters = self._rounds.begin()
            try:
                result = await self.send_due(bot)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if isinstance(exc, STORAGE_FAULTS):  # a locked or full database: the notices wait in it
                    log.warning("notices: the database failed a round (%s); trying again later", exc)
                else:
                    log.exception("notices: a round failed; trying again later")
                failures += 1
                self._rounds.failed(waiters, exc)
                retry_after = None
            else:
                failures = failures + 1 if result.failed and not result.sent else 0
                self._rounds.done(waiters, result)
                retry_after = result.retry_after
            if retry_after is not None:  # the notices left wait exactly as long as Telegram asked
                await asyncio.sleep(retry_after)
            elif failures:
                await asyncio.sleep(min(MAX_BACKOFF, self.every * 2 ** failures))
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.every)

    def start(self, bot: Bot) -> asyncio.Task[None]:
        """`run` in the background, sending through ``bot``; `stop` ends it."""
        return self._rounds.start(lambda: self.run(bot))

    async def stop(self) -> None:
        """Cancels the task; a send in flight is cut, and its notice stays pending."""
        await self._rounds.stop()
