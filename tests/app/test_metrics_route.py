"""GET /metrics wherever `python -m bot run` serves HTTP: beside the webhook (one server per
replica, which Prometheus scrapes directly) and, with long polling, on the server of its own at
PANEL_HOST:PANEL_PORT. The bot runs as deployed (`run`, the classifier in its own process)
against the Bot API emulator; a Kazakh and a Russian text each move the counters."""

from __future__ import annotations

import aiohttp
from pydantic import SecretStr

from bot.app.scraping import METRICS_PATH
from bot.devtools.devserver.emulator import BotAPIEmulator
from tests.app.test_run_modes import deployed, free_port, running, webhook_deployed
from tests.support.scrape import Scrape

PEOPLE = {"kk": 5813402801, "ru": 5813402802}
SCAM = {"kk": "Сәлеметсіз бе, банктің қауіпсіздік қызметі. SMS-тағы кодты айтыңыз, әйтпесе картаңыз бұғатталады",
        "ru": "Здравствуйте, служба безопасности банка. Продиктуйте код из SMS, иначе карта будет заблокирована"}


async def scrape(base_url: str) -> Scrape:
    async with aiohttp.ClientSession(base_url) as http, http.get(METRICS_PATH) as response:
        assert response.status == 200, await response.text()
        return Scrape.parse(await response.text())


async def texts_move_the_counters(emulator: BotAPIEmulator, base_url: str) -> None:
    before = await scrape(base_url)
    for lang, user_id in PEOPLE.items():
        emulator.add_user(user_id, language_code=lang)
        emulator.send_text(user_id, SCAM[lang])
        answer = await emulator.next_message(user_id, timeout=30)
        assert answer["text"].startswith(("🔴", "🟠"))
    after = await scrape(base_url)
    assert after.value("saqbol_updates_total", type="message") - before.value("saqbol_updates_total",
                                                                              type="message") == 2
    for lang in PEOPLE:
        assert after.total("saqbol_checks_total", language=lang) - before.total("saqbol_checks_total",
                                                                                language=lang) == 1
    assert after.value("saqbol_classify_seconds_count") - before.value("saqbol_classify_seconds_count") == 2
    assert after.value("saqbol_subscribers") == 0 and after.total("saqbol_scrape_errors_total") == 0


async def test_the_webhook_server_serves_metrics_beside_the_webhook(settings, tmp_path):
    port = free_port()
    async with BotAPIEmulator() as emulator:
        config = webhook_deployed(settings, tmp_path, emulator, port)
        async with running(config):
            await emulator.wait_until(lambda: emulator.webhook_url is not None, timeout=120)
            await texts_move_the_counters(emulator, f"http://127.0.0.1:{port}")


async def test_with_long_polling_metrics_are_served_on_the_bots_own_http_server(settings, tmp_path):
    port = free_port()
    async with BotAPIEmulator() as emulator:
        config = deployed(settings, tmp_path, bot_token=SecretStr(emulator.token), telegram_api_url=emulator.base_url,
                          panel_host="127.0.0.1", panel_port=port)
        async with running(config):
            await emulator.wait_until(lambda: emulator.is_polling, timeout=120)
            await texts_move_the_counters(emulator, f"http://127.0.0.1:{port}")
