"""`running_bot`: the one way the demo, the load test and the end-to-end tests start the bot
against the emulator. What it starts must be what `python -m bot run` starts against Telegram,
the command menu and the clean stop included; the copies it replaced had each lost a part."""

from __future__ import annotations

import pytest

from bot.devtools.loadtest import run_loadtest
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
