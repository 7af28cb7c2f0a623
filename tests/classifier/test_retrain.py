"""Retraining with officers' examples (issue 14): the new classifier is swapped in while checks
go on, none of them fails, the relabelled texts get their new labels, a failed retrain keeps
the classifier in use, the latest request wins; in production it fits in a niced child."""

import asyncio
import os
import shutil
import time

import psutil
import pytest

from bot.classifier.retraining import RETRAIN_NICE, RetrainFailed
from bot.classifier.service import ClassifierService
from bot.knowledge.loader import DEFAULT_DIR

# A friend writing from a new number: the knowledge base reads it as the hacked-friend scheme;
# an officer found these ones genuine. And genuine-looking lines an officer found to be scams.
GENUINE = {"kk": "Сәлем, бұл мен, жаңа нөмірден жазып отырмын, ескісін сақтамай-ақ қой",
           "ru": "Привет, это я, пишу с нового номера, старый больше не сохраняй"}
SCAM = {"kk": "Апа, мен үйге жеттім, кешке хабарласамын, уайымдама",
        "ru": "Мам, я дома, ужин в холодильнике? Перезвоню вечером"}
RELABELLED = [("not_fraud", GENUINE["kk"], "kk"), ("not_fraud", GENUINE["ru"], "ru"),
              ("relative_emergency", SCAM["kk"], "kk"), ("relative_emergency", SCAM["ru"], "ru")]
UNDER_LOAD = ["Назовите код из смс", "Апа, мен үйге жеттім", "Сізге Kaspi-ден ұтыс түсті, сілтемеге өтіңіз",
              "Здравствуйте, служба безопасности банка"]


async def _checking_while(service: ClassifierService, until: asyncio.Future) -> list:
    """Checks one after another (kk and ru) until ``until`` is done: what users keep sending."""
    outcomes = []
    while not until.done():
        for text in UNDER_LOAD:
            try:
                outcomes.append(await asyncio.wait_for(service.check(text), timeout=30))
            except Exception as exc:  # noqa: BLE001 - counted, and the test fails on any
                outcomes.append(exc)
        await asyncio.sleep(0)
    return outcomes


async def test_checks_sent_during_a_retrain_all_succeed_and_the_relabelled_texts_get_the_officers_labels(classifier):
    service = ClassifierService.in_thread(classifier)
    try:
        before = {text: await service.check(text) for _, text, _ in RELABELLED}
        assert all(before[GENUINE[lang]].is_scam for lang in ("kk", "ru"))
        assert not any(before[SCAM[lang]].is_scam for lang in ("kk", "ru"))
        old_pool = service.pool
        retrain = asyncio.ensure_future(service.retrain(RELABELLED))
        outcomes = await _checking_while(service, retrain)
        report = retrain.result()
        after = {text: await service.check(text) for _, text, _ in RELABELLED}
    finally:
        service.close()
    assert len(outcomes) >= len(UNDER_LOAD) and not [o for o in outcomes if isinstance(o, Exception)]
    assert service.pool is not old_pool and service.retrains == 1
    assert report.reviewed == 4 and report.examples == classifier.report.examples + 4
    assert report.fingerprint == classifier.knowledge.with_examples(RELABELLED).fingerprint
    for lang in ("kk", "ru"):
        assert not after[GENUINE[lang]].is_scam and after[GENUINE[lang]].kind == "benign", lang
        assert after[SCAM[lang]].is_scam and after[SCAM[lang]].scheme == "relative_emergency", lang


async def test_a_failed_retrain_keeps_the_classifier_in_use(classifier):
    """An unknown label (a scheme renamed since the officer chose it) fails the retrain; the
    checks go on with the classifier they had, with the same answers, in kk and ru."""
    service = ClassifierService.in_thread(classifier)
    try:
        before = [await service.check(text) for text in UNDER_LOAD]
        pool = service.pool
        with pytest.raises(RetrainFailed, match="unknown label 'bank_call'"):
            await service.retrain([("bank_call", "Банктен хабарласып тұрмын, кодты айтыңыз", "kk"),
                                   ("not_fraud", GENUINE["ru"], "ru")])
        after = [await service.check(text) for text in UNDER_LOAD]
    finally:
        service.close()
    assert service.pool is pool and service.retrains == 0
    assert after == before


async def test_the_latest_retrain_request_wins_and_answers_the_earlier_caller_too(classifier):
    service = ClassifierService.in_thread(classifier)
    try:
        first = asyncio.ensure_future(service.retrain(RELABELLED[:2]))
        await asyncio.sleep(0.05)  # the first is building
        second = asyncio.ensure_future(service.retrain(RELABELLED))
        reports = await asyncio.gather(first, second)
        verdict = await service.check(SCAM["ru"])
    finally:
        service.close()
    assert reports[0] is reports[1] and reports[1].reviewed == len(RELABELLED)
    assert service.retrains == 1  # the first one's classifier was never swapped in
    assert verdict.scheme == "relative_emergency"


def _retrain_children(service: ClassifierService) -> list[psutil.Process]:
    serving = service.pool.pids()
    return [p for p in psutil.Process().children() if p.pid not in serving]


async def test_in_production_the_retrain_fits_in_a_niced_child_checks_go_on_and_a_new_process_answers_after(settings, tmp_path):
    classifier_settings = settings.classifier.model_copy(update={"backend": "lexical", "cache_dir": tmp_path})
    service = ClassifierService.in_process(classifier_settings)
    try:
        await asyncio.wait_for(service.warm_up(), timeout=120)
        old_pids = service.pool.pids()
        retrain = asyncio.ensure_future(service.retrain(RELABELLED))
        niced: set[int] = set()

        async def watch_priorities() -> None:
            deadline = time.monotonic() + 300
            while not retrain.done() and time.monotonic() < deadline:
                for child in _retrain_children(service):
                    try:
                        if child.nice() >= RETRAIN_NICE:
                            niced.add(child.pid)
                    except psutil.NoSuchProcess:
                        pass
                await asyncio.sleep(0.1)

        outcomes, _ = await asyncio.gather(_checking_while(service, retrain), watch_priorities())
        report = await asyncio.wait_for(retrain, timeout=30)
        verdicts = {lang: await service.check(GENUINE[lang]) for lang in ("kk", "ru")}
        new_pids = service.pool.pids()
    finally:
        service.close()
    assert niced, "no child of the retrain ran at a low priority"
    assert outcomes and not [o for o in outcomes if isinstance(o, Exception)]  # none failed, the swap included
    assert new_pids and not new_pids & old_pids and os.getpid() not in new_pids
    assert not any(psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
                   for pid in old_pids), "the old classifier process was not closed"
    assert report.reviewed == 4 and report.backend == "lexical"
    assert all(v.kind == "benign" and not v.is_scam for v in verdicts.values())


async def test_in_production_a_broken_knowledge_file_fails_the_retrain_and_the_process_in_use_answers(
        settings, tmp_path):
    """A reviewed-examples file with an unknown label lands in knowledge/ while the bot runs:
    the fitting child refuses it, the retrain fails saying why, and the classifier process
    that answered goes on answering (kk and ru)."""
    folder = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_DIR, folder)
    classifier_settings = settings.classifier.model_copy(
        update={"backend": "lexical", "cache_dir": tmp_path / "cache", "knowledge_dir": folder})
    service = ClassifierService.in_process(classifier_settings)
    try:
        await asyncio.wait_for(service.warm_up(), timeout=120)
        pids = service.pool.pids()
        (folder / "reviewed" / "bank_call.yaml").write_text(
            'examples:\n  - {text: "Банктен хабарласып тұрмын, кодты айтыңыз", lang: kk}\n', encoding="utf-8")
        with pytest.raises(RetrainFailed, match=r"reviewed/bank_call\.yaml: unknown label 'bank_call'"):
            await asyncio.wait_for(service.retrain(RELABELLED), timeout=120)
        verdicts = [await service.check(text) for text in (SCAM["kk"], SCAM["ru"])]
        after = service.pool.pids()
    finally:
        service.close()
    assert after == pids and service.retrains == 0
    assert all(not v.is_scam for v in verdicts)
