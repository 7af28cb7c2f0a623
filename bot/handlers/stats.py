"""/stats for officers: subscribers, and checks per scheme (text and a PNG chart)."""

from __future__ import annotations

import asyncio
import datetime as dt

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, Message
from aiogram.utils.i18n import I18n

from bot.i18n import KZ_TIME, current_lang
from bot.knowledge import KnowledgeBase
from bot.services.stats import checks_chart, checks_text, subscribers_text
from bot.storage import Repositories
from bot.telegram.filters import restrict_router


async def stats(message: Message, command: CommandObject, repos: Repositories, knowledge: KnowledgeBase,
                i18n: I18n) -> None:
    days = 30 if (command.args or "").strip() == "30" else 7
    lang = current_lang(i18n)
    await repos.roles.audit(message.from_user.id, "stats", str(days))
    week, month = await repos.stats.checks_per_day(7), await repos.stats.checks_per_day(30)
    text = "\n\n".join((subscribers_text(await repos.stats.subscribers(), knowledge, lang),
                         checks_text(week, month, knowledge, lang)))
    await message.answer(text, parse_mode=None)
    today = dt.datetime.now(KZ_TIME).date()
    # Drawn on a thread (matplotlib is slow and blocking); to_thread carries the locale along.
    png = await asyncio.to_thread(checks_chart, week if days == 7 else month, days, knowledge, lang, today)
    await message.answer_photo(BufferedInputFile(png, filename=f"saqbol-checks-{days}d.png"))


def create_router() -> Router:
    router = restrict_router(Router(name="stats"), "officer", commands=("stats",))
    router.message.register(stats, Command("stats"))
    return router
