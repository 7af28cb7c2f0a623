"""Issue 15's acceptance: three real `python -m bot run` processes in webhook mode behind the
emulator's round-robin webhook (a load balancer), sharing one PostgreSQL database and one
Redis, as deploy/docker-compose.yml runs them.

- 1,000 messages from 200 people, Kazakh and Russian side by side: every message answered
  exactly once (each person waits for the answer before the next message, as people do; at the
  end each chat holds exactly as many answers as it sent messages).
- A flood from one person is limited to 20 per 10 s across all replicas, not 20 per replica:
  the flood count lives in Redis.
- A /broadcast dialog whose every step lands on another replica completes: the dialog's state
  lives in Redis (aiogram's RedisStorage), the alert in PostgreSQL.

The three processes are started once for the module (each builds its classifier, which takes
the longest); the people of each test are their own.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
import pytest_asyncio

from bot.devtools.devserver.emulator import BotAPIEmulator
from bot.devtools.running import ReplicaSet, bot_replicas, replica_set
from bot.devtools.servers import PostgresServer
from tests.support.servers import fresh_database

pytestmark = pytest.mark.asyncio(loop_scope="module")

REPLICAS = 3
REDIS_DB = 5  # a database of the session's Redis of its own: other tests flush database 0
SUPER, AUTHOR, SECOND = 9101, 9102, 9103  # a superadmin (ADMIN_IDS), and two officers they grant
SUBSCRIBER_KK, SUBSCRIBER_RU = 9111, 9112
FIRST_USER = 600_000_000
FLOOD_LIMIT, FLOOD_WINDOW = 20, 10.0  # the bot's defaults: THROTTLE_MESSAGES, THROTTLE_WINDOW

# Written for this test: what people send, scams and everyday words, in both languages.
TEXTS = {
    "kk": ["Сәлеметсіз бе, банктің қауіпсіздік қызметі. SMS-тағы кодты айтыңыз, операцияны тоқтатамыз",
           "Сіздің сәлемдемеңіз кідіртілді, жеткізу ақысын мына сілтеме арқылы төлеңіз: kazpost-zhetkizu.top",
           "Бұл алаяқтар ма, қалай тексеремін?",
           "Апа, қиын жағдайға түстім, тез ақша аударыңызшы, кейін түсіндіремін",
           "Рақмет!"],
    "ru": ["Здравствуйте, служба безопасности банка. Продиктуйте код из SMS, чтобы отменить операцию",
           "Ваша посылка задержана, оплатите доставку по ссылке: kazpost-dostavka.top",
           "Как понять, что мне звонили мошенники?",
           "Мама, я попал в беду, срочно переведи деньги, потом всё объясню",
           "Спасибо!"],
}
NOTICE = {"kk": "тым жиі жіберіп жатырсыз", "ru": "слишком много сообщений подряд"}
ALERT_KK = "Қазпошта атынан қоңырау шалып, кодты сұрайды. Кодты ешкімге айтпаңыз!"
ALERT_RU = "Звонят от имени Казпочты и просят код. Никому не называйте код!"


@dataclass
class Stack:
    emulator: BotAPIEmulator
    replicas: ReplicaSet
    postgres: PostgresServer
    database: str

    def sql(self, query: str) -> str:
        """What the replicas' PostgreSQL database answers (psql, unaligned)."""
        return self.postgres.psql(query, self.database).strip()

    def language(self, user: int) -> str:
        return "kk" if user % 2 else "ru"

    def add_people(self, first: int, count: int) -> list[int]:
        """``count`` people, Kazakh and Russian in turn (their apps' language)."""
        people = list(range(first, first + count))
        for user in people:
            self.emulator.add_user(user, language_code=self.language(user))
        return people

    async def settled(self, timeout: float = 120.0) -> None:
        """Every update delivered and answered 200 by a replica."""
        await self.emulator.wait_until(lambda: self.emulator.pending_updates == 0, timeout=timeout)

    async def reply_to(self, user: int, text: str, timeout: float = 60.0) -> dict:
        self.emulator.send_text(user, text)
        return await self.emulator.next_message(user, timeout=timeout)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def stack(postgres_server, postgres_template, redis_server, tmp_path_factory) -> AsyncIterator[Stack]:
    """Three replicas on a fresh PostgreSQL database and a flushed Redis database, behind the
    emulator's round-robin webhook; the superadmin is SUPER."""
    with fresh_database(postgres_server, template=postgres_template, prefix="replicas") as database:
        redis_server.flush(REDIS_DB)
        async with BotAPIEmulator(record_requests=False) as emulator:
            replicas = replica_set(REPLICAS, api_url=emulator.base_url, folder=tmp_path_factory.mktemp("replicas"),
                                   database=postgres_server.url(database), redis_url=redis_server.url(REDIS_DB),
                                   extra_env={"ADMIN_IDS": str(SUPER), "BROADCAST_RATE": "30"})
            emulator.webhook_replicas = replicas.webhook_urls
            async with bot_replicas(replicas):
                await emulator.wait_until(lambda: emulator.webhook is not None, timeout=60)
                yield Stack(emulator, replicas, postgres_server, database)


async def test_a_thousand_messages_from_two_hundred_people_are_each_answered_exactly_once(stack):
    people = stack.add_people(FIRST_USER, 200)
    emulator = stack.emulator

    async def person(user: int) -> None:
        for text in TEXTS[stack.language(user)]:
            emulator.send_text(user, text)
            await emulator.next_message(user, timeout=180)  # answered before the next one is sent

    started = time.monotonic()
    await asyncio.gather(*(person(user) for user in people))
    took = time.monotonic() - started
    await stack.settled()
    await asyncio.sleep(1.0)  # a duplicate answer would arrive now
    counts = {user: len(emulator.bot_messages(user)) for user in people}
    assert set(counts.values()) == {5}, {user: n for user, n in counts.items() if n != 5}
    deliveries = emulator.webhook.deliveries
    assert sorted(deliveries) == sorted(stack.replicas.webhook_urls) and min(deliveries.values()) >= 300, deliveries
    stored = stack.sql(f"SELECT count(*) FROM users WHERE id BETWEEN {people[0]} AND {people[-1]}")
    assert stored == "200"  # the replicas' one database is PostgreSQL
    kk, ru = emulator.bot_messages(people[1]), emulator.bot_messages(people[0])
    assert "банк" in kk[0]["text"] and "банк" in ru[0]["text"]
    assert kk[0]["text"] != ru[0]["text"]  # each in their own language
    print(f"\n1000 messages from 200 people on {REPLICAS} replicas: {took:.1f} s, {1000 / took:.0f} messages/s")


@pytest.mark.parametrize("language", ["kk", "ru"])
async def test_a_flood_from_one_person_is_limited_to_twenty_per_ten_seconds_across_all_replicas(stack, language):
    user = FIRST_USER + 1000 + (1 if language == "kk" else 0)
    stack.emulator.add_user(user, language_code=language)
    routes_before = set(stack.emulator.webhook.routes)
    started = time.monotonic()
    sent = [stack.emulator.send_text(user, f"{TEXTS[language][0]} #{n}") for n in range(60)]
    await stack.settled()
    took = time.monotonic() - started
    assert took < FLOOD_WINDOW, f"the 60 messages took {took:.1f} s to go through: the window moved on"
    texts = [m.get("text", "") for m in stack.emulator.bot_messages(user)]
    notices = [t for t in texts if NOTICE["ru"] in t]
    assert len(texts) - len(notices) == FLOOD_LIMIT, f"{len(texts) - len(notices)} of 60 answered, not {FLOOD_LIMIT}"
    assert len(notices) == 1 and NOTICE["kk"] in notices[0], texts  # one notice, in both languages
    handled_by = {url for update_id, url in stack.emulator.webhook.routes.items() if update_id not in routes_before}
    assert len(handled_by) == REPLICAS  # the flood was spread over every replica
    assert len(sent) == 60


def buttons(message: dict) -> list[dict]:
    return [b for row in (message.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


async def test_a_broadcast_dialog_whose_steps_land_on_different_replicas_completes(stack):
    emulator = stack.emulator
    for user, language in ((SUPER, "ru"), (AUTHOR, "kk"), (SECOND, "ru"), (SUBSCRIBER_KK, "kk"),
                           (SUBSCRIBER_RU, "ru")):
        emulator.add_user(user, language_code=language)
    assert "9102" in (await stack.reply_to(SUPER, f"/grant {AUTHOR}"))["text"]
    assert "9103" in (await stack.reply_to(SUPER, f"/grant {SECOND}"))["text"]
    for subscriber, language in ((SUBSCRIBER_KK, "kk"), (SUBSCRIBER_RU, "ru")):
        choice = await stack.reply_to(subscriber, "/language")  # an alert goes in the language chosen
        emulator.press(subscriber, choice["message_id"],
                       next(b["callback_data"] for b in buttons(choice) if b["callback_data"].startswith(f"lang:{language}")))
        await stack.settled()
        await stack.reply_to(subscriber, "/subscribe")
    await stack.settled()
    before = {subscriber: len(emulator.bot_messages(subscriber)) for subscriber in (SUBSCRIBER_KK, SUBSCRIBER_RU)}
    first_step = max(emulator.webhook.routes) + 1

    await stack.reply_to(AUTHOR, "/broadcast")
    await stack.reply_to(AUTHOR, ALERT_KK)
    pick = await stack.reply_to(AUTHOR, ALERT_RU)
    emulator.press(AUTHOR, pick["message_id"], "bc:national:-")
    schemes = await emulator.next_message(AUTHOR, timeout=60)
    emulator.press(AUTHOR, schemes["message_id"], "bc:scheme:delivery_parcel")
    preview_kk = await emulator.next_message(AUTHOR, timeout=60)
    preview_ru = await emulator.next_message(AUTHOR, timeout=60)
    summary = await emulator.next_message(AUTHOR, timeout=60)
    assert ALERT_KK in preview_kk["text"] and ALERT_RU in preview_ru["text"]
    emulator.press(AUTHOR, summary["message_id"], "bc:submit:-")
    await emulator.wait_until(lambda: "#" in emulator.bot_messages(AUTHOR)[-1]["text"], timeout=60)
    await emulator.wait_until(lambda: any(b["callback_data"].startswith("apr:") and b["callback_data"].endswith(":1")
                                          for m in emulator.bot_messages(SECOND) for b in buttons(m)), timeout=60)
    ask = next(m for m in emulator.bot_messages(SECOND) if buttons(m))
    approve = next(b["callback_data"] for b in buttons(ask) if b["callback_data"].endswith(":1"))
    emulator.press(SECOND, ask["message_id"], approve)

    await emulator.wait_until(lambda: all(len(emulator.bot_messages(s)) > n for s, n in before.items()), timeout=60)
    await stack.settled()
    alert_kk, alert_ru = (emulator.bot_messages(s)[-1]["text"] for s in (SUBSCRIBER_KK, SUBSCRIBER_RU))
    assert all(len(emulator.bot_messages(s)) == n + 1 for s, n in before.items())  # one alert each
    assert alert_kk == f"🚔 Полиция ескертеді\n\n{ALERT_KK}"
    assert alert_ru == f"🚔 Предупреждение полиции\n\n{ALERT_RU}"
    steps = {update_id: url for update_id, url in emulator.webhook.routes.items() if update_id >= first_step}
    assert len(set(steps.values())) == REPLICAS, steps  # the dialog went through every replica
