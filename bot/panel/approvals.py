"""An alert submitted in the dashboard is approved in Telegram, as one from /broadcast is.

The second officer's decision stays where it always was (the Approve and Reject buttons under
the very texts subscribers will get, `bot/handlers/broadcast.py`), so the panel adds a way to
submit, not a second way to approve. This sends the approvers the same three messages the
dialog sends, in the submitting officer's page language.
"""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.utils.i18n import I18n

from bot.knowledge import KnowledgeBase
from bot.panel.app import AskApproval
from bot.services.alerts import Submitted
from bot.telegram import keyboards

log = logging.getLogger(__name__)


def telegram_approvals(bot: Bot, i18n: I18n, knowledge: KnowledgeBase) -> AskApproval:
    async def ask(submitted: Submitted, lang: str) -> None:
        broadcast = submitted.broadcast
        target = ", ".join(i18n.gettext("the whole country", locale=lang) if r == "national"
                           else knowledge.regions[r].name.get(lang) if r in knowledge.regions else r
                           for r in broadcast.regions)
        header = i18n.gettext("Alert #{id} from officer {author} to {target} needs approval:", locale=lang).format(
            id=broadcast.id, author=broadcast.author_id, target=target)
        with i18n.context(), i18n.use_locale(lang):  # the buttons' words are looked up in this language
            buttons = keyboards.alert_decision(broadcast.id)
        for approver in submitted.approvers:
            try:
                await bot.send_message(approver, header)
                await bot.send_message(approver, broadcast.text_kk)
                await bot.send_message(approver, broadcast.text_ru, reply_markup=buttons)
            except Exception as exc:  # noqa: BLE001 - one unreachable approver must not stop the others
                log.warning("could not ask %s to approve broadcast %s: %s", approver, broadcast.id, exc)

    return ask
