"""Issue 15's acceptance for police alerts: one alert to 10,000 subscribers sent by three sender
PROCESSES at once, each with its own delivery engine (tests/alerts/broadcast_child.py
``--watch``, as a replica runs it), one PostgreSQL and one Redis (the session's real servers),
against the Bot API emulator in this process.

* The three share the bot token's budget through Redis: the rate Telegram sees (the
  emulator's request log, over the steady part) is within 3 % of the cap, not three times it.
* ``kill -9`` of one sender mid-way: the other two finish the alert; every recipient gets it
  exactly once, except the rows the killed sender left 'sending' (requests it may or may not
  have made), which are never sent again: at most once.
* The same kill with the senders sending through the alert relay (``python -m bot relay``, a
  process of its own, as in deploy/): every recipient gets the alert exactly once, the dead
  sender's rows settled from the relay's journal, nothing uncertain.

The first test runs again with the three senders on one SQLite file instead (several
processes on one WAL file, Redis still sharing the rate): the bot without PostgreSQL; and once
more through the alert relay, whose journal writes must not cost the cap.

The cap is raised to 300 msg/s to keep the test short (10,000 messages in about 33 s); the
assertion is relative to the cap. Telegram answers each send 0.1 s late, as the real one
roughly does, so that every sender has requests on the wire (and the one killed leaves some).
The real 30 msg/s figure is the bench's: ``python -m bot bench-broadcast --senders 3``.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.alerts import DeliveryEngine
from bot.alerts.engine import FLUSH_EVERY, in_flight_for
from bot.devtools.devserver import BotAPIEmulator, RequestRecord
from bot.storage import Database

CHILD = Path(__file__).with_name("broadcast_child.py")
RECIPIENTS = 10_000
FIRST_USER = 700_000_000
SENDERS = 3
CAP = 300.0  # msg/s, for all three together
LATENCY = 0.1  # seconds Telegram takes to answer each send
ORPHAN_AFTER = 5.0  # seconds before a killed sender's unanswered claims count as uncertain
STEADY = (0.05, 0.95)  # the share of deliveries between which the rate is measured
STARTUP = 120.0  # imports of three processes at once on a loaded 2-core machine
RUN_TIMEOUT = 240.0


@pytest.fixture
def database(request, tmp_path) -> str:
    """The senders' one database: PostgreSQL, as replicas on several machines share it, or, for
    a test parametrised with "sqlite", one SQLite file that every sender process opens (WAL)."""
    if getattr(request, "param", "postgresql") == "sqlite":
        return str(tmp_path / "saqbol.db")
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def lost_in_transit(request) -> bool:
    """Whether a request the killed sender had written is lost with it. A kill -9 does not take
    back bytes already in the kernel's socket buffer: they reach Telegram, which carries the call
    out (False, the real case). True is the harsher world where each request is itself 0.1 s on
    the way and dies with its sender: the at-most-once policy must hold there too."""
    return getattr(request, "param", True)


@pytest.fixture
async def alert(database, emulator, lost_in_transit) -> int:
    """10,000 subscribers, each with a chat, and one approved national alert queued for them."""
    db = await Database.open(database)
    try:
        now = time.time()
        users = range(FIRST_USER, FIRST_USER + RECIPIENTS)
        await db.execute(  # one statement that numbers them itself, on either engine
            "WITH RECURSIVE n(i) AS (SELECT CAST(?2 AS BIGINT) UNION ALL SELECT i + 1 FROM n WHERE i < ?3) "
            "INSERT INTO users (id, language, region, subscribed, created_at, seen_at) "
            "SELECT i, CASE WHEN i % 2 = 1 THEN 'kk' ELSE 'ru' END, 'astana', 1, ?1, ?1 FROM n",
            (now, users[0], users[-1]))
        await db.execute("INSERT INTO subscriptions (user_id, region) SELECT id, 'national' FROM users")
        broadcast_id = await db.fetchval(
            "INSERT INTO broadcasts (author_id, text_kk, text_ru, regions, status, created_at) "
            "VALUES (1, 'Назар аударыңыз: алаяқтар полиция атынан қоңырау шалады.', "
            "'Внимание: мошенники звонят от имени полиции.', 'national', 'approved', ?) RETURNING id", (now,))
        assert await DeliveryEngine(db, None).enqueue(broadcast_id) == RECIPIENTS  # type: ignore[arg-type]
    finally:
        await db.close()
    for user_id in users:
        emulator.add_user(user_id)
    emulator.delay("sendMessage", LATENCY, times=10 * RECIPIENTS, in_transit=lost_in_transit)
    return broadcast_id


@pytest.fixture
async def relay(request, database, emulator) -> AsyncIterator[str | None]:
    """``python -m bot relay`` in a process of its own, on the senders' database, forwarding to
    the emulator; its base URL, once it listens. None for a test parametrised with "straight"
    (the senders post to Telegram themselves)."""
    if getattr(request, "param", "relay") == "straight":
        yield None
        return
    environment = os.environ | {"DATABASE_URL": database if "://" in database else f"sqlite:///{database}",
                                "TELEGRAM_API_URL": emulator.base_url, "BROADCAST_RELAY_PORT": "0"}
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "relay", env=environment,
                                                   stdout=asyncio.subprocess.PIPE)
    assert process.stdout is not None
    try:
        line = (await asyncio.wait_for(process.stdout.readline(), STARTUP)).decode()
        assert line.startswith("relay http://"), f"the relay did not start: {line!r}"
        yield line.split()[1]
    finally:
        if process.returncode is None:
            process.terminate()
        await process.wait()


async def start_senders(database: str, redis_url: str, emulator: BotAPIEmulator,
                        relay: str | None = None) -> list[asyncio.subprocess.Process]:
    """Three replicas' engines, each in its own process, set off together once all have imported
and connected to PostgreSQL and Redis; through the alert relay when given one."""
    senders = [
        await asyncio.create_subprocess_exec(
            sys.executable, str(CHILD), database, emulator.base_url, emulator.token, "--watch",
            "--rate", str(CAP), "--redis", redis_url, "--orphan-after", str(ORPHAN_AFTER), "--wait",
            *(("--relay", relay) if relay else ()),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
        for _ in range(SENDERS)
    ]
    for sender in senders:
        assert sender.stdout is not None
        assert await asyncio.wait_for(sender.stdout.readline(), STARTUP) == b"ready\n"
    for sender in senders:
        assert sender.stdin is not None
        sender.stdin.write(b"go\n")
        await sender.stdin.drain()
    return senders


def deliveries(emulator: BotAPIEmulator) -> list[RequestRecord]:
    """The sends Telegram carried out (a request whose sender died before it arrived is not)."""
    return [r for r in emulator.requests if r.method == "sendMessage" and r.status == 200]


def steady_rate(delivered: list[RequestRecord]) -> float:
    """Deliveries a second between the 5th and the 95th percentile of them: the first burst of
    saved-up tokens and the tail, where fewer rows are left than workers, are left out."""
    times = sorted(r.time for r in delivered)
    first, last = int(len(times) * STEADY[0]), int(len(times) * STEADY[1]) - 1
    return (last - first) / (times[last] - times[first])


def per_second(delivered: list[RequestRecord]) -> list[int]:
    """Deliveries in each second from the first: what a failed rate assertion shows."""
    start = min(r.time for r in delivered)
    counts = Counter(int(r.time - start) for r in delivered)
    return [counts[second] for second in range(max(counts) + 1)]


async def finals(senders: list[asyncio.subprocess.Process]) -> list[dict]:
    """The final reports the senders showed (one JSON line each time one did)."""
    shown = []
    for sender in senders:
        out, _ = await asyncio.wait_for(sender.communicate(), RUN_TIMEOUT)
        shown += [json.loads(line) for line in out.decode().splitlines() if line.startswith("{")]
    return shown


async def delivery_statuses(database: str, broadcast_id: int) -> dict[int, str]:
    db = await Database.open(database)
    try:
        rows = await db.fetchall("SELECT user_id, status FROM deliveries WHERE broadcast_id = ?", (broadcast_id,))
        return {row[0]: row[1] for row in rows}
    finally:
        await db.close()


@pytest.mark.parametrize(("database", "relay"), [("postgresql", "straight"), ("sqlite", "straight"),
                                                  ("postgresql", "relay")], indirect=True)
async def test_three_sender_processes_share_the_cap_and_send_everyone_the_alert_once(
        database, relay, redis_url, emulator, alert, capsys):
    senders = await start_senders(database, redis_url, emulator, relay)

    shown = await finals(senders)

    assert [sender.returncode for sender in senders] == [0] * SENDERS
    delivered = deliveries(emulator)
    per_chat = Counter(r.chat_id for r in delivered)
    assert len(per_chat) == RECIPIENTS and set(per_chat.values()) == {1}  # everyone, once
    rate = steady_rate(delivered)
    with capsys.disabled():
        print(f"\n{SENDERS} senders on {database.split(':')[0] if '://' in database else 'sqlite'}, "
              f"{'through the relay' if relay else 'straight to Telegram'}, "
              f"cap {CAP:g} msg/s: "
              f"{rate:.1f} msg/s measured ({(rate / CAP - 1) * 100:+.2f} %)")
    assert rate == pytest.approx(CAP, rel=0.03), f"deliveries per second: {per_second(delivered)}"
    assert len(shown) == 1, f"the final report must be shown once, not by every sender: {shown}"
    assert (shown[0]["done"], shown[0]["sent"], shown[0]["uncertain"], shown[0]["pending"]) == (True, RECIPIENTS, 0, 0)
    statuses = await delivery_statuses(database, alert)
    assert set(statuses.values()) == {"sent"}


@pytest.mark.parametrize("lost_in_transit", [False, True], indirect=True,
                         ids=["written requests arrive", "written requests die with the sender"])
async def test_a_sender_killed_mid_way_leaves_the_rest_to_the_others_and_nobody_gets_the_alert_twice(
        database, redis_url, emulator, alert, capsys, lost_in_transit):
    senders = await start_senders(database, redis_url, emulator)
    await emulator.wait_until(lambda: len(deliveries(emulator)) >= RECIPIENTS * 0.4, timeout=STARTUP)
    killed = senders[0]
    killed.send_signal(signal.SIGKILL)
    await killed.wait()
    at_kill = len(deliveries(emulator))

    shown = await finals(senders[1:])

    assert killed.returncode == -signal.SIGKILL and [s.returncode for s in senders[1:]] == [0] * (SENDERS - 1)
    per_chat = Counter(r.chat_id for r in deliveries(emulator))
    statuses = await delivery_statuses(database, alert)
    uncertain = {user_id for user_id, status in statuses.items() if status == "sending"}
    missing = {user_id for user_id in statuses if per_chat[user_id] == 0}
    with capsys.disabled():
        print(f"\nkilled at {at_kill} of {RECIPIENTS} delivered: {len(uncertain)} rows left 'sending' by it "
              f"(uncertain, never sent again), {len(missing)} recipients without the alert, "
              f"{sum(1 for n in per_chat.values() if n > 1)} with it twice")
    assert [user_id for user_id, n in per_chat.items() if n > 1] == []  # nobody twice
    assert missing <= uncertain  # nobody missing but those the dead sender may have sent to
    # With the written requests arriving (the real case) nobody is missing either, but for a row
    # claimed in the instant before its request was written: 0, 0, 0 and 2 of 10,000 in four runs
    # on a loaded 2-core machine. Telegram's API cannot tell whether such a row's request left,
    # so it is never sent again: at most once, and the final report counts it as uncertain.
    # At most its requests on the wire (one per worker) and its OKs not yet written (a batch
    # every FLUSH_EVERY seconds, at most the whole cap's worth).
    assert len(uncertain) <= in_flight_for(CAP) + CAP * FLUSH_EVERY
    assert {status for user_id, status in statuses.items() if user_id not in uncertain} == {"sent"}
    assert len(shown) == 1, f"the final report must be shown once: {shown}"
    final = shown[0]
    assert (final["done"], final["pending"], final["uncertain"]) == (True, 0, len(uncertain))
    assert final["sent"] == RECIPIENTS - len(uncertain)


async def test_through_the_relay_a_sender_killed_mid_way_leaves_every_recipient_the_alert_exactly_once(
        database, redis_url, emulator, alert, relay, capsys):
    senders = await start_senders(database, redis_url, emulator, relay)
    await emulator.wait_until(lambda: len(deliveries(emulator)) >= RECIPIENTS * 0.4, timeout=STARTUP)
    killed = senders[0]
    killed.send_signal(signal.SIGKILL)
    await killed.wait()
    at_kill = len(deliveries(emulator))
    in_flight = len([user_id for user_id, status in (await delivery_statuses(database, alert)).items()
                     if status == "sending"])

    shown = await finals(senders[1:])

    assert killed.returncode == -signal.SIGKILL and [s.returncode for s in senders[1:]] == [0] * (SENDERS - 1)
    per_chat = Counter(r.chat_id for r in deliveries(emulator))
    statuses = await delivery_statuses(database, alert)
    with capsys.disabled():
        print(f"\nthrough the relay, killed at {at_kill} of {RECIPIENTS} delivered ({in_flight} rows 'sending' "
              f"just after): {RECIPIENTS - len(per_chat)} recipients without the alert, "
              f"{sum(1 for n in per_chat.values() if n > 1)} with it twice")
    assert len(per_chat) == RECIPIENTS and set(per_chat.values()) == {1}  # everyone, exactly once
    assert set(statuses.values()) == {"sent"}
    assert len(shown) == 1, f"the final report must be shown once: {shown}"
    assert (shown[0]["done"], shown[0]["sent"], shown[0]["uncertain"], shown[0]["pending"]) == (True, RECIPIENTS, 0, 0)
