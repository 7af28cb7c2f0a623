"""`python -m bot.devtools.dashboard_bench`: a database the size the police's dashboard must
answer over (issue 16: the overview in ≤ 300 ms p95 over 1,000,000 checks), filled fast.

`fill_dashboard(db, checks=1_000_000)` stores, in an empty database of either engine:

* **checks** spread over 90 days in Kazakhstan's time, growing (the last day has about three
  times the first's), quieter at weekends and at night; the knowledge base's schemes (a few
  frequent, many rare), the regions of knowledge/regions.yaml (the big cities most, one check
  in twelve from someone who chose none), Kazakh and Russian (a few mixed), every risk, a
  few hedged as unlike every known example (the wave detector's candidates);
* **users** (one per twenty checks) with their region and language, a quarter subscribed;
* **reports** of identifiers (made-up numbers, sites and cards) and officers' reviews of some;
* **broadcasts** with their deliveries (sent, blocked, failed…), drafts and pending ones;
* **open waves**, found among the last day's novel checks through `WavesRepo` itself.

Fast: each table is written in batches of one statement each (SQLite: `executemany` on one
prepared statement; PostgreSQL: one INSERT … SELECT FROM unnest(arrays) per batch). The
dashboard's `check_counts` is kept by the schema's own trigger as each batch is stored (row by
row on SQLite, once per statement on PostgreSQL), so the bench measures the real rollup; the
CLI checks it against a GROUP BY over the checks at the end.

The texts are the bench's own, written here, synthetic and already redacted-looking ("[код]",
"[карта]"): no user's message, and nothing of the measuring sets, is read or copied.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import itertools
import math
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.knowledge import KnowledgeBase
from bot.knowledge.loader import load_knowledge
from bot.privacy.redaction import redact
from bot.storage.database import STORAGE_FAULTS, Database
from bot.storage.waves import WaveDraft, WavesRepo

DAY = 86_400.0
KZ_OFFSET = 5 * 3600
BATCH = 20_000
DAYS = 90
CHECKS_PER_USER = 20
OFFICERS = (990_001, 990_002, 990_003, 990_004, 990_005)  # made-up ids, far from the users' (1, 2, …)

# Region weights: the three cities and the most populous regions ask most (a spread for a bench,
# not a statistic). Regions not named get weight 1.
REGION_WEIGHT = {"almaty_city": 9, "astana": 7, "shymkent": 6, "turkestan": 5, "almaty_region": 4, "karaganda": 3,
                 "east_kazakhstan": 2.5, "jambyl": 2.5, "aktobe": 2, "atyrau": 2, "kostanay": 2, "pavlodar": 2,
                 "mangystau": 2, "kyzylorda": 2}
NO_REGION = 1 / 12
LANGUAGES = (("kk", 0.45), ("ru", 0.48), ("mixed", 0.07))
RISKS = (("none", 0.40), ("low", 0.12), ("medium", 0.18), ("high", 0.30))
MEDIA = (("text", 0.60), ("forward", 0.30), ("caption", 0.05), ("picture", 0.05))
NOVEL_SHARE = 0.02
SUBSCRIBED_SHARE = 0.25
HOUR_WEIGHT = [0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.4, 0.8, 1.2, 1.5, 1.6, 1.6, 1.5, 1.5, 1.5, 1.5, 1.6, 1.7, 1.8,
               1.8, 1.6, 1.2, 0.8, 0.4]  # Kazakhstan's hours: people ask by day and in the evening

# The bench's own texts, redacted as stored ([телефон], [карта], [код]: see bot/privacy/redaction.py).
SCAM_OPENINGS = {
    "kk": ("сәлеметсіз бе, бұл {topic} бойынша хабарлама.", "назар аударыңыз: {topic}.", "құрметті клиент, {topic}."),
    "ru": ("здравствуйте, это сообщение по теме «{topic}».", "внимание: {topic}.", "уважаемый клиент, {topic}."),
}
SCAM_ASKS = {
    "kk": ("растау үшін [код] айтыңыз, әйтпесе шот бұғатталады.", "[телефон] нөміріне қазір хабарласыңыз.",
           "[карта] картасына {amount} теңге аударыңыз.", "сілтемеге өтіп, деректеріңізді енгізіңіз."),
    "ru": ("для подтверждения назовите [код], иначе счёт заблокируют.", "срочно перезвоните на [телефон].",
           "переведите {amount} тенге на карту [карта].", "перейдите по ссылке и введите свои данные."),
}
BENIGN = {
    "kk": ("сәлем, ертең сағат {hour}-да кездесеміз бе?", "анашым, дүкеннен нан мен сүт алып келемін.",
           "тапсырыс {n} дайын, дүкеннен алып кетіңіз.", "жиналыс {hour}:00-ге ауыстырылды."),
    "ru": ("привет, встречаемся завтра в {hour}?", "мама, куплю хлеб и молоко по дороге.",
           "заказ {n} готов, заберите в магазине.", "собрание перенесли на {hour}:00."),
}
# Texts of a pattern the knowledge base does not know: the open waves of the last day.
NOVEL = {
    "kk": ("жаңа мемлекеттік төлем тағайындалды, алу үшін [сілтеме] өтіп, [код] енгізіңіз. өтініш {n}.",
           "сіздің атыңызға сот айыппұлы салынды, [телефон] нөміріне хабарласпасаңыз, шот жабылады. іс {n}.",
           "қонақ үйдің брондауы расталмады, [карта] картасымен қайта төлеңіз. бронь {n}."),
    "ru": ("вам назначена новая государственная выплата, перейдите по [ссылка] и введите [код]. заявка {n}.",
           "на ваше имя наложен судебный штраф, перезвоните на [телефон], иначе счёт закроют. дело {n}.",
           "бронь гостиницы не подтверждена, оплатите повторно картой [карта]. бронь {n}."),
}
BROADCAST_STATUSES = ("done",) * 30 + ("cancelled",) * 4 + ("rejected",) * 2 + ("pending", "pending", "draft",
                                                                                  "draft")
DELIVERY_OUTCOMES = (("sent", 0.90), ("blocked", 0.05), ("not_found", 0.01), ("failed", 0.04))


@dataclass(frozen=True)
class Filled:
    """What was stored, and how long it took."""

    checks: int
    users: int
    reports: int
    broadcasts: int
    deliveries: int
    waves: int
    seconds: float  # the whole fill
    checks_seconds: float  # the checks alone (and their counts, by the trigger)

    def __str__(self) -> str:
        return (f"stored {self.checks:,} checks in {self.checks_seconds:.1f} s "
                f"({self.checks / max(self.checks_seconds, 1e-9):,.0f} checks/s, the rollup kept by the trigger); "
                f"{self.users:,} users, {self.reports:,} reports, {self.broadcasts} broadcasts with "
                f"{self.deliveries:,} deliveries, {self.waves} open waves; {self.seconds:.1f} s in all")


def kz_day(ts: float) -> int:
    return math.floor((ts + KZ_OFFSET) / DAY)


def _stored(text: str) -> tuple[str, str]:
    """A text as `ChecksRepo.add` stores it: redacted (the storage edge's own function), and the
    sha256 of that."""
    safe = redact(text)
    return safe, hashlib.sha256(safe.encode()).hexdigest()


def _pick(pairs: Sequence[tuple[str, float]], rng: random.Random, k: int) -> list[str]:
    return rng.choices([value for value, _ in pairs], [weight for _, weight in pairs], k=k)


def per_day(total: int, days: int, last_day: int) -> list[tuple[int, int]]:
    """(Kazakhstan day, checks) for the ``days`` days ending with ``last_day``: a growing trend
    (the last day about three times the first), weekends at 85 %, summing to ``total``."""
    first = last_day - days + 1
    weights = []
    for k in range(days):
        weekday = (first + k + 3) % 7  # 1970-01-01 was a Thursday: 0 is Monday
        weights.append((1 + 2 * k / max(days - 1, 1)) * (0.85 if weekday >= 5 else 1.0))
    scale = total / sum(weights)
    counts = [int(w * scale) for w in weights]
    for k in range(total - sum(counts)):  # the remainder, to the latest days
        counts[-1 - k % days] += 1
    return [(first + k, n) for k, n in enumerate(counts)]


class TextPool:
    """The bench's texts per (scheme or kind, language): a few dozen variants each, hashed once."""

    def __init__(self, knowledge: KnowledgeBase, rng: random.Random, variants: int = 40) -> None:
        self.pool: dict[tuple[str, str], list[tuple[str, str]]] = {}
        for scheme_id, scheme in knowledge.schemes.items():
            for lang in ("kk", "ru"):
                topic = getattr(scheme.short_title, lang).lower()
                texts = [f"{rng.choice(SCAM_OPENINGS[lang]).format(topic=topic)} "
                         f"{rng.choice(SCAM_ASKS[lang]).format(amount=rng.choice([5000, 15000, 50000, 120000]))} "
                         f"№{n}" for n in range(variants)]
                self.pool[(scheme_id, lang)] = [_stored(t) for t in texts]
        for lang in ("kk", "ru"):
            self.pool[("", lang)] = [_stored(t) for t in (
                rng.choice(BENIGN[lang]).format(hour=rng.randint(8, 20), n=rng.randint(100, 999))
                for _ in range(variants))]
            for k, template in enumerate(NOVEL[lang]):
                self.pool[(f"novel{k}", lang)] = [_stored(template.format(n=n)) for n in range(8)]

    def text(self, key: str, lang: str, rng: random.Random) -> tuple[str, str]:
        if lang == "mixed":  # a Kazakh sentence and a Russian one, as people write them
            (kk, _), (ru, _) = rng.choice(self.pool[(key, "kk")]), rng.choice(self.pool[(key, "ru")])
            return _stored(f"{kk} {ru}")
        texts = self.pool[(key, lang)]
        return texts[rng.randrange(len(texts))]


# Each table's columns with PostgreSQL's type of each (for its unnest arrays).
USERS = (("id", "bigint"), ("language", "text"), ("region", "text"), ("subscribed", "integer"),
         ("created_at", "double precision"), ("seen_at", "double precision"))
CHECKS = (("user_id", "bigint"), ("source", "text"), ("text_redacted", "text"), ("text_hash", "text"),
          ("risk", "text"), ("scheme", "text"), ("scam_probability", "double precision"), ("flags", "text"),
          ("language", "text"), ("backend", "text"), ("created_at", "double precision"), ("channel", "text"),
          ("why", "text"), ("region", "text"), ("novel", "integer"))
REPORTS = (("kind", "text"), ("value", "text"), ("user_id", "bigint"), ("region", "text"),
           ("reporter_age", "double precision"), ("created_at", "double precision"))
REVIEWS = (("kind", "text"), ("value", "text"), ("status", "text"), ("officer_id", "bigint"),
           ("decided_at", "double precision"))
BROADCASTS = (("id", "bigint"), ("author_id", "bigint"), ("text_kk", "text"), ("text_ru", "text"),
              ("regions", "text"), ("scheme", "text"), ("status", "text"), ("approver_id", "bigint"),
              ("created_at", "double precision"), ("decided_at", "double precision"),
              ("started_at", "double precision"), ("finished_at", "double precision"))
DELIVERIES = (("broadcast_id", "bigint"), ("user_id", "bigint"), ("language", "text"), ("status", "text"),
              ("attempts", "integer"), ("updated_at", "double precision"))
OFFICER_ROWS = (("user_id", "bigint"), ("granted_by", "bigint"), ("granted_at", "double precision"))


async def insert(db: Database, table: str, columns: Sequence[tuple[str, str]], rows: Sequence[Sequence]) -> None:
    """Store ``rows`` at once: executemany in one transaction on SQLite, one INSERT … SELECT
    FROM unnest of one array per column on PostgreSQL (one round trip, and one run of the
    statement's triggers)."""
    if not rows:
        return
    names = ", ".join(name for name, _ in columns)
    if db.engine == "postgresql":
        arrays = ", ".join(f"CAST(? AS {kind}[])" for _, kind in columns)
        await db.execute(f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays})",
                         [list(column) for column in zip(*rows, strict=True)])
    else:
        # One transaction per batch: SQLite's executemany alone commits row by row (a WAL frame
        # and a lock each), some fifty times slower. The bench is the database's only user.
        await db.execute("BEGIN IMMEDIATE")
        try:
            await db.executemany(f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' for _ in columns)})", rows)
        except BaseException:
            await db.execute("ROLLBACK")
            raise
        await db.execute("COMMIT")


def _batches(rows: Iterator[tuple], size: int) -> Iterator[list[tuple]]:
    batch: list[tuple] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


async def fill_dashboard(db: Database, checks: int = 1_000_000, *, now: float | None = None, days: int = DAYS,
                         seed: int = 16, knowledge: KnowledgeBase | None = None, batch: int = BATCH,
                         progress: Callable[[str], None] | None = None) -> Filled:
    """Fill an empty database (see the module's docstring); refuses one that holds users: it
    would mix the bench's data into someone's and leave it there."""
    if checks < 1 or days < 1:
        raise ValueError("the bench needs at least one check over at least one day")
    if await db.fetchval("SELECT count(*) FROM users") or await db.fetchval("SELECT count(*) FROM checks"):
        raise RuntimeError(f"{db.where} already holds users or checks: fill an empty database (a new SQLite file, "
                           "or a PostgreSQL database you created for the bench)")
    knowledge = knowledge or load_knowledge()
    say = progress or (lambda _line: None)
    if db.engine == "sqlite":
        # This connection's page cache: 256 MB instead of SQLite's 2 MB, so the checks' indexes
        # stay in memory while a million rows go in, instead of being read back from the file
        # for every row (three times slower). The bot's own connection keeps the default.
        await db.execute("PRAGMA cache_size = -262144")
    rng = random.Random(seed)
    now = time.time() if now is None else now
    started = time.perf_counter()
    pool = TextPool(knowledge, rng)

    # Users: one per twenty checks, each with a region (or none) and a language.
    regions = list(knowledge.regions)
    region_weights = [REGION_WEIGHT.get(region, 1.0) for region in regions]
    n_users = max(50, checks // CHECKS_PER_USER)
    user_region = [None if rng.random() < NO_REGION else rng.choices(regions, region_weights)[0]
                   for _ in range(n_users)]
    user_lang = _pick(LANGUAGES, rng, n_users)
    user_rows = [(uid, "ru" if user_lang[uid - 1] == "mixed" else user_lang[uid - 1], user_region[uid - 1],
                  int(rng.random() < SUBSCRIBED_SHARE), now - rng.uniform(days, 2 * days) * DAY,
                  now - rng.uniform(0, days) * DAY) for uid in range(1, n_users + 1)]
    for rows in _batches(iter(user_rows), batch):
        await insert(db, "users", USERS, rows)
    await insert(db, "officers", OFFICER_ROWS, [(o, OFFICERS[0], now - 2 * days * DAY) for o in OFFICERS])
    say(f"{n_users:,} users")

    # Checks, day by day in time order (ids grow with time, as the bot's do).
    schemes = list(knowledge.schemes)
    scheme_weights = [1 / (rank + 1) ** 0.9 for rank in range(len(schemes))]  # a few frequent, many rare
    rng.shuffle(scheme_weights)
    flags = [signal.id for signal in knowledge.signals.signals if signal.id != "protective_warning"]
    channels = list(knowledge.channels)
    # A user's share of the checks: a few ask a lot, most a little.
    user_cum = list(itertools.accumulate(1 / (k + 1) ** 0.6 for k in range(n_users)))

    # Drawn once: each scheme's flag sets and the probabilities of each risk, picked per row.
    flag_sets = [",".join(sorted(rng.sample(flags, rng.randint(1, 3)))) for _ in range(64)]
    probabilities = {risk: [round(rng.uniform(low, high), 4) for _ in range(256)]
                     for risk, (low, high) in {"none": (0.01, 0.3), "low": (0.3, 0.6), "medium": (0.6, 0.85),
                                               "high": (0.85, 0.99)}.items()}
    novel_keys = [f"novel{k}" for k in range(len(NOVEL["kk"]))]

    def day_rows(day: int, n: int) -> Iterator[tuple]:
        """One Kazakhstan day's checks in time order; the draws are made per day, k at a time."""
        hours = rng.choices(range(24), HOUR_WEIGHT, k=n)
        start = day * DAY - KZ_OFFSET  # Kazakhstan's midnight
        span = min(DAY, now - start) / DAY  # today: up to now only
        stamps = sorted(start + (h * 3600 + rng.random() * 3600) * span for h in hours)
        users = rng.choices(range(1, n_users + 1), cum_weights=user_cum, k=n)
        risks = _pick(RISKS, rng, n)
        media = _pick(MEDIA, rng, n)
        drawn = rng.choices(schemes, scheme_weights, k=n)
        recent = now - start < 2 * DAY
        for at, uid, risk, medium, scheme in zip(stamps, users, risks, media, drawn, strict=True):
            lang = user_lang[uid - 1]
            novel = recent and rng.random() < NOVEL_SHARE
            if novel:  # a pattern the knowledge base does not know: the last days' waves
                risk = "medium" if rng.random() < 0.5 else "low"
                scheme, key = None, novel_keys[rng.randrange(len(novel_keys))]
            elif risk == "none" or (risk == "low" and rng.random() < 0.5):
                scheme, key = None, ""
            else:
                key = scheme
            text, digest = pool.text(key, lang, rng)
            yield (uid, medium, text, digest, risk, scheme, probabilities[risk][rng.randrange(256)],
                   flag_sets[rng.randrange(64)] if scheme else "", lang, "lexical", at,
                   channels[rng.randrange(len(channels))] if scheme and rng.random() < 0.5 else None,
                   "unlike_known_examples" if novel else "", user_region[uid - 1], int(novel))

    checks_started = time.perf_counter()
    plan = per_day(checks, days, kz_day(now))
    stored = 0
    rows_of_days = (row for day, n in plan for row in day_rows(day, n))
    for rows in _batches(rows_of_days, batch):
        await insert(db, "checks", CHECKS, rows)
        stored += len(rows)
        if stored % (batch * 10) == 0:
            say(f"{stored:,} checks")
    checks_seconds = time.perf_counter() - checks_started
    say(f"{stored:,} checks in {checks_seconds:.1f} s")

    n_reports = await _reports(db, rng, n_users, user_region, user_rows, now, days, batch)
    n_broadcasts, n_deliveries = await _broadcasts(db, rng, n_users, user_rows, schemes, regions, now, days, batch)
    n_waves = await _waves(db, now)
    if db.engine == "postgresql":
        for table in ("users", "checks", "check_counts", "reports", "deliveries"):
            try:  # a fresh server's planner would guess from empty tables
                await db.execute(f"ANALYZE {table}")
            except STORAGE_FAULTS as exc:  # the server's autovacuum is analysing it already (its lock)
                say(f"ANALYZE {table} left to the server's autovacuum: {exc}")
    return Filled(stored, n_users, n_reports, n_broadcasts, n_deliveries, n_waves,
                  time.perf_counter() - started, checks_seconds)


async def _reports(db: Database, rng: random.Random, n_users: int, user_region: list, user_rows: list,
                   now: float, days: int, batch: int) -> int:
    """Made-up identifiers (one per hundred users), reported by one to a few dozen users each;
    officers confirmed one in twenty and cleared one in fifty."""
    count = max(20, n_users // 100)
    identifiers = []
    for i in range(count):
        bucket = i % 20
        if bucket < 12:
            identifiers.append(("phone", f"+7701{i:07d}"))
        elif bucket < 17:
            identifiers.append(("domain", f"bonus-{i:05d}.kz"))
        else:
            identifiers.append(("card", f"4400{i:012d}"))
    rows, seen = [], set()
    for kind, value in identifiers:
        for uid in rng.sample(range(1, n_users + 1), min(n_users, int(rng.paretovariate(1.2)) + 1)):
            if (kind, value, uid) in seen:
                continue
            seen.add((kind, value, uid))
            at = now - rng.uniform(0, days) * DAY
            rows.append((kind, value, uid, user_region[uid - 1], max(0.0, at - user_rows[uid - 1][4]), at))
    for chunk in _batches(iter(rows), batch):
        await insert(db, "reports", REPORTS, chunk)
    reviews = [(kind, value, "confirmed" if k % 20 == 0 else "cleared", OFFICERS[k % len(OFFICERS)],
                now - rng.uniform(0, days) * DAY)
               for k, (kind, value) in enumerate(identifiers) if k % 20 == 0 or k % 50 == 7]
    await insert(db, "identifier_reviews", REVIEWS, reviews)
    return len(rows)


async def _broadcasts(db: Database, rng: random.Random, n_users: int, user_rows: list, schemes: list,
                      regions: list, now: float, days: int, batch: int) -> tuple[int, int]:
    """Forty alerts over the period: most sent (each to its regions' subscribers, a few blocked
    or failed), some cancelled midway or rejected, two waiting for approval, two drafts."""
    subscribers = defaultdict(list)
    for uid, lang, region, subscribed, _created, _seen in user_rows:
        if subscribed:
            subscribers[region].append((uid, lang))
    broadcasts, deliveries = [], []
    for bid, status in enumerate(BROADCAST_STATUSES, start=1):
        created = now - (len(BROADCAST_STATUSES) - bid + rng.random()) * days * DAY / len(BROADCAST_STATUSES)
        targets = ["national"] if rng.random() < 0.2 else rng.sample(regions, rng.randint(1, 3))
        scheme = rng.choice(schemes)
        decided = created + 600 if status not in ("pending", "draft") else None
        started = decided if status in ("done", "cancelled") else None
        finished = started + 900 if started is not None else None
        broadcasts.append((bid, OFFICERS[bid % len(OFFICERS)], f"абай болыңыз: {scheme} (хабарлама {bid})",
                           f"будьте бдительны: {scheme} (сообщение {bid})", ",".join(targets), scheme, status,
                           OFFICERS[0] if decided else None, created, decided, started, finished))
        if started is None:
            continue
        recipients = [r for region in (subscribers if targets == ["national"] else targets)
                      for r in subscribers.get(region, [])]
        for uid, lang in recipients:
            outcome = _pick(DELIVERY_OUTCOMES, rng, 1)[0]
            if status == "cancelled" and rng.random() < 0.4:
                outcome = "pending"
            deliveries.append((bid, uid, lang or "ru", outcome, 0 if outcome == "pending" else 1,
                               None if outcome == "pending" else finished))
    await insert(db, "broadcasts", BROADCASTS, broadcasts)
    for chunk in _batches(iter(deliveries), batch):
        await insert(db, "deliveries", DELIVERIES, chunk)
    return len(broadcasts), len(deliveries)


async def _waves(db: Database, now: float) -> int:
    """The last day's novel checks, grouped by their pattern, stored as open waves through the
    repository the detector uses (a pattern asked by five people or more)."""
    waves = WavesRepo(db)
    groups: dict[str, list] = defaultdict(list)
    for check in await waves.candidates(now - DAY):
        if check.novel:
            groups[check.text_redacted.rsplit(" ", 1)[0][:40]].append(check)
    stored = 0
    for members in groups.values():
        users = {m.user_id for m in members}
        if len(users) < 5:
            continue
        regions = Counter(m.region for m in members if m.region)
        recent = {m.user_id for m in members if m.created_at >= now - 3600}
        draft = WaveDraft(members[-1].text_redacted, None, len(users), len(members),
                          [r for r, _ in regions.most_common()], sorted({m.language for m in members}),
                          members[0].created_at, members[-1].created_at, float(len(recent)))
        await waves.upsert(draft, [m.id for m in members], now)
        stored += 1
    return stored


async def rollup_matches(db: Database) -> bool:
    """True when `check_counts` equals the checks grouped along each of its dimensions (the
    ground truth, computed from the checks here, not by the migration's SQL)."""
    counts = {tuple(r[:4]): int(r[4]) for r in await db.fetchall(
        "SELECT day, dimension, value, risky, n FROM check_counts")}
    truth: dict[tuple, int] = {}
    for dimension, value in (("scheme", "coalesce(scheme, '')"), ("region", "coalesce(region, '')"),
                             ("risk", "risk"), ("language", "language")):
        for row in await db.fetchall(
                f"SELECT kz_day(created_at), {value}, CASE WHEN risk IN ('high', 'medium') THEN 1 ELSE 0 END, "
                f"count(*) FROM checks GROUP BY 1, 2, 3"):
            truth[(row[0], dimension, row[1], row[2])] = int(row[3])
    return counts == truth


async def time_reads(db: Database, runs: int, days: int = 30) -> str:
    """The overview's reads (`DashboardRepo.overview`, all the page needs, and the five single
    ones it replaces; the last ``days`` days), each timed ``runs`` times: the storage's share of
    the page the panel's bench times over HTTP."""
    import statistics

    from bot.storage.dashboard import DashboardRepo

    dashboard, now = DashboardRepo(db), time.time()
    lines = []
    reads = (dashboard.overview, dashboard.per_day, dashboard.per_region, dashboard.per_scheme, dashboard.by_risk,
             dashboard.by_language)
    timings: dict[str, list[float]] = {read.__name__: [] for read in reads}
    for _ in range(runs):
        for read in reads:
            began = time.perf_counter()
            await read(days, now)
            timings[read.__name__].append((time.perf_counter() - began) * 1000)
    for name, ms in timings.items():
        ms = sorted(ms)
        lines.append(f"  {name:<12} p50 {statistics.median(ms):7.2f} ms   p95 {ms[int(0.95 * (len(ms) - 1))]:7.2f} ms")
    counts = await db.fetchval("SELECT count(*) FROM check_counts")
    return f"the overview's reads over {days} days ({counts:,} rows of check_counts), {runs} runs:\n" + "\n".join(lines)


async def _main(args: argparse.Namespace) -> int:
    server = None
    with tempfile.TemporaryDirectory(prefix="saqbol-dashboard-") as folder:
        if args.postgresql:
            from bot.devtools.servers import PostgresServer

            server = PostgresServer.start()
            target: Path | str = server.url(server.create_database(prefix="dashboard"))
        else:
            target = args.database_url or (Path(args.path) if args.path else Path(folder) / "bench.db")
        try:
            db = await Database.open(target)
            try:
                filled = await fill_dashboard(db, args.checks, seed=args.seed, progress=lambda line: print(
                    line, file=sys.stderr, flush=True))
                print(f"{db.engine}: {filled}")
                matches = await rollup_matches(db)
                print("the rollup equals a GROUP BY over the checks" if matches
                      else "the rollup DIFFERS from a GROUP BY over the checks")
                if args.reads:
                    print(await time_reads(db, args.reads))
                return 0 if matches else 1
            finally:
                await db.close()
        finally:
            if server is not None:
                server.stop()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checks", type=int, default=1_000_000, help="checks to store (default 1,000,000)")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--reads", type=int, default=0, metavar="RUNS",
                        help="then time the overview's reads (DashboardRepo) this many times")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--path", help="an SQLite file to create (default: a temporary one, deleted at the end)")
    where.add_argument("--database-url", help="postgresql://… of an EMPTY database you created for the bench")
    where.add_argument("--postgresql", action="store_true",
                       help="start a throwaway PostgreSQL server (its binaries: PG_BIN or PostgreSQL 15's) and fill it")
    return asyncio.run(_main(parser.parse_args(argv)))


if __name__ == "__main__":
    raise SystemExit(main())
