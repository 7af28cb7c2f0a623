"""A delivery engine in a process of its own, for the crash test to kill with SIGKILL.

    python tests/alerts/broadcast_child.py DB API_URL TOKEN (--broadcast ID | --resume | --watch)
        [--rate N] [--max-attempts N] [--backoff SECONDS] [--orphan-after SECONDS] [--redis URL] [--relay URL] [--wait]

DB: a SQLite file or a postgresql:// URL. Runs one broadcast, ``resume_all``, or ``watch``
(as a replica does, until SIGTERM or every broadcast it found has ended: ``--watch`` stops
once nothing is left 'sending'); prints each final Progress it shows as one JSON line. With
``--redis`` the rate limit and the 429 pause are shared with every sender on that Redis; with
``--relay`` the sends go through that alert relay (``python -m bot relay``). With
``--wait``, once imported and connected it prints ``ready`` and waits for a line on stdin, so
that a test can start it early and have its few seconds of imports overlap with the rest of
the test, or start several senders at the same moment.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys
from pathlib import Path

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.alerts import BroadcastsRepo, DeliveryEngine, Progress
from bot.alerts.ratelimit import SharedRate
from bot.storage import Database
from bot.storage.redis_store import RedisStore


async def print_final(progress: Progress) -> None:
    if progress.done or progress.cancelled:
        print(json.dumps(dataclasses.asdict(progress)), flush=True)


async def until_nothing_is_sending(engine: DeliveryEngine, db: Database) -> None:
    """``--watch``: stops the engine once no broadcast is left 'sending' (by any sender)."""
    repo = BroadcastsRepo(db)
    while await repo.sending_broadcasts():
        await asyncio.sleep(0.5)
    await engine.shutdown()


async def main(args: argparse.Namespace) -> None:
    db = await Database.open(args.db if "://" in args.db else Path(args.db))
    store = await RedisStore.open(args.redis) if args.redis else None
    bot = Bot(args.token, session=AiohttpSession(api=TelegramAPIServer.from_base(args.api_url)))
    engine = DeliveryEngine(
        db, bot, rate=args.rate, max_attempts=args.max_attempts, backoff_base=args.backoff, on_progress=print_final,
        shared_rate=SharedRate(store) if store else None, orphan_after=args.orphan_after, relay_url=args.relay,
    )
    if args.wait:
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
    try:
        if args.resume:
            await engine.resume_all()
        elif args.watch:
            stopper = asyncio.create_task(until_nothing_is_sending(engine, db))
            await engine.watch(every=0.5)
            await stopper
        else:
            await engine.run(args.broadcast)
    finally:
        await bot.session.close()
        await db.close()
        if store is not None:
            await store.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("db")
    parser.add_argument("api_url")
    parser.add_argument("token")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--broadcast", type=int)
    which.add_argument("--resume", action="store_true")
    which.add_argument("--watch", action="store_true")
    parser.add_argument("--rate", type=float, default=25.0)
    parser.add_argument("--max-attempts", type=int, default=5)
    parser.add_argument("--backoff", type=float, default=0.5, help="seconds before the first retry after a 5xx")
    parser.add_argument("--orphan-after", type=float, default=None,
                        help="seconds after which another sender's unanswered claim counts as a dead sender's")
    parser.add_argument("--redis", default=None, help="redis:// URL of the shared rate limit")
    parser.add_argument("--relay", default=None, help="base URL of the alert relay to send through")
    parser.add_argument("--wait", action="store_true")
    asyncio.run(main(parser.parse_args()))
