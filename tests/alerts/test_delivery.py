"""The broadcast delivery engine, end to end: the real aiogram Bot over HTTP against the local
Bot API emulator, a fresh database per test on each engine (a SQLite file, a PostgreSQL
database), rows put in with plain SQL."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import time
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path

import pytest
from aiogram import Bot

from bot.alerts import BroadcastStopped, DeliveryEngine, Progress
from bot.alerts.engine import in_flight_for
from bot.alerts.repository import Broadcast, BroadcastStatus, Delivery
from bot.alerts.sending import NO_PREVIEW, AlertSender
from bot.devtools.devserver import BotAPIEmulator, RequestRecord
from bot.storage import Database

CHILD = Path(__file__).with_name("broadcast_child.py")
# A child's imports (aiogram, the storage layer) take about 5 s of CPU; on a loaded 2-core
# machine, with two children importing at once, 25 s of wall time has been seen.
STARTUP = 90.0
OFFICER = 900
TEXT_KK = "<b>Назар аударыңыз!</b> Алаяқтар полиция атынан қоңырау шалады."
TEXT_RU = "<b>Внимание!</b> Мошенники звонят от имени полиции &amp; банка."


async def add_user(
    db: Database,
    emulator: BotAPIEmulator,
    user_id: int,
    *,
    language: str | None = "ru",
    regions: Iterable[str] = ("almaty_city",),
    subscribed: bool = True,
    blocked: bool = False,
    in_telegram: bool = True,
) -> None:
    """A user row with their subscriptions, and (unless ``in_telegram`` is False) their chat."""
    now = time.time()
    regions = list(regions)
    await db.execute(
        "INSERT INTO users (id, language, region, subscribed, blocked_at, created_at, seen_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (user_id, language, regions[0] if regions else None, int(subscribed), now if blocked else None, now, now),
    )
    await db.executemany("INSERT INTO subscriptions (user_id, region) VALUES (?, ?)", [(user_id, r) for r in regions])
    if in_telegram:
        emulator.add_user(user_id)


async def add_users(db: Database, emulator: BotAPIEmulator, user_ids: Iterable[int]) -> list[int]:
    """Subscribers of Almaty, every other one Kazakh, each with a chat; in two statements."""
    user_ids = list(user_ids)
    now = time.time()
    await db.executemany(
        "INSERT INTO users (id, language, region, subscribed, created_at, seen_at) VALUES (?, ?, 'almaty_city', 1, ?, ?)",
        [(user_id, "kk" if user_id % 2 else "ru", now, now) for user_id in user_ids])
    await db.executemany("INSERT INTO subscriptions (user_id, region) VALUES (?, 'almaty_city')",
                         [(user_id,) for user_id in user_ids])
    for user_id in user_ids:
        emulator.add_user(user_id)
    return user_ids


async def add_broadcast(db: Database, *, regions: str = "national", paid: bool = False, status: str = "approved") -> int:
    return await db.fetchval(
        "INSERT INTO broadcasts (author_id, text_kk, text_ru, regions, status, paid, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (OFFICER, TEXT_KK, TEXT_RU, regions, status, int(paid), time.time()),
    )


def sending_broadcast(paid: bool) -> Broadcast:
    """Broadcast 1 as the engine reads it once it is being sent, for an AlertSender alone."""
    return Broadcast(id=1, author_id=OFFICER, text_kk=TEXT_KK, text_ru=TEXT_RU, regions=("national",), scheme=None,
                     status=BroadcastStatus.SENDING, paid=paid)


async def rows(db: Database, sql: str, *params: object) -> list[tuple]:
    return [tuple(row) for row in await db.fetchall(sql, params)]


async def deliveries(db: Database, broadcast_id: int) -> dict[int, tuple[str, int, str | None]]:
    """user_id -> (status, attempts, error)."""
    found = await rows(db, "SELECT user_id, status, attempts, error FROM deliveries WHERE broadcast_id = ?", broadcast_id)
    return {user_id: (status, attempts, error) for user_id, status, attempts, error in found}


async def broadcast_status(db: Database, broadcast_id: int) -> str:
    return (await rows(db, "SELECT status FROM broadcasts WHERE id = ?", broadcast_id))[0][0]


def sends(emulator: BotAPIEmulator) -> list[RequestRecord]:
    return [r for r in emulator.requests if r.method == "sendMessage"]


def received(emulator: BotAPIEmulator, user_ids: Iterable[int]) -> dict[int, int]:
    """How many messages each user has from the bot."""
    return {user_id: len(emulator.bot_messages(user_id)) for user_id in user_ids}


async def deliver(db: Database, bot: Bot, broadcast_id: int, **engine_options: object) -> Progress:
    engine = DeliveryEngine(db, bot, **engine_options)
    await engine.enqueue(broadcast_id)
    return await engine.run(broadcast_id)


# --- who gets what ----------------------------------------------------------------------


async def test_a_national_alert_reaches_every_subscriber_in_their_language(db, emulator, bot):
    await add_user(db, emulator, 1, language="ru")
    await add_user(db, emulator, 2, language="kk", regions=["astana"])
    await add_user(db, emulator, 3, language=None, regions=["national"])  # no language chosen: Russian
    await add_user(db, emulator, 4, subscribed=False)
    await add_user(db, emulator, 5, blocked=True)
    broadcast_id = await add_broadcast(db)

    progress = await deliver(db, bot, broadcast_id, rate=1000)

    assert received(emulator, range(1, 6)) == {1: 1, 2: 1, 3: 1, 4: 0, 5: 0}
    assert emulator.bot_messages(1)[0]["text"] == "Внимание! Мошенники звонят от имени полиции & банка."
    assert emulator.bot_messages(2)[0]["text"] == "Назар аударыңыз! Алаяқтар полиция атынан қоңырау шалады."
    assert emulator.bot_messages(3)[0]["text"].startswith("Внимание!")
    assert emulator.bot_messages(2)[0]["entities"][0]["type"] == "bold"  # sent as HTML
    request = sends(emulator)[0].params
    assert request["parse_mode"] == "HTML"
    assert request["link_preview_options"]["is_disabled"] is True
    assert "allow_paid_broadcast" not in request
    assert (progress.total, progress.sent, progress.pending, progress.done) == (3, 3, 0, True)
    assert await broadcast_status(db, broadcast_id) == "done"
    assert set((await deliveries(db, broadcast_id)).values()) == {("sent", 1, None)}


async def test_a_regional_alert_reaches_only_subscribers_of_those_regions(db, emulator, bot):
    await add_user(db, emulator, 1, regions=["almaty_city"])
    await add_user(db, emulator, 2, regions=["astana"])
    await add_user(db, emulator, 3, regions=["almaty_region"])  # a different id sharing a prefix
    await add_user(db, emulator, 4, regions=["national"])  # national alerts only
    await add_user(db, emulator, 5, regions=["shymkent", "astana"])
    await add_user(db, emulator, 6, regions=["almaty_city"], subscribed=False)
    await add_user(db, emulator, 7, regions=["astana"], blocked=True)
    broadcast_id = await add_broadcast(db, regions="almaty_city,astana")
    engine = DeliveryEngine(db, bot, rate=1000)

    assert await engine.enqueue(broadcast_id) == 3
    assert await engine.enqueue(broadcast_id) == 3  # again: nobody twice
    await engine.run(broadcast_id)

    assert received(emulator, range(1, 8)) == {1: 1, 2: 1, 3: 0, 4: 0, 5: 1, 6: 0, 7: 0}


async def test_only_an_approved_broadcast_can_be_enqueued(db, bot):
    broadcast_id = await add_broadcast(db, status="pending")
    with pytest.raises(ValueError, match="approve it first"):
        await DeliveryEngine(db, bot).enqueue(broadcast_id)


async def test_a_paid_broadcast_goes_at_the_paid_rate_with_allow_paid_broadcast(db, emulator, bot):
    users = await add_users(db, emulator, range(1, 31))
    broadcast_id = await add_broadcast(db, paid=True)

    started = time.monotonic()
    await deliver(db, bot, broadcast_id, rate=1, paid_rate=1000)  # at the free rate: 30 s

    assert time.monotonic() - started < 5
    assert set(received(emulator, users).values()) == {1}
    assert all(r.params["allow_paid_broadcast"] in ("true", "True", True) for r in sends(emulator))


@pytest.mark.parametrize("paid", [False, True])
async def test_the_engine_sends_the_request_that_bot_send_message_would(emulator, bot, paid):
    """The engine encodes its form once per broadcast instead of going through aiogram's models:
    Telegram must still get the very same fields."""
    for user_id in (1, 2):
        emulator.add_user(user_id)
    broadcast = sending_broadcast(paid)

    await AlertSender(bot, broadcast).send(Delivery(1, "kk"))
    await bot.send_message(2, TEXT_KK, parse_mode="HTML", link_preview_options=NO_PREVIEW, allow_paid_broadcast=paid or None)

    engine_request, aiogram_request = (dict(r.params) for r in sends(emulator))
    assert engine_request.pop("chat_id") == "1" and aiogram_request.pop("chat_id") == "2"
    assert engine_request == aiogram_request
    assert emulator.bot_messages(1)[0]["text"] == emulator.bot_messages(2)[0]["text"]


# --- Telegram's answers -----------------------------------------------------------------


async def test_a_429_storm_pauses_all_sending_until_retry_after_has_passed(db, emulator, bot):
    users = await add_users(db, emulator, range(1, 11))
    broadcast_id = await add_broadcast(db)
    emulator.fail("sendMessage", error_code=429, retry_after=1, times=3)

    progress = await deliver(db, bot, broadcast_id)

    log = sends(emulator)
    limited = [r for r in log if r.status == 429]
    assert len(limited) == 3
    for refusal in limited:
        later = [r.time for r in log if r.time > refusal.time]
        assert min(later) >= refusal.time + 1.0, "a request arrived while Telegram had asked to wait"
    assert log[0].chat_id == log[1].chat_id == log[2].chat_id == log[3].chat_id  # the same one goes again
    assert log[3].status == 200
    assert set(received(emulator, users).values()) == {1}
    assert progress.sent == 10
    assert (await deliveries(db, broadcast_id))[log[0].chat_id] == ("sent", 1, None)  # a 429 is no attempt


async def test_a_user_who_blocked_the_bot_is_marked_and_skipped_next_time(db, emulator, bot):
    await add_users(db, emulator, [1, 2, 3])
    emulator.block(2)
    first = await add_broadcast(db)

    progress = await deliver(db, bot, first, rate=1000)

    assert (progress.sent, progress.blocked) == (2, 1)
    assert (await deliveries(db, first))[2] == ("blocked", 1, "Forbidden: bot was blocked by the user")
    assert (await rows(db, "SELECT blocked_at IS NOT NULL FROM users WHERE id = 2"))[0][0] == 1
    assert await DeliveryEngine(db, bot).enqueue(await add_broadcast(db)) == 2


async def test_an_unknown_chat_is_not_found_and_another_400_is_failed(db, emulator, bot):
    await add_users(db, emulator, [1, 3])
    await add_user(db, emulator, 2, in_telegram=False)
    emulator.fail("sendMessage", error_code=400, description="Bad Request: can't parse entities", chat_id=3)
    broadcast_id = await add_broadcast(db)

    progress = await deliver(db, bot, broadcast_id, rate=1000)

    found = await deliveries(db, broadcast_id)
    assert found[1] == ("sent", 1, None)
    assert found[2] == ("not_found", 1, "Bad Request: chat not found")
    assert found[3] == ("failed", 1, "Bad Request: can't parse entities")
    assert (progress.sent, progress.not_found, progress.failed, progress.done) == (1, 1, 1, True)


async def test_a_passing_502_is_retried_with_backoff_and_delivered(db, emulator, bot):
    await add_users(db, emulator, [1, 2])
    emulator.fail("sendMessage", error_code=502, times=2, chat_id=1)
    broadcast_id = await add_broadcast(db)

    await deliver(db, bot, broadcast_id, rate=1000)

    tries = [r for r in sends(emulator) if r.chat_id == 1]
    assert [r.status for r in tries] == [502, 502, 200]
    assert tries[1].time - tries[0].time >= 0.5
    assert tries[2].time - tries[1].time >= 1.0
    assert received(emulator, [1, 2]) == {1: 1, 2: 1}
    assert (await deliveries(db, broadcast_id))[1] == ("sent", 3, None)


async def test_a_dropped_connection_is_retried_and_delivered_once(db, emulator, bot):
    await add_users(db, emulator, [1])
    emulator.drop("sendMessage")  # lost before Telegram carried it out
    broadcast_id = await add_broadcast(db)

    progress = await deliver(db, bot, broadcast_id, rate=1000)

    assert [r.status for r in sends(emulator)] == [0, 200]
    assert received(emulator, [1]) == {1: 1}
    assert (await deliveries(db, broadcast_id))[1] == ("sent", 2, None)
    assert progress.sent == 1


async def test_a_chat_that_keeps_failing_is_failed_after_max_attempts(db, emulator, bot):
    await add_users(db, emulator, [1, 2])
    emulator.fail("sendMessage", error_code=500, times=100, chat_id=1)
    broadcast_id = await add_broadcast(db)

    progress = await deliver(db, bot, broadcast_id, rate=1000, max_attempts=3)

    assert len([r for r in sends(emulator) if r.chat_id == 1]) == 3
    status, attempts, error = (await deliveries(db, broadcast_id))[1]
    assert (status, attempts) == ("failed", 3)
    assert "Internal Server Error" in error
    assert (progress.sent, progress.failed, progress.done) == (1, 1, True)


async def test_a_revoked_token_stops_the_run_and_keeps_every_delivery_for_later(db, emulator, bot):
    await add_users(db, emulator, range(1, 6))
    emulator.fail("sendMessage", error_code=401, times=100)
    broadcast_id = await add_broadcast(db)
    engine = DeliveryEngine(db, bot)
    await engine.enqueue(broadcast_id)

    with pytest.raises(BroadcastStopped, match="set a valid BOT_TOKEN and restart"):
        await engine.run(broadcast_id)

    assert {status for status, _, _ in (await deliveries(db, broadcast_id)).values()} == {"pending"}
    assert await broadcast_status(db, broadcast_id) == "sending"  # resume_all takes it up at the next start


# --- pace, progress, cancel -------------------------------------------------------------


async def test_the_rate_holds_and_progress_is_reported_at_its_pace(db, emulator, bot):
    users = await add_users(db, emulator, range(1, 61))
    broadcast_id = await add_broadcast(db)
    reports: list[tuple[float, Progress]] = []

    async def on_progress(progress: Progress) -> None:
        reports.append((time.monotonic(), progress))

    await deliver(db, bot, broadcast_id, rate=20, progress_every=0.5, on_progress=on_progress)

    times = [r.time for r in sends(emulator)]
    measured = (len(times) - 1) / (times[-1] - times[0])
    assert measured == pytest.approx(20, rel=0.10)
    assert set(received(emulator, users).values()) == {1}
    *during, (_, final) = reports
    assert 4 <= len(during) <= 7  # about 3 s at one report every 0.5 s
    assert all(later - earlier >= 0.45 for (earlier, _), (later, _) in zip(during, during[1:]))
    assert all(not p.done and p.eta_seconds is not None for _, p in during)
    assert [p.pending for _, p in during] == sorted((p.pending for _, p in during), reverse=True)
    assert during[-1][1].rate == pytest.approx(20, rel=0.25)
    assert (final.done, final.cancelled, final.sent, final.pending, final.eta_seconds) == (True, False, 60, 0, 0.0)


async def test_a_failing_progress_callback_does_not_stop_the_alert(db, emulator, bot):
    users = await add_users(db, emulator, range(1, 6))
    broadcast_id = await add_broadcast(db)

    async def broken(progress: Progress) -> None:
        raise RuntimeError("the officer's progress message is gone")

    progress = await deliver(db, bot, broadcast_id, rate=1000, on_progress=broken)

    assert progress.done and progress.sent == 5
    assert set(received(emulator, users).values()) == {1}


async def running_broadcast(
    db: Database, emulator: BotAPIEmulator, bot: Bot, users: list[int]
) -> tuple[DeliveryEngine, int, asyncio.Task[Progress]]:
    """A broadcast to ``users`` at 20 msg/s, caught once its first five messages are out."""
    broadcast_id = await add_broadcast(db)
    engine = DeliveryEngine(db, bot, rate=20)
    await engine.enqueue(broadcast_id)
    running = asyncio.create_task(engine.run(broadcast_id))
    await emulator.wait_until(lambda: len(sends(emulator)) >= 5)
    return engine, broadcast_id, running


async def test_cancel_stops_sending_and_leaves_the_rest_pending(db, emulator, bot):
    users = await add_users(db, emulator, range(1, 41))
    engine, broadcast_id, running = await running_broadcast(db, emulator, bot, users)

    engine.cancel(broadcast_id)
    progress = await running
    requests_at_cancel = len(sends(emulator))
    await asyncio.sleep(0.3)

    assert len(sends(emulator)) == requests_at_cancel
    assert progress.cancelled and not progress.done
    assert sum(received(emulator, users).values()) == progress.sent == requests_at_cancel
    assert progress.pending == 40 - progress.sent > 0
    assert await broadcast_status(db, broadcast_id) == "cancelled"
    statuses = [status for status, _, _ in (await deliveries(db, broadcast_id)).values()]
    assert (statuses.count("sent"), statuses.count("pending")) == (progress.sent, progress.pending)


async def test_a_broadcast_cancelled_before_it_runs_sends_nothing(db, emulator, bot):
    await add_users(db, emulator, range(1, 6))
    broadcast_id = await add_broadcast(db)
    engine = DeliveryEngine(db, bot)
    await engine.enqueue(broadcast_id)

    engine.cancel(broadcast_id)
    progress = await engine.run(broadcast_id)

    assert progress.cancelled and progress.pending == 5
    assert sends(emulator) == []
    assert await broadcast_status(db, broadcast_id) == "cancelled"


async def test_shutdown_leaves_nothing_uncertain_and_resume_finishes_the_job(db, emulator, bot):
    users = await add_users(db, emulator, range(1, 31))
    engine, broadcast_id, running = await running_broadcast(db, emulator, bot, users)

    await engine.shutdown()
    paused = await running

    assert not paused.done and not paused.cancelled and paused.pending > 0
    assert await broadcast_status(db, broadcast_id) == "sending"
    statuses = [status for status, _, _ in (await deliveries(db, broadcast_id)).values()]
    assert "sending" not in statuses and statuses.count("sent") == len(sends(emulator))

    await DeliveryEngine(db, bot, rate=1000).resume_all()

    assert received(emulator, users) == dict.fromkeys(users, 1)
    assert await broadcast_status(db, broadcast_id) == "done"


# --- two engines on one broadcast (replicas) ------------------------------------------------


async def test_two_engines_share_a_broadcast_and_its_one_progress_message(db, db_target, emulator, bot):
    """Two replicas' engines, each with its own connection to the database, send one broadcast
    together: nobody twice, the live progress edited by one engine per interval (not one each),
    the final report shown once, by the engine that ended it."""
    users = await add_users(db, emulator, range(1, 121))  # about 3 s at 20/s each
    broadcast_id = await add_broadcast(db)
    reports: list[tuple[float, str, Progress]] = []

    def reporter(name: str) -> Callable[[Progress], Awaitable[None]]:
        async def on_progress(progress: Progress) -> None:
            reports.append((time.monotonic(), name, progress))
        return on_progress

    other = await Database.open(db_target)
    try:
        first = DeliveryEngine(db, bot, rate=20, progress_every=0.5, on_progress=reporter("first"))
        second = DeliveryEngine(other, bot, rate=20, progress_every=0.5, on_progress=reporter("second"))
        await first.enqueue(broadcast_id)
        outcomes = await asyncio.gather(first.run(broadcast_id), second.run(broadcast_id))
    finally:
        await other.close()

    assert received(emulator, users) == dict.fromkeys(users, 1)
    assert all(p.done and p.sent == len(users) for p in outcomes)
    *during, (_, _, final) = reports
    assert [p for _, _, p in reports if p.done] == [final]  # shown once
    assert len(during) >= 3
    assert all(later - earlier >= 0.4 for (earlier, _, _), (later, _, _) in zip(during, during[1:]))
    sent_so_far = [p.sent for _, _, p in during]
    assert sent_so_far == sorted(sent_so_far)  # both engines show the database's counts
    times = [r.time for r in sends(emulator)]
    assert (len(times) - 1) / (times[-1] - times[0]) > 25  # both sent, each at its own 20/s (no shared_rate here)


async def test_an_officers_cancel_on_one_replica_stops_the_other_replicas_engine(db, db_target, emulator, bot):
    users = await add_users(db, emulator, range(1, 41))
    broadcast_id = await add_broadcast(db)
    other = await Database.open(db_target)
    try:
        here, elsewhere = DeliveryEngine(db, bot, rate=10), DeliveryEngine(other, bot, rate=10)
        await here.enqueue(broadcast_id)
        running = [asyncio.create_task(here.run(broadcast_id)), asyncio.create_task(elsewhere.run(broadcast_id))]
        await emulator.wait_until(lambda: len(sends(emulator)) >= 6)

        here.cancel(broadcast_id)
        progress = await asyncio.wait_for(asyncio.gather(*running), 10)
        requests_at_end = len(sends(emulator))
        await asyncio.sleep(0.5)
    finally:
        await other.close()

    assert len(sends(emulator)) == requests_at_end  # nothing more goes out, from either
    assert all(p.cancelled and not p.done for p in progress)
    assert await broadcast_status(db, broadcast_id) == "cancelled"
    found = await deliveries(db, broadcast_id)
    assert status_counts(found) == {"sent": requests_at_end, "pending": len(users) - requests_at_end}


# --- a crash --------------------------------------------------------------------------------


async def start_child(target: Path | str, emulator: BotAPIEmulator, *args: str) -> asyncio.subprocess.Process:
    """A sender process on the test's database (the SQLite file, or the PostgreSQL URL)."""
    return await asyncio.create_subprocess_exec(
        sys.executable, str(CHILD), str(target), emulator.base_url, emulator.token, *args,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )


async def until(condition: Callable[[], Awaitable[bool]], timeout: float = 20.0) -> None:
    """Polls an async condition that nothing can signal (another process writing SQLite)."""
    deadline = time.monotonic() + timeout
    while not await condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{condition.__name__} still false after {timeout} s")
        await asyncio.sleep(0.05)


async def test_a_crash_mid_broadcast_then_resume_sends_everyone_exactly_one_message(db, db_target, emulator):
    users = await add_users(db, emulator, range(1, 121))
    broadcast_id = await add_broadcast(db)
    rate = 100
    in_flight = in_flight_for(rate)
    async with emulator.create_bot() as bot:
        await DeliveryEngine(db, bot).enqueue(broadcast_id)
    child = await start_child(db_target, emulator, "--broadcast", str(broadcast_id), "--rate", str(rate))
    # The requests the kill leaves unanswered are held 3 s: counted as a dead engine's after 1 s.
    resumed = await start_child(db_target, emulator, "--resume", "--rate", "1000", "--orphan-after", "1",
                                "--wait")  # imports meanwhile

    await emulator.wait_until(lambda: len(sends(emulator)) >= 5, timeout=STARTUP)
    emulator.delay("sendMessage", 3.0, times=1000)  # from now on, requests are held in flight

    async def every_slot_is_held() -> bool:
        """All answers so far are written, and every in-flight slot holds a claimed row."""
        answered = sum(1 for r in sends(emulator) if r.status == 200)
        counts = dict(await rows(db, "SELECT status, count(*) FROM deliveries GROUP BY status"))
        return counts.get("sent") == answered and counts.get("sending") == in_flight

    await until(every_slot_is_held)
    await asyncio.sleep(0.5)  # the last claimed request reaches the emulator
    child.send_signal(signal.SIGKILL)
    await child.wait()
    answered_before = len(sends(emulator))
    uncertain = {user_id for user_id, (status, _, _) in (await deliveries(db, broadcast_id)).items() if status == "sending"}
    assert len(uncertain) == in_flight

    # Telegram carries out what reached it, though the client is gone.
    await emulator.wait_until(lambda: len(sends(emulator)) == answered_before + in_flight, timeout=10.0)
    assert {r.chat_id for r in sends(emulator)[answered_before:]} == uncertain
    emulator.clear_faults()
    out, _ = await asyncio.wait_for(resumed.communicate(b"go\n"), timeout=STARTUP)
    assert resumed.returncode == 0

    assert received(emulator, users) == dict.fromkeys(users, 1)  # nobody twice, nobody missed
    final = json.loads(out.decode().strip().splitlines()[-1])
    assert (final["done"], final["uncertain"], final["pending"]) == (True, in_flight, 0)
    assert final["sent"] == len(users) - in_flight
    after = await deliveries(db, broadcast_id)
    assert {user_id for user_id, (status, _, _) in after.items() if status == "sending"} == uncertain
    assert all(status == "sent" for user_id, (status, _, _) in after.items() if user_id not in uncertain)
    assert await broadcast_status(db, broadcast_id) == "done"


def status_counts(found: dict[int, tuple[str, int, str | None]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for status, _, _ in found.values():
        counts[status] = counts.get(status, 0) + 1
    return counts


async def test_a_kill_during_a_5xx_backoff_then_resume_sends_each_refused_recipient_once_or_reports_them_failed(
    db, db_target, emulator
):
    """The audit's case: Telegram answered 502 to 25 of 200 recipients and the engine was killed
    while they waited to be retried. Every request of theirs had been refused, so none of them
    has the alert: they must be sent it on resume, not written off as 'uncertain'."""
    users = await add_users(db, emulator, range(1, 201))
    refused = users[7::8]  # 25 recipients spread over the broadcast
    recovering, broken = refused[:20], refused[20:]
    for user_id in recovering:  # one 502 before the kill, one more after it, then OK
        emulator.fail("sendMessage", error_code=502, times=2, chat_id=user_id)
    for user_id in broken:  # Telegram keeps failing for these: they end 'failed', reported
        emulator.fail("sendMessage", error_code=502, times=1000, chat_id=user_id)
    broadcast_id = await add_broadcast(db)
    async with emulator.create_bot() as bot:
        await DeliveryEngine(db, bot).enqueue(broadcast_id)
    # A 30 s backoff, so that the kill certainly finds all 25 waiting in it, none on the wire.
    child = await start_child(db_target, emulator, "--broadcast", str(broadcast_id), "--rate", "1000", "--backoff", "30")
    resumed = await start_child(db_target, emulator, "--resume", "--rate", "1000", "--max-attempts", "3", "--wait")

    await emulator.wait_until(lambda: len(sends(emulator)) == len(users), timeout=STARTUP)  # each asked once

    async def every_answer_is_written() -> bool:
        """The OKs and the refusals alike: results are written in batches (FLUSH_EVERY), so the
        last refusal may still be on its way to the database when the last OK is there."""
        rows = await deliveries(db, broadcast_id)
        return (status_counts(rows).get("sent") == len(users) - len(refused)
                and all(rows[user_id][1] == 1 for user_id in refused))

    await until(every_answer_is_written)
    assert {r.chat_id for r in sends(emulator) if r.status == 502} == set(refused)
    child.send_signal(signal.SIGKILL)
    await child.wait()

    at_kill = await deliveries(db, broadcast_id)
    waiting = {user_id: at_kill[user_id] for user_id in refused}
    assert all(status == "pending" and attempts == 1 and error == "Bad Gateway" for status, attempts, error in waiting.values()), (
        f"a refused recipient waiting out its backoff must be 'pending', not 'sending': {waiting}"
    )
    assert "sending" not in status_counts(at_kill)
    out, _ = await asyncio.wait_for(resumed.communicate(b"go\n"), timeout=STARTUP)
    assert resumed.returncode == 0

    got = received(emulator, users)
    after = await deliveries(db, broadcast_id)
    lost = [u for u in users if got[u] == 0 and after[u][0] != "failed"]
    twice = [u for u in users if got[u] > 1]
    assert (lost, twice) == ([], [])
    assert [u for u in users if got[u] == 0] == broken
    assert {after[u] for u in broken} == {("failed", 3, "Bad Gateway")}  # max_attempts counts the request before the kill
    assert {after[u] for u in recovering} == {("sent", 3, None)}
    final = json.loads(out.decode().strip().splitlines()[-1])
    assert (final["done"], final["sent"], final["failed"], final["uncertain"], final["pending"]) == (True, 195, 5, 0, 0)
    assert await broadcast_status(db, broadcast_id) == "done"


async def test_a_kill_during_a_429_pause_then_resume_sends_everyone_exactly_once(db, db_target, emulator):
    """Telegram's flood control holds every send; the engine is killed during the pause. The
    recipient whose request got the 429 does not have the alert and is sent it on resume, and
    nobody who waited for a token or a claim during the pause is left 'sending'."""
    users = await add_users(db, emulator, range(1, 201))
    limited = 100
    emulator.fail("sendMessage", error_code=429, retry_after=60, chat_id=limited)
    broadcast_id = await add_broadcast(db)
    async with emulator.create_bot() as bot:
        await DeliveryEngine(db, bot).enqueue(broadcast_id)
    child = await start_child(db_target, emulator, "--broadcast", str(broadcast_id), "--rate", "100")
    resumed = await start_child(db_target, emulator, "--resume", "--rate", "1000", "--wait")

    await emulator.wait_until(lambda: any(r.status == 429 for r in sends(emulator)), timeout=STARTUP)
    await asyncio.sleep(0.5)  # the requests already on the wire when the 429 came back are answered
    delivered_before = sum(1 for r in sends(emulator) if r.status == 200)

    async def every_ok_is_written() -> bool:
        return status_counts(await deliveries(db, broadcast_id)).get("sent") == delivered_before

    await until(every_ok_is_written)
    child.send_signal(signal.SIGKILL)
    await child.wait()

    at_kill = await deliveries(db, broadcast_id)
    status, attempts, error = at_kill[limited]
    assert (status, attempts) == ("pending", 0) and "retry after 60" in error, at_kill[limited]
    assert status_counts(at_kill) == {"sent": delivered_before, "pending": len(users) - delivered_before}
    assert len(sends(emulator)) == delivered_before + 1  # nothing went out during the pause
    out, _ = await asyncio.wait_for(resumed.communicate(b"go\n"), timeout=STARTUP)
    assert resumed.returncode == 0

    assert received(emulator, users) == dict.fromkeys(users, 1)
    final = json.loads(out.decode().strip().splitlines()[-1])
    assert (final["done"], final["sent"], final["uncertain"], final["pending"]) == (True, len(users), 0, 0)
    assert set((await deliveries(db, broadcast_id)).values()) == {("sent", 1, None)}


# --- a stop -----------------------------------------------------------------------------------


async def test_shutdown_during_a_429_pause_and_a_5xx_backoff_returns_at_once_and_leaves_no_row_sending(
    db, emulator, bot
):
    """What SIGTERM and SIGINT call: a 30 s pause and a 30 s backoff are not waited out (docker
    stop gives 10 s), and the recipients waiting in them are 'pending' for the next start."""
    users = await add_users(db, emulator, range(1, 41))
    emulator.fail("sendMessage", error_code=502, times=1000, chat_id=3)
    emulator.fail("sendMessage", error_code=429, retry_after=30, chat_id=10)
    broadcast_id = await add_broadcast(db)
    engine = DeliveryEngine(db, bot, rate=20, backoff_base=30)
    await engine.enqueue(broadcast_id)
    running = asyncio.create_task(engine.run(broadcast_id))
    await emulator.wait_until(lambda: any(r.status == 429 for r in sends(emulator)))

    started = time.monotonic()
    await engine.shutdown()
    paused = await running
    stopped_in = time.monotonic() - started

    assert stopped_in < 2.0, f"shutdown waited {stopped_in:.1f} s"
    found = await deliveries(db, broadcast_id)
    assert "sending" not in status_counts(found)
    assert found[3] == ("pending", 1, "Bad Gateway")
    assert found[10][:2] == ("pending", 0) and "retry after 30" in found[10][2]
    delivered = sum(1 for r in sends(emulator) if r.status == 200)
    assert status_counts(found) == {"sent": delivered, "pending": len(users) - delivered}
    assert (paused.done, paused.sent, paused.pending) == (False, delivered, len(users) - delivered)
    assert await broadcast_status(db, broadcast_id) == "sending"

    emulator.clear_faults()
    await DeliveryEngine(db, bot, rate=1000).resume_all()

    assert received(emulator, users) == dict.fromkeys(users, 1)
    assert await broadcast_status(db, broadcast_id) == "done"


async def test_shutdown_lets_a_send_in_flight_finish_and_records_it_as_sent(db, emulator, bot):
    users = await add_users(db, emulator, range(1, 31))
    engine, broadcast_id, running = await running_broadcast(db, emulator, bot, users)
    emulator.delay("sendMessage", 1.0)  # the next request is held by Telegram for 1 s

    async def a_request_is_on_the_wire() -> bool:
        answered = {r.chat_id for r in sends(emulator)}
        found = await deliveries(db, broadcast_id)
        return any(status == "sending" and user_id not in answered for user_id, (status, _, _) in found.items())

    await until(a_request_is_on_the_wire)
    started = time.monotonic()
    await engine.shutdown()
    await running

    assert time.monotonic() - started >= 0.5  # it waited for Telegram's answer
    assert {r.status for r in sends(emulator)} == {200}
    found = await deliveries(db, broadcast_id)
    assert all(found[r.chat_id] == ("sent", 1, None) for r in sends(emulator))
    assert status_counts(found) == {"sent": len(sends(emulator)), "pending": len(users) - len(sends(emulator))}


async def test_a_shutdown_before_resume_starts_its_runs_sends_nothing(db, emulator, bot):
    """The bot may be told to stop while ``resume_all`` is still starting: runs that begin after
    ``shutdown()`` stop at once instead of sending."""
    await add_users(db, emulator, range(1, 6))
    broadcast_id = await add_broadcast(db)
    engine = DeliveryEngine(db, bot)
    await engine.enqueue(broadcast_id)

    await engine.shutdown()
    progress = await engine.run(broadcast_id)

    assert sends(emulator) == []
    assert (progress.done, progress.pending) == (False, 5)
    assert await broadcast_status(db, broadcast_id) == "sending"


async def test_an_html_502_page_from_a_proxy_is_a_server_error_to_retry_not_a_crash(tmp_path):
    """An nginx in front of the Bot API answers "502 Bad Gateway" in HTML: aiogram cannot decode
    it, but it is a refusal (nothing was delivered), retried like Telegram's own 502."""
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.exceptions import TelegramServerError
    from aiohttp import web

    async def bad_gateway(request: web.Request) -> web.Response:
        return web.Response(status=502, text="<html><body><h1>502 Bad Gateway</h1></body></html>", content_type="text/html")

    app = web.Application()
    app.router.add_post("/bot{token}/sendMessage", bad_gateway)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    bot = Bot("42:proxy", session=AiohttpSession(api=TelegramAPIServer.from_base(f"http://127.0.0.1:{port}")))
    try:
        with pytest.raises(TelegramServerError, match="HTTP 502"):
            await AlertSender(bot, sending_broadcast(False)).send(Delivery(1, "kk"))
    finally:
        await bot.session.close()
        await runner.cleanup()
