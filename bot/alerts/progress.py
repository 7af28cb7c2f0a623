"""Where a broadcast stands: counted (the database's counts, ``Standing``, read into a
``Progress`` snapshot by ``Tally``) and shown (``ProgressReporter`` edits the approving officer's
one message as delivery goes, then shows the final report). The engine counts without knowing
who watches; the reporter is the ``on_progress`` the bot gives it.

One message, however many engines (replicas) send the broadcast: an engine reports only when
it takes the turn in the database (`BroadcastsRepo.take_progress_turn`: one engine per
interval), the final report comes from the one engine whose statement ended the broadcast,
and an engine whose live edit may have landed after that final report shows the final report
again (``bot.alerts.engine``). The texts come from the database's counts, so any engine
showing the same moment shows the same text."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.utils.i18n import I18n

from bot.alerts.repository import BroadcastsRepo, DeliveryStatus, Standing
from bot.i18n import N_

log = logging.getLogger(__name__)

ENDED = (DeliveryStatus.SENT, DeliveryStatus.FAILED, DeliveryStatus.BLOCKED, DeliveryStatus.NOT_FOUND)


@dataclass(frozen=True)
class Progress:
    """A snapshot of one broadcast.

    ``uncertain``: deliveries a crash left in 'sending' (claimed longer ago than any live
    engine waits for an answer): a request went or may have gone out and no answer was
    recorded, so they are not sent again; neither delivered nor pending. A delivery whose
    requests were all refused (429, 5xx) is pending, not uncertain. ``pending`` includes the
    deliveries in flight, at any engine. ``rate`` is deliveries ended per second since this
    run began (by every engine sending it), ``eta_seconds`` the time left at that rate (None
    until there is a rate).
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
    """One run's view of a broadcast's counts. The counts themselves are the database's
    (`Standing`, read at each report), since other engines may be sending the same broadcast;
    the run adds only its own start, so that ``rate`` is the deliveries ended per second, by
    every engine together, since this run began."""

    def __init__(self, broadcast_id: int, start: Standing, started: float) -> None:
        self.broadcast_id = broadcast_id
        self.started = started
        self.ended_at_start = sum(start.counts[status] for status in ENDED)

    def progress(self, standing: Standing, now: float, *, done: bool = False, cancelled: bool = False) -> Progress:
        ended = {status: standing.counts[status] for status in ENDED}
        elapsed = now - self.started
        rate = max(0, sum(ended.values()) - self.ended_at_start) / elapsed if elapsed > 0 else 0.0
        pending = standing.total - standing.uncertain - sum(ended.values())
        eta = 0.0 if pending == 0 else (pending / rate if rate > 0 else None)
        return Progress(
            broadcast_id=self.broadcast_id,
            total=standing.total,
            sent=ended[DeliveryStatus.SENT],
            failed=ended[DeliveryStatus.FAILED],
            blocked=ended[DeliveryStatus.BLOCKED],
            not_found=ended[DeliveryStatus.NOT_FOUND],
            pending=pending,
            uncertain=standing.uncertain,
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
