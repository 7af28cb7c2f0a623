"""Where a broadcast stands: counted (``Tally`` keeps one run's counts, ``Progress`` is a
snapshot of them) and shown (``ProgressReporter`` edits the approving officer's one message as
delivery goes, at most every few seconds as the engine calls it, then shows the final report).
The engine counts without knowing who watches; the reporter is the ``on_progress`` the bot
gives it."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.utils.i18n import I18n

from bot.alerts.repository import BroadcastsRepo, DeliveryStatus
from bot.i18n import N_

log = logging.getLogger(__name__)

ENDED = (DeliveryStatus.SENT, DeliveryStatus.FAILED, DeliveryStatus.BLOCKED, DeliveryStatus.NOT_FOUND)


@dataclass(frozen=True)
class Progress:
    """A snapshot of one broadcast.

    ``uncertain``: deliveries a crash left in 'sending': a request went or may have gone out
    and no answer was recorded, so they are not sent again; neither delivered nor pending.
    A delivery whose requests were all refused (429, 5xx) is pending, not uncertain.
    ``pending`` includes the deliveries in flight. ``rate`` is deliveries ended per second in
    this run, ``eta_seconds`` the time left at that rate (None until there is a rate).
    """

    broadcast_id: int
    total: int
    sent: int
    failed: int
    blocked: int
    not_found: int
    pending: int
    uncertain: int
    rate: float
    eta_seconds: float | None
    done: bool
    cancelled: bool


class Tally:
    """The counts of one run, kept in memory as results come in (the database is written in
    batches behind them), starting from what the database held when the run began."""

    def __init__(self, broadcast_id: int, counts: dict[DeliveryStatus, int], started: float) -> None:
        self.broadcast_id = broadcast_id
        self.total = sum(counts.values())
        self.uncertain = counts[DeliveryStatus.SENDING]
        self.ended = {status: counts[status] for status in ENDED}
        self.started = started
        self.ended_here = 0

    @property
    def pending(self) -> int:
        return self.total - self.uncertain - sum(self.ended.values())

    def add(self, status: DeliveryStatus) -> None:
        """Counts a delivery that ended; one put back to 'pending' (cancelled before it could be
        asked again) does not count."""
        if status in self.ended:
            self.ended[status] += 1
            self.ended_here += 1

    def progress(self, now: float, *, done: bool = False, cancelled: bool = False) -> Progress:
        elapsed = now - self.started
        rate = self.ended_here / elapsed if elapsed > 0 else 0.0
        pending = self.pending
        eta = 0.0 if pending == 0 else (pending / rate if rate > 0 else None)
        return Progress(
            broadcast_id=self.broadcast_id,
            total=self.total,
            sent=self.ended[DeliveryStatus.SENT],
            failed=self.ended[DeliveryStatus.FAILED],
            blocked=self.ended[DeliveryStatus.BLOCKED],
            not_found=self.ended[DeliveryStatus.NOT_FOUND],
            pending=pending,
            uncertain=self.uncertain,
            rate=rate,
            eta_seconds=eta,
            done=done,
            cancelled=cancelled,
        )


# --- the officer's live view -------------------------------------------------------------

BAR_CELLS = 20
RUNNING = N_("Alert #{id}: sending\n{bar} {percent}%\nsent {sent} · failed {failed} · blocked {blocked} · "
             "left {left}\nabout {eta} s left")
FINISHED = N_("Alert #{id}: done.\nsent {sent} · failed {failed} · blocked {blocked} · not found {not_found} · "
              "uncertain {uncertain} (of {total})")
CANCELLED = N_("Alert #{id}: cancelled.\nsent {sent} · failed {failed} · blocked {blocked} · not sent {left} "
               "(of {total})")


def progress_bar(done: int, total: int) -> str:
    filled = BAR_CELLS if total == 0 else round(BAR_CELLS * done / total)
    return "▓" * filled + "░" * (BAR_CELLS - filled)


class ProgressReporter:
    def __init__(self, bot: Bot, broadcasts: BroadcastsRepo, i18n: I18n) -> None:
        self.bot = bot
        self.broadcasts = broadcasts
        self.i18n = i18n

    def text(self, p: Progress, lang: str) -> str:
        handled = p.total - p.pending
        values = dict(id=p.broadcast_id, sent=p.sent, failed=p.failed, blocked=p.blocked, not_found=p.not_found,
                      uncertain=p.uncertain, total=p.total, left=p.pending)
        if p.cancelled:
            return self.i18n.gettext(CANCELLED, locale=lang).format(**values)
        if p.done:
            return self.i18n.gettext(FINISHED, locale=lang).format(**values)
        percent = 100 if p.total == 0 else handled * 100 // p.total
        eta = round(p.eta_seconds) if p.eta_seconds is not None else "?"
        return self.i18n.gettext(RUNNING, locale=lang).format(
            bar=progress_bar(handled, p.total), percent=percent, eta=eta, **values)

    async def __call__(self, progress: Progress) -> None:
        where = await self.broadcasts.progress_message(progress.broadcast_id)
        if where is None:
            return
        chat_id, message_id, lang = where
        try:
            await self.bot.edit_message_text(self.text(progress, lang), chat_id=chat_id, message_id=message_id,
                                             parse_mode=None)
        except TelegramAPIError as exc:  # "message is not modified", a deleted message: delivery goes on
            log.debug("progress of broadcast %s not shown: %s", progress.broadcast_id, exc)
