"""A delivery engine in a process of its own, for the crash test to kill with SIGKILL.

    python tests/alerts/broadcast_child.py DB API_URL TOKEN (--broadcast ID | --resume) [--rate N]
        [--max-attempts N] [--backoff SECONDS] [--wait]

Runs one broadcast, or ``resume_all``; prints each final Progress as one JSON line. With
``--wait`` it first waits for a line on stdin, so that a test can start it early and have
its few seconds of imports overlap with the rest of the test.
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

from bot.alerts import DeliveryEngine, Progress
from bot.storage import Database


async def print_final(progress: Progress) -> None:
    if progress.done or progress.cancelled:
        print(json.dumps(dataclasses.asdict(progress)), flush=True)


async def main(args: argparse.Namespace) -> None:
    if args.wait:
        await asyncio.to_thread(sys.stdin.readline)
    db = await Database.open(Path(args.db))
    bot = Bot(args.token, session=AiohttpSession(api=TelegramAPIServer.from_base(args.api_url)))
    engine = DeliveryEngine(
        db, bot, rate=args.rate, max_attempts=args.max_attempts, backoff_base=args.backoff, on_progress=print_final
    )
    try:
        if args.resume:
            await engine.resume_all()
        else:
            await engine.run(args.broadcast)
    finally:
        await bot.session.close()
        await db.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("db")
    parser.add_argument("api_url")
    parser.add_argument("token")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--broadcast", type=int)
    which.add_argument("--resume", action="store_true")
    parser.add_argument("--rate", type=float, default=25.0)
    parser.add_argument("--max-attempts", type=int, default=5)
    parser.add_argument("--backoff", type=float, default=0.5, help="seconds before the first retry after a 5xx")
    parser.add_argument("--wait", action="store_true")
    asyncio.run(main(parser.parse_args()))
