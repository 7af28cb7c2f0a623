"""`python -m bot.devtools.reputation_bench`: what the reputation lookup adds to a check.

Issue 14 asks that looking up the identifiers of a text adds at most 1 ms (p95) to a check with
100,000 reported identifiers in the database. This bench builds that database in a temporary
SQLite file, opened the way the bot opens it (WAL, migrations), or with ``--database-url
postgresql://…`` in an empty PostgreSQL database you name (it refuses one that holds users:
it would measure someone's data and leave its own in it), filled through `ReportsRepo`
itself: `--users` reporters, each reporting a dozen identifiers (phones, sites, cards,
Telegram accounts), some identifiers shared by several reporters, a few reviewed by an officer.
Then it times `Reputation.lookup` on typical Kazakh and Russian texts (one reported number,
one site, one official short number), several runs, and prints each run's median and p95,
the p95 over all runs, and the parts: finding the identifiers and the one database query.

The texts are the bench's own: no user's message is read or copied.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bot.classifier.identifiers import Identifier, find_identifiers
from bot.knowledge.loader import load_knowledge
from bot.services.reputation import Reputation
from bot.storage.database import Database
from bot.storage.reports import DAY, ReportsRepo
from bot.storage.users import UsersRepo

TARGET_P95_MS = 1.0
VARIANTS = 500  # texts with different reported numbers and sites, looked up in turn
# Each holds a reported number, a reported site (seeded indexes 1201 + 20 k and 1215 + 20 k: a
# phone and a site in `seeded`) and the official short number of a bank, read from knowledge/.
TEXTS = (
    "Сәлем! Kaspi қауіпсіздік қызметі. Шотыңыз бұғатталды, 8 701 {phone} нөміріне хабарласыңыз немесе "
    "kaspi-bonus-{site}.kz сайтына кіріңіз. Банктің нөмірі {short} емес, біздікі дұрыс.",
    "Здравствуйте! Служба безопасности банка. Ваш счёт заблокирован, позвоните на +7 701 {phone} или "
    "зайдите на kaspi-bonus-{site}.kz. Не звоните на {short}, это старый номер.",
)


def texts_for(identifiers: int, short: str) -> list[str]:
    """Kazakh and Russian texts in turn, each naming its own reported number and site."""
    out = []
    for k in range(min(VARIANTS, (identifiers - 1216) // 20 + 1)):
        digits = f"{1201 + 20 * k:07d}"
        phone = f"{digits[:3]} {digits[3:5]} {digits[5:]}"
        out.append(TEXTS[k % 2].format(phone=phone, site=f"{1215 + 20 * k:05d}", short=short))
    return out


def seeded(n: int) -> list[Identifier]:
    """``n`` distinct identifiers in their normal form: 60 % phones, 25 % sites, 10 % cards,
    5 % Telegram accounts. Made up by construction, never read from anywhere."""
    idents = []
    for i in range(n):
        bucket = i % 20
        if bucket < 12:
            idents.append(Identifier("phone", f"+7701{i:07d}", ""))
        elif bucket < 17:
            idents.append(Identifier("domain", f"kaspi-bonus-{i:05d}.kz", ""))
        elif bucket < 19:
            idents.append(Identifier("card", f"4400{i:012d}", ""))
        else:
            idents.append(Identifier("telegram", f"support_{i:06d}", ""))
    return idents


async def fill(db: Database, identifiers: int, users: int) -> ReportsRepo:
    """Every identifier reported at least once; each user reports a slice of them and a few
    popular ones, so counts run from 1 to ``users``; one identifier in a thousand is reviewed."""
    reports = ReportsRepo(db)
    known = seeded(identifiers)
    popular = known[:20]
    per_user = -(-identifiers // users)
    now = time.time()
    for user in range(users):
        user_id = 1_000_000 + user
        await UsersRepo(db).touch(user_id)
        await db.execute("UPDATE users SET created_at = ? WHERE id = ?", (now - (user % 60) * DAY, user_id))
        mine = known[user * per_user:(user + 1) * per_user] + popular[user % 7::7]
        await reports.report(user_id, mine, "almaty_city")
    for ident in known[::1000]:
        await reports.confirm(42, ident)
    return reports


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def timed(samples: int, call) -> list[float]:
    out = []
    for _ in range(samples):
        start = time.perf_counter()
        await call()
        out.append((time.perf_counter() - start) * 1000)
    return out


async def bench(identifiers: int, users: int, runs: int, lookups: int, database_url: str | None = None) -> bool:
    knowledge = load_knowledge()
    short = knowledge.contacts["halyk_7111"].number  # an official number comes only from knowledge/
    texts = texts_for(identifiers, short)
    with tempfile.TemporaryDirectory() as tmp:
        db = await Database.open(database_url or Path(tmp) / "bench.db")
        try:
            print(f"engine: {db.engine} ({db.where})")
            if await db.fetchval("SELECT count(*) FROM users"):
                raise SystemExit(f"{db.where} already holds users: give the bench an empty database "
                                 "(e.g. createdb saqbol_bench, then --database-url postgresql://…/saqbol_bench)")
            started = time.perf_counter()
            reports = await fill(db, identifiers, users)
            rows, distinct = await db.fetchone("SELECT count(*), count(DISTINCT kind || value) FROM reports")
            print(f"database: {distinct:,} reported identifiers, {rows:,} reports by {users:,} users "
                  f"(filled in {time.perf_counter() - started:.1f} s)")
            reputation = Reputation(knowledge, reports)
            for number, text in enumerate(texts):
                found = await reputation.lookup(text)
                if number < 2:
                    print("  " + ", ".join(f"{f.identifier.kind}={f.status}({f.reporters})" for f in found))
                if [f.status for f in found] != ["reported", "reported", "official"]:
                    raise SystemExit(f"the bench's text is not what it should measure: {found}")
            turn = iter(range(10**9))
            await timed(100, lambda: reputation.lookup(texts[next(turn) % len(texts)]))  # warm up
            every: list[float] = []
            for run in range(runs):
                samples = await timed(lookups, lambda: reputation.lookup(texts[next(turn) % len(texts)]))
                every += samples
                print(f"run {run + 1}: lookup median {statistics.median(samples):.3f} ms, "
                      f"p95 {pct(samples, 0.95):.3f} ms ({lookups} lookups)")
            found = find_identifiers(texts[1])
            find = await timed(lookups, lambda: asyncio.sleep(0, find_identifiers(texts[1])))
            query = await timed(lookups, lambda: reports.reputation(found))
        finally:
            await db.close()
    p95 = pct(every, 0.95)
    print(f"all runs: lookup median {statistics.median(every):.3f} ms, p95 {p95:.3f} ms, p99 {pct(every, 0.99):.3f} ms")
    print(f"  of which finding the identifiers: median {statistics.median(find):.3f} ms, p95 {pct(find, 0.95):.3f} ms;"
          f" the one query: median {statistics.median(query):.3f} ms, p95 {pct(query, 0.95):.3f} ms")
    ok = p95 <= TARGET_P95_MS
    print(f"target p95 <= {TARGET_P95_MS} ms: {'met' if ok else 'NOT met'}")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.devtools.reputation_bench", description=__doc__.split("\n")[0])
    parser.add_argument("--identifiers", type=int, default=100_000, help="distinct reported identifiers (>= 1216)")
    parser.add_argument("--users", type=int, default=10_000, help="reporters")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--lookups", type=int, default=1_000, help="lookups per run")
    parser.add_argument("--database-url", help="an empty postgresql://… database to fill and measure "
                        "(default: a temporary SQLite file)")
    args = parser.parse_args(argv)
    if min(args.users, args.runs, args.lookups) < 1 or not args.users <= args.identifiers or args.identifiers < 1216:
        parser.error("--identifiers at least 1216 (the texts' own are seeded), --users between 1 and --identifiers")
    return 0 if asyncio.run(bench(args.identifiers, args.users, args.runs, args.lookups, args.database_url)) else 1


if __name__ == "__main__":
    sys.exit(main())
