"""`running_bot`: the one way the demo, the load test and the end-to-end tests start the bot
against the emulator. What it starts must be what `python -m bot run` starts against Telegram,
the command menu and the clean stop included; the copies it replaced had each lost a part."""

from __future__ import annotations

import pytest

from bot.devtools.devserver.emulator import BotAPIEmulator
from bot.devtools.loadtest import run_loadtest
from bot.devtools.running import bot_replicas, replica_set
from tests.support.livebot import live_bot

SCAM_RU = "Здравствуйте, служба безопасности банка. Продиктуйте код из SMS, чтобы отменить операцию"
SCAM_KK = "Сәлеметсіз бе, банктің қауіпсіздік қызметі. Операцияны тоқтату үшін SMS-тағы кодты айтыңыз"


async def test_the_bot_sets_its_command_menu_in_kazakh_and_in_russian(live):
    kk, ru = live.emulator.my_commands(language_code="kk"), live.emulator.my_commands(language_code="ru")
    assert [c["command"] for c in kk] == [c["command"] for c in ru]
    assert {"start", "help", "language", "forget"} <= {c["command"] for c in kk}
    assert [c["description"] for c in kk] != [c["description"] for c in ru]  # each in its language
    assert live.emulator.my_commands() == ru  # apps in other languages get the Russian menu


@pytest.mark.parametrize(("language", "text", "words"),
                         [("kk", SCAM_KK, "банк"), ("ru", SCAM_RU, "службы безопасности банка")], ids=["kk", "ru"])
async def test_an_answer_still_on_its_way_when_the_bot_stops_reaches_the_user(settings, classifier, tmp_path,
                                                                                language, text, words):
    user = 52001
    async with live_bot(settings, classifier, database_path=tmp_path / "saqbol.db",
                        heartbeat_path=tmp_path / "heartbeat") as live:
        emulator = live.emulator
        emulator.add_user(user, language_code=language)
        # the answer is held on the way; had the stop cancelled its handler, it would never arrive
        emulator.delay("sendMessage", 1.0, chat_id=user, in_transit=True)
        emulator.send_text(user, text)
        await emulator.wait_until(lambda: emulator.in_transit == 1, timeout=30)
    texts = [m.get("text", "") for m in emulator.bot_messages(user)]
    verdicts = [t for t in texts if t.startswith(("🔴", "🟠"))]
    assert len(verdicts) == 1 and words in verdicts[0], texts


def test_the_load_test_answers_every_message_of_its_kazakh_and_russian_users(settings):
    report = run_loadtest(settings, users=4, messages=2)  # users alternate kk and ru
    assert report.startswith("loadtest: 4 users x 2 messages = 8 updates, backend lexical"), report
    assert "throughput" in report and "latency p95" in report


async def test_two_bot_processes_behind_the_round_robin_webhook_answer_kazakh_and_russian_users(tmp_path):
    """`bot_replicas`: real `python -m bot run` processes in webhook mode, one SQLite file, the
    emulator's webhook spreading the users over them; SIGTERM stops both cleanly."""
    async with BotAPIEmulator() as emulator:
        replicas = replica_set(2, api_url=emulator.base_url, folder=tmp_path,
                               database=f"sqlite:///{tmp_path / 'saqbol.db'}")
        emulator.webhook_replicas = replicas.webhook_urls
        users = {53001: ("kk", SCAM_KK), 53002: ("ru", SCAM_RU), 53003: ("kk", SCAM_KK), 53004: ("ru", SCAM_RU)}
        async with bot_replicas(replicas):
            await emulator.wait_until(lambda: emulator.webhook is not None, timeout=30)
            for user, (language, text) in users.items():
                emulator.add_user(user, language_code=language)
                emulator.send_text(user, text)
            answers = {user: await emulator.next_message(user, timeout=60) for user in users}
            await emulator.wait_until(lambda: emulator.pending_updates == 0, timeout=30)  # the POSTs answered
            deliveries = dict(emulator.webhook.deliveries)
        codes = await replicas.stop()
    assert all(answer["text"].startswith(("🔴", "🟠")) for answer in answers.values()), answers
    assert "банк" in answers[53001]["text"] and "службы безопасности банка" in answers[53002]["text"]
    assert deliveries == {url: 2 for url in replicas.webhook_urls}  # two users each
    assert codes == [0, 0], [r.log_tail() for r in replicas.replicas]
