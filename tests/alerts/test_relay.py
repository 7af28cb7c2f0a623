"""The alert relay (bot/alerts/relay.py) and its journal, on each engine (a SQLite file, a
PostgreSQL database), forwarding to the Bot API emulator over real HTTP; and the engine that
sends through it and settles a dead sender's rows from the journal."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.alerts import DeliveryEngine
from bot.alerts.journal import JournalState, SendJournal, delivery_key
from bot.alerts.relay import IDEMPOTENCY_KEY, IN_DOUBT, REPLAYED, relay_running
from bot.alerts.repository import Delivery, DeliveryStatus
from bot.alerts.sending import AlertSender, DeliveryInDoubt
from bot.devtools.devserver import BotAPIEmulator
from bot.storage import Database
from bot.storage.users import UsersRepo
from tests.alerts.test_delivery import add_broadcast, add_users, deliveries, received, sending_broadcast, sends

TEXTS = {"kk": "Назар аударыңыз: алаяқтар банк атынан қоңырау шалады.",
         "ru": "Внимание: мошенники звонят от имени банка."}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
async def relay(db, emulator) -> AsyncIterator[str]:
    async with relay_running(SendJournal(db), emulator.base_url, "127.0.0.1", 0, timeout=2.0) as url:
        yield url


async def post(relay: str, token: str, chat_id: int, text: str, key: str | None,
               timeout: float = 10.0) -> tuple[int, dict, dict[str, str]]:
    headers = FORM | ({IDEMPOTENCY_KEY: key} if key is not None else {})
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{relay}/bot{token}/sendMessage", data={"chat_id": str(chat_id), "text": text},
                             headers=headers, timeout=aiohttp.ClientTimeout(total=timeout)) as response:
            return response.status, await response.json(), dict(response.headers)


# --- the journal ------------------------------------------------------------------------------


async def test_a_key_is_claimed_once_until_telegram_refuses_it_and_never_after_a_delivery(db):
    journal = SendJournal(db)
    key = delivery_key(7, 42)

    assert await journal.claim(key, 42, 1.0)
    assert not await journal.claim(key, 42, 2.0)  # on its way: not twice at once
    await journal.answer(key, JournalState.REFUSED, 3.0, status=429)
    assert await journal.claim(key, 42, 4.0)  # refused: the next try may go
    await journal.answer(key, JournalState.DELIVERED, 5.0, status=200,
                         answer={"message_id": 1, "date": 5, "chat": {"id": 42, "type": "private"}})
    assert not await journal.claim(key, 42, 6.0)
    entry = await journal.get(key)
    assert entry is not None and (entry.state, entry.status, entry.answer["chat"]["id"]) == (JournalState.DELIVERED, 200, 42)


async def test_forget_deletes_the_journal_rows_of_the_person_and_prune_the_old_ones(db):
    journal = SendJournal(db)
    await journal.claim(delivery_key(1, 42), 42, 1.0)
    await journal.claim(delivery_key(1, 43), 43, 1.0)
    await journal.claim(delivery_key(2, 43), 43, time.time())

    await UsersRepo(db).forget(42)
    assert await journal.get(delivery_key(1, 42)) is None

    assert await journal.prune(before=time.time() - 3600) == 1
    assert await journal.get(delivery_key(1, 43)) is None and await journal.get(delivery_key(2, 43)) is not None


# --- the relay --------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_repeated_request_is_answered_from_the_journal_and_telegram_sees_it_once(db, emulator, relay, lang):
    emulator.add_user(42)

    first = await post(relay, emulator.token, 42, TEXTS[lang], "5:42")
    again = await post(relay, emulator.token, 42, TEXTS[lang], "5:42")

    assert first[0] == again[0] == 200 and first[1]["result"]["text"] == TEXTS[lang]
    assert again[2].get(REPLAYED) == "1" and REPLAYED not in first[2]
    assert again[1]["result"]["message_id"] == first[1]["result"]["message_id"]
    assert "text" not in again[1]["result"]  # the journal keeps no text
    assert [m["text"] for m in emulator.bot_messages(42)] == [TEXTS[lang]]


async def test_a_sender_that_hangs_up_does_not_stop_the_forward_and_its_outcome_is_journalled(db, emulator, relay):
    emulator.add_user(42)
    emulator.delay("sendMessage", 1.0)

    with pytest.raises(asyncio.TimeoutError):
        await post(relay, emulator.token, 42, TEXTS["kk"], "5:42", timeout=0.2)
    await emulator.wait_until(lambda: len(emulator.bot_messages(42)) == 1, timeout=10)
    for _ in range(50):
        entry = await SendJournal(db).get("5:42")
        if entry is not None and entry.state is JournalState.DELIVERED:
            break
        await asyncio.sleep(0.1)
    assert entry is not None and entry.state is JournalState.DELIVERED

    status, answer, headers = await post(relay, emulator.token, 42, TEXTS["kk"], "5:42")  # the sender's retry
    assert status == 200 and headers.get(REPLAYED) == "1" and len(emulator.bot_messages(42)) == 1


async def test_a_refusal_passes_through_unchanged_and_the_next_try_is_forwarded(db, emulator, relay):
    emulator.add_user(42)
    emulator.block(42)

    status, answer, _ = await post(relay, emulator.token, 42, TEXTS["ru"], "5:42")
    assert status == 403 and answer["ok"] is False
    assert (await SendJournal(db).get("5:42")).state is JournalState.REFUSED

    emulator.unblock(42)
    status, _, _ = await post(relay, emulator.token, 42, TEXTS["ru"], "5:42")
    assert status == 200 and len(emulator.bot_messages(42)) == 1


async def test_a_request_telegram_may_have_carried_out_is_never_forwarded_again(db, emulator, relay):
    emulator.add_user(42)
    emulator.delay("sendMessage", 5.0)  # longer than the relay's 2 s: its answer is lost

    status, answer, headers = await post(relay, emulator.token, 42, TEXTS["kk"], "5:42")
    assert status == 409 and headers.get(IN_DOUBT) == "unknown"
    status, _, headers = await post(relay, emulator.token, 42, TEXTS["kk"], "5:42")
    assert status == 409 and headers.get(IN_DOUBT) == "unknown"
    await emulator.wait_until(lambda: len(sends(emulator)) >= 1)  # the first, once Telegram has it
    assert len(sends(emulator)) == 1  # a second forward would have been carried out at once


@pytest.mark.parametrize(("key", "method", "status"), [
    (None, "sendMessage", 400),  # no key: the relay forwards only what it can journal
    ("5:42; DROP TABLE send_journal", "sendMessage", 400),
    ("5:42", "deleteWebhook", 404),  # only the alerts' method goes through
])
async def test_a_request_the_relay_cannot_journal_is_refused_and_nothing_is_sent(db, emulator, relay, key, method, status):
    emulator.add_user(42)
    headers = FORM | ({IDEMPOTENCY_KEY: key} if key is not None else {})
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{relay}/bot{emulator.token}/{method}", data={"chat_id": "42", "text": "x"},
                             headers=headers) as response:
            assert response.status == status and (await response.json())["ok"] is False
    assert emulator.requests == [] and await SendJournal(db).get("5:42") is None


async def test_telegram_out_of_reach_is_a_passing_error_and_nothing_is_held(db):
    async with relay_running(SendJournal(db), "http://127.0.0.1:9", "127.0.0.1", 0) as url:
        status, answer, _ = await post(url, "123:abc", 42, TEXTS["ru"], "5:42")
    assert status == 502 and answer["error_code"] == 502
    assert (await SendJournal(db).get("5:42")).state is JournalState.REFUSED  # the next try may go


async def test_the_sender_raises_in_doubt_for_a_delivery_the_relay_holds(db, emulator, bot, relay):
    emulator.add_user(42)
    journal = SendJournal(db)
    await journal.claim(delivery_key(1, 42), 42, time.time())  # another request with this key is on its way
    sender = AlertSender(bot, sending_broadcast(paid=False), relay)

    with pytest.raises(DeliveryInDoubt):
        await sender.send(Delivery(42, "kk", 0))
    assert sends(emulator) == []


# --- the engine through the relay ---------------------------------------------------------------


async def stale_rows(db: Database, broadcast_id: int, user_ids: list[int], claimed_at: float) -> None:
    """What a sender killed mid-alert leaves: these rows 'sending', claimed long ago."""
    for user_id in user_ids:
        await db.execute("UPDATE deliveries SET status = 'sending', updated_at = ? WHERE broadcast_id = ? AND user_id = ?",
                         (claimed_at, broadcast_id, user_id))


async def test_a_dead_senders_rows_are_settled_from_the_journal_and_everyone_gets_the_alert_once(db, emulator, bot, relay):
    users = await add_users(db, emulator, range(1, 11))  # every other one Kazakh
    broadcast_id = await add_broadcast(db)
    engine = DeliveryEngine(db, bot, rate=1000, orphan_after=5.0, relay_url=relay)
    await engine.enqueue(broadcast_id)
    # The dead sender: user 1 reached Telegram through the relay (delivered), user 2 was on its
    # way to the relay when the sender died (nothing journalled), user 3 was lost after Telegram
    # got it (unknown), user 4 refused by a 502 (refused: may go again), user 5 claimed by a
    # relay that died forwarding it (started a minute ago, never answered).
    await stale_rows(db, broadcast_id, [1, 2, 3, 4, 5], time.time() - 60)
    journal = SendJournal(db)
    status, _, _ = await post(relay, emulator.token, 1, TEXTS["kk"], delivery_key(broadcast_id, 1))
    assert status == 200
    await journal.claim(delivery_key(broadcast_id, 3), 3, time.time() - 60)
    await journal.answer(delivery_key(broadcast_id, 3), JournalState.UNKNOWN, time.time() - 59)
    await journal.claim(delivery_key(broadcast_id, 4), 4, time.time() - 60)
    await journal.answer(delivery_key(broadcast_id, 4), JournalState.REFUSED, time.time() - 59, status=502)
    await journal.claim(delivery_key(broadcast_id, 5), 5, time.time() - 60)

    progress = await engine.run(broadcast_id)

    in_doubt = {3, 5}  # Telegram may have carried them out: never sent again
    assert received(emulator, users) == {user: 0 if user in in_doubt else 1 for user in users}
    rows = await deliveries(db, broadcast_id)
    assert {user: status for user, (status, _, _) in rows.items()} == {
        user: DeliveryStatus.SENDING.value if user in in_doubt else DeliveryStatus.SENT.value for user in users}
    assert (progress.done, progress.sent, progress.uncertain) == (True, 8, 2)


async def test_without_the_relay_a_dead_senders_rows_stay_uncertain(db, emulator, bot):
    users = await add_users(db, emulator, range(1, 6))
    broadcast_id = await add_broadcast(db)
    engine = DeliveryEngine(db, bot, rate=1000, orphan_after=5.0)
    await engine.enqueue(broadcast_id)
    await stale_rows(db, broadcast_id, [1, 2], time.time() - 60)

    progress = await engine.run(broadcast_id)

    assert received(emulator, users) == {1: 0, 2: 0, 3: 1, 4: 1, 5: 1}
    assert (progress.sent, progress.uncertain) == (3, 2)


async def test_a_row_the_relay_is_still_forwarding_waits_for_its_answer(db, emulator, bot, relay):
    users = await add_users(db, emulator, range(1, 4))
    broadcast_id = await add_broadcast(db)
    # orphan_after above the relay's 2 s timeout, as the bot's is (its request timeout + 10 s)
    engine = DeliveryEngine(db, bot, rate=1000, orphan_after=3.0, poll_every=0.2, relay_url=relay)
    await engine.enqueue(broadcast_id)
    await stale_rows(db, broadcast_id, [1], time.time() - 60)
    emulator.delay("sendMessage", 1.5, chat_id=1)
    forward = asyncio.create_task(post(relay, emulator.token, 1, TEXTS["kk"], delivery_key(broadcast_id, 1)))
    for _ in range(50):  # until the relay has claimed the key and waits for Telegram
        entry = await SendJournal(db).get(delivery_key(broadcast_id, 1))
        if entry is not None:
            break
        await asyncio.sleep(0.05)

    progress = await engine.run(broadcast_id)

    await forward
    assert received(emulator, users) == dict.fromkeys(users, 1)
    assert (progress.done, progress.sent, progress.uncertain) == (True, 3, 0)


async def test_while_the_relay_restarts_sending_waits_and_no_recipient_spends_an_attempt(db, emulator, bot):
    users = await add_users(db, emulator, range(1, 21))  # every other one Kazakh
    broadcast_id = await add_broadcast(db)
    with socket.socket() as probe:  # a port nothing listens on yet: the relay comes up there later
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    engine = DeliveryEngine(db, bot, rate=1000, max_attempts=2, relay_url=f"http://127.0.0.1:{port}")
    await engine.enqueue(broadcast_id)
    running = asyncio.create_task(engine.run(broadcast_id))
    await asyncio.sleep(1.0)  # refused connections meanwhile, more than max_attempts of them
    assert not running.done() and sends(emulator) == []

    async with relay_running(SendJournal(db), emulator.base_url, "127.0.0.1", port):
        progress = await asyncio.wait_for(running, 30)

    assert received(emulator, users) == dict.fromkeys(users, 1)
    assert {row for row in (await deliveries(db, broadcast_id)).values()} == {(DeliveryStatus.SENT.value, 1, None)}
    assert (progress.done, progress.sent, progress.failed) == (True, 20, 0)
