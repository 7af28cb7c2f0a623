"""Running the alert relay (``python -m bot relay``): the process the alert engines send through
when ``BROADCAST_RELAY_URL`` is set, so that a replica killed mid-alert costs nobody their alert
and sends nobody a second one (``bot.alerts.relay`` says how).

It opens the bot's database (the journal is a table of it, migrated as the bot migrates it),
forwards to ``TELEGRAM_API_URL`` or Telegram itself, listens on ``BROADCAST_RELAY_HOST`` and
``BROADCAST_RELAY_PORT``, and stops on SIGTERM or SIGINT once every forward under way has been
answered and journalled. It needs no token: each request carries the bot's own.
"""

from __future__ import annotations

import asyncio
import logging

from bot.alerts.journal import SendJournal
from bot.alerts.relay import TELEGRAM, relay_running
from bot.app.runner import stop_on_signals
from bot.config import Settings
from bot.storage import Database

log = logging.getLogger(__name__)


async def run_relay(settings: Settings) -> None:
    """The relay until SIGTERM or SIGINT. Prints ``relay <url>`` once it listens (what a
    test or a start script waits for)."""
    stop = asyncio.Event()
    with stop_on_signals(stop):
        db = await Database.open(settings.storage.database)
        try:
            async with relay_running(SendJournal(db), settings.telegram.api_url or TELEGRAM,
                                     settings.alerts.relay_host, settings.alerts.relay_port) as url:
                print(f"relay {url}", flush=True)
                await stop.wait()
                log.info("stopping the alert relay: the forwards under way finish first")
        finally:
            await db.close()
