"""Two bots sharing one Redis (REDIS_URL) and one database: what one replica started, the other
carries on. Each bot polls its own emulator, so every step below lands on the replica the test
chooses. Kazakh and Russian side by side. (Three real processes behind a round-robin webhook:
tests/app/test_replicas.py.)"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from bot.classifier.identifiers import parse_phone
from bot.telegram.callbacks import ForgetCb
from bot.telegram.fsm import DIALOG_TTL
from tests.support.livebot import LiveBot, live_bot
from tests.support.servers import RedisServer, running

USER_OF = {"kk": 8301, "ru": 8302}
REGION = {"kk": "almaty_city", "ru": "kostanay"}
FRAUD = parse_phone("+77011234567")  # made up
BARE = "8 701 123 45 67"
SCAM = {
    "kk": "Сәлеметсіз бе, банктің қауіпсіздік қызметі. Картаңыздан күдікті аударым жасалды, шұғыл түрде "
          "SMS-тағы кодты айтыңыз",
    "ru": "Здравствуйте, это служба безопасности банка. По вашей карте подозрительная операция, срочно "
          "продиктуйте код из SMS",
}
THANKS = {"kk": "Рақмет!", "ru": "Спасибо!"}


async def until(read, done, timeout: float = 10.0):
    """Reads ``read()`` until ``done`` holds for it (what another task writes a moment later)."""
    deadline = time.monotonic() + timeout
    while True:
        found = await read()
        if done(found) or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.05)


def buttons(message: dict) -> list[dict]:
    return [b for row in (message.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


@pytest.fixture
async def replicas(settings, classifier, tmp_path, redis_url) -> AsyncIterator[tuple[LiveBot, LiveBot]]:
    shared = {"database_path": tmp_path / "saqbol.db", "redis_url": redis_url}
    async with live_bot(settings, classifier, heartbeat_path=tmp_path / "a", **shared) as first, \
            live_bot(settings, classifier, heartbeat_path=tmp_path / "b", **shared) as second:
        month_ago = time.time() - 30 * 86_400
        for lang, user in USER_OF.items():
            await first.deps.db.execute(
                "INSERT INTO users (id, language, region, created_at, seen_at) VALUES (?, ?, ?, ?, ?)",
                (user, lang, REGION[lang], month_ago, month_ago))
        yield first, second


@pytest.fixture
async def redis(redis_url) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_report_dialog_begun_on_one_replica_goes_on_on_the_other_and_its_button_works_on_the_first(
        replicas, redis, lang):
    first, second = replicas
    user = USER_OF[lang]
    await first.reply_to(user, "/report")  # the dialog's state: in Redis, not in the first's memory
    assert await redis.keys("saqbol:fsm:*")
    candidates = await second.reply_to(user, BARE)  # read as the report's text, not as a check
    [candidate] = buttons(candidates)
    assert candidate["text"] == FRAUD.shown
    # The tap reaches the first replica, which never made the offer: it is in Redis.
    first.emulator.press(user, candidates["message_id"], candidate["callback_data"], force=True)
    thanks = await first.emulator.next_message(user)
    assert thanks["text"].startswith(THANKS[lang])
    stored = await first.deps.db.fetchall("SELECT value, user_id, region FROM reports")
    assert [tuple(row) for row in stored] == [(FRAUD.value, user, REGION[lang])]


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_the_conversation_memory_is_shared_and_forget_on_either_replica_deletes_it(replicas, redis, lang):
    first, second = replicas
    user = USER_OF[lang]
    verdict = await first.reply_to(user, SCAM[lang])
    assert verdict["text"].startswith(("🔴", "🟠"))
    # Remembered just after the answer, by the first; the second replica reads it.
    await until(lambda: second.deps.repos.conversation.recall(user), lambda found: found is not None)
    assert await redis.exists(f"saqbol:conversation:{user}") == 1
    assert await first.deps.db.fetchval("SELECT count(*) FROM conversations") == 0  # not in the database
    await second.reply_to(user, "/forget")
    question = second.emulator.bot_messages(user)[-1]
    second.emulator.press(user, question["message_id"], ForgetCb(confirm=True).pack())
    await second.emulator.next_message(user)
    assert await redis.exists(f"saqbol:conversation:{user}") == 0
    assert await first.deps.repos.conversation.recall(user) is None
    # What stays is /forget's mark for the next text (the language question first), for an hour at most.
    [mark] = await redis.keys(f"saqbol:fsm:*:{user}:{user}:state")
    assert await redis.get(mark) == b"StartOver:fresh" and 0 < await redis.ttl(mark) <= DIALOG_TTL


async def test_a_flood_spread_over_two_replicas_is_counted_once(replicas, settings):
    """One user's updates alternate between the replicas: the limit is for both together."""
    first, second = replicas
    limit = settings.telegram.throttle_messages
    user = USER_OF["ru"]
    for i in range(limit * 2):
        (first if i % 2 else second).emulator.send_text(user, f"/help {i}")
    def answered() -> int:
        return len(first.emulator.bot_messages(user)) + len(second.emulator.bot_messages(user))

    await until(lambda: asyncio.sleep(0.1, answered()), lambda n: n >= limit + 1, timeout=30)
    await asyncio.sleep(1.0)  # anything more would come now
    assert answered() == limit + 1  # the limit's answers and one notice, not twice that
    notices = [m["text"] for bot in replicas for m in bot.emulator.bot_messages(user) if "слишком много" in m["text"]]
    assert len(notices) == 1 and "Хабарламаларды тым жиі жіберіп жатырсыз" in notices[0]  # kk and ru in one


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_when_redis_goes_down_mid_run_the_bot_still_answers_a_text_to_check(
        settings, classifier, tmp_path, redis_server, lang):
    """A redis-server of this test's own, stopped under the running bot: the flood gate, the
    dialogs' state and lock, the conversation memory and the report offers all go on without it,
    so the person still gets the verdict."""
    with running(RedisServer) as own:
        async with live_bot(settings, classifier, database_path=tmp_path / "saqbol.db", redis_url=own.url(0),
                            heartbeat_path=tmp_path / "heartbeat") as bot:
            user = USER_OF[lang]
            await bot.deps.db.execute("INSERT INTO users (id, language, region, created_at, seen_at)"
                                      " VALUES (?, ?, ?, ?, ?)", (user, lang, REGION[lang], time.time(), time.time()))
            assert (await bot.reply_to(user, SCAM[lang]))["text"].startswith(("🔴", "🟠"))
            own.stop()
            verdict = await bot.reply_to(user, SCAM[lang], timeout=30)
            assert verdict["text"].startswith(("🔴", "🟠"))
