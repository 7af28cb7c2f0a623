"""The approving officer's live view of a broadcast: one message, edited as delivery goes
(the engine calls at most every few seconds), then the final report."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.utils.i18n import I18n

from bot.alerts import Progress
from bot.i18n import N_
from bot.alerts.drafts import BroadcastsRepo

log = logging.getLogger(__name__)

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
