"""The check service: batches under load, one bad text never costs the others, and the
production mode really classifies in a child process."""

import asyncio
import os
import pickle

import pytest
from pydantic import SecretStr

from bot.classifier import EmptyText
from bot.classifier.service import ClassifierService
from bot.workers.pool import SecretInWorker, secrets_in

TEXTS = ["Назовите код из смс", "Апа, мен үйге жеттім", "Сізге Kaspi-ден ұтыс түсті, сілтемеге өтіңіз"] * 20


async def test_a_burst_gets_the_same_verdicts_as_one_by_one(classifier):
    service = ClassifierService.in_thread(classifier)
    try:
        verdicts = await asyncio.gather(*(service.check(t) for t in TEXTS))
    finally:
        service.close()
    assert [v.scheme for v in verdicts] == [classifier.classify(t).scheme for t in TEXTS]


async def test_an_empty_text_in_a_batch_fails_alone(classifier):
    service = ClassifierService.in_thread(classifier)
    try:
        outcomes = await asyncio.gather(*(service.check(t) for t in ["Назовите код", "\u200b", "Сәлем"]),
                                        return_exceptions=True)
    finally:
        service.close()
    assert isinstance(outcomes[1], EmptyText)
    assert not isinstance(outcomes[0], Exception) and not isinstance(outcomes[2], Exception)


async def test_production_mode_classifies_in_a_child_process(settings, classifier):
    service = ClassifierService.in_process(settings.with_values(backend="lexical").classifier)
    try:
        verdict = await asyncio.wait_for(service.check(TEXTS[0]), timeout=120)
        worker_pids = service.pool.pids()
    finally:
        service.close()
    assert worker_pids and os.getpid() not in worker_pids
    assert verdict.scheme == classifier.classify(TEXTS[0]).scheme


@pytest.mark.parametrize("text", ["", "🙂" * 50])
async def test_nothing_to_check_is_reported_to_the_caller(classifier, text):
    service = ClassifierService.in_thread(classifier)
    try:
        with pytest.raises(EmptyText):
            await service.check(text)
    finally:
        service.close()


def test_the_classifier_process_is_given_no_secret(settings):
    """What the pool pickles into the child: the classifier's section and the log level, never
    the bot token or the webhook secret."""
    settings = settings.with_values(bot_token=SecretStr("7000000001:TOKEN-NEVER-IN-A-CHILD"),
                                    webhook_secret=SecretStr("WEBHOOK-NEVER-IN-A-CHILD"), backend="lexical")
    service = ClassifierService.in_process(settings.classifier, settings.log_level)
    try:
        initargs = service.pool.executor()._initargs  # noqa: SLF001 - exactly what the child is given
        payload = pickle.dumps(initargs)
    finally:
        service.close()
    assert b"TOKEN-NEVER-IN-A-CHILD" not in payload and b"WEBHOOK-NEVER-IN-A-CHILD" not in payload
    assert not list(secrets_in(initargs)) and b"SecretStr" not in payload


def test_handing_the_classifier_process_the_whole_settings_is_refused(settings):
    settings = settings.with_values(bot_token=SecretStr("7000000001:TOKEN-NEVER-IN-A-CHILD"))
    with pytest.raises(SecretInWorker, match=r"initargs\[0\]\.telegram\.token"):
        ClassifierService.in_process(settings)  # type: ignore[arg-type]  # the mistake this guards against
