"""The deployed bot carries no development tools: `python -m bot run` with a BOT_TOKEN imports
nothing from `bot.devtools` (the emulator, the demo page, the benches), in its own process or in
the classifier and OCR processes it starts. Only the demo, without a token, and the dev commands
load them, lazily in `bot.cli`. So a deployment cannot break because a dev tool did, and the
product does not depend on code nobody runs in production."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from bot.devtools.devserver.emulator import BotAPIEmulator
from tests.support.botprocess import START_TIMEOUT, bot_env, reaped, start_bot

USER_RU, USER_KK = 41001, 41002
SCAM_RU = "Здравствуйте, служба безопасности банка. Продиктуйте код из SMS, чтобы отменить операцию"
SCAM_KK = "Сәлеметсіз бе, банктің қауіпсіздік қызметі. Операцияны тоқтату үшін SMS-тағы кодты айтыңыз"


def imported_modules(log: str) -> set[str]:
    """The modules named by ``python -X importtime`` in a log ("import time: self | cumulative |
    name"); every process the bot spawns inherits the option, so their imports are there too."""
    return {line.rsplit("|", 1)[-1].strip() for line in log.splitlines() if line.startswith("import time:")}


def test_importtime_lines_are_read_as_module_names():
    log = ("import time: self [us] | cumulative | imported package\n"
           "import time:       512 |        812 |   bot.devtools.devserver\n"
           "2026-12-04 INFO bot.app.runner: stopped\n"
           "import time:        90 |         90 | bot.app.runner\n")
    assert imported_modules(log) == {"imported package", "bot.devtools.devserver", "bot.app.runner"}


async def test_the_bot_with_a_token_answers_in_kazakh_and_russian_without_importing_the_dev_tools(tmp_path: Path):
    log_path = tmp_path / "bot.log"
    async with BotAPIEmulator() as emulator:
        emulator.add_user(USER_RU, language_code="ru")
        emulator.add_user(USER_KK, language_code="kk")
        async with reaped(await start_bot(bot_env(tmp_path, emulator), log_path, "-X", "importtime")) as bot:
            await emulator.wait_until(lambda: emulator.is_polling, timeout=START_TIMEOUT)
            emulator.send_text(USER_RU, SCAM_RU)
            emulator.send_text(USER_KK, SCAM_KK)
            answers = await asyncio.gather(emulator.next_message(USER_RU, timeout=60),
                                           emulator.next_message(USER_KK, timeout=60))
            bot.send_signal(signal.SIGTERM)
            code = await asyncio.wait_for(bot.wait(), 15)
    log = log_path.read_text(errors="replace")
    assert code == 0, log[-3000:]
    assert "банка" in answers[0]["text"] and "банк" in answers[1]["text"]
    modules = imported_modules(log)
    # the record is there, for the bot and its handlers and for the processes it spawned
    assert {"bot.app.runner", "bot.handlers"} <= modules, sorted(modules)[:50]
    assert log.count("import time: self [us]") >= 2, "only one process wrote its imports"
    assert sorted(m for m in modules if m == "bot.devtools" or m.startswith("bot.devtools.")) == []
