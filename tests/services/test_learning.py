"""Learning: officers' labels in the database retrain the classifier in the background, once
for a run of labels, at start when the database holds some, and a failure keeps the
classifier in use. A real SQLite file, the real review queue, the real lexical classifier;
Kazakh and Russian side by side."""

from __future__ import annotations

import logging
import time

import pytest

from bot.classifier.service import ClassifierService
from bot.services.learning import Learning
from bot.storage import Database, Repositories

OFFICER = 7001
# A friend writing from a new number: read as the hacked-friend scheme; officers found these genuine.
GENUINE = {"kk": "Сәлем, бұл мен, жаңа нөмірден жазып отырмын, ескісін сақтамай-ақ қой",
           "ru": "Привет, это я, пишу с нового номера, старый больше не сохраняй"}


@pytest.fixture
async def setup(classifier, tmp_path):
    db = await Database.open(tmp_path / "saqbol.db")
    repos = Repositories.of(db, superadmins=frozenset(), conversation_ttl=1800)
    checker = ClassifierService.in_thread(classifier)
    learning = Learning(checker, repos.reviews, debounce=0.3)
    try:
        yield learning, checker, repos
    finally:
        learning.close()
        checker.close()
        await db.close()


async def _label(repos: Repositories, classifier, user_id: int, text: str, label: str) -> None:
    """A user checks ``text`` and disputes it; an officer labels it from the queue."""
    await repos.users.touch(user_id)
    check_id = await repos.checks.add(user_id, text, "text", classifier.classify(text))
    await repos.reviews.enqueue_check(check_id, "disputed")
    item = await repos.reviews.next_item()
    assert item is not None
    assert await repos.reviews.label(OFFICER, item.id, label) is not None


async def test_labels_given_in_a_row_retrain_once_and_the_texts_get_the_officers_labels(setup, classifier):
    learning, checker, repos = setup
    before = {lang: await checker.check(text) for lang, text in GENUINE.items()}
    assert all(v.is_scam for v in before.values())
    for number, text in enumerate(GENUINE.values()):
        await _label(repos, classifier, 500 + number, text, "not_fraud")
        learning.schedule()  # what the review service does after each label
    assert not learning.idle
    await learning.wait_idle()
    after = {lang: await checker.check(text) for lang, text in GENUINE.items()}
    assert checker.retrains == 1 and learning.last is not None and learning.last.reviewed == 2
    assert all(not v.is_scam and v.kind == "benign" for v in after.values())


async def test_at_start_reviewed_examples_in_the_database_retrain_in_the_background(setup, classifier):
    learning, checker, repos = setup
    for number, text in enumerate(GENUINE.values()):
        await _label(repos, classifier, 600 + number, text, "not_fraud")
    started = time.perf_counter()
    await learning.at_start()
    assert time.perf_counter() - started < 1.0 and not learning.idle  # the bot starts; the retrain goes on
    assert (await checker.check(GENUINE["kk"])).is_scam  # answered meanwhile by the written knowledge base
    await learning.wait_idle()
    assert checker.retrains == 1
    assert not (await checker.check(GENUINE["ru"])).is_scam


async def test_at_start_an_empty_database_retrains_nothing(setup):
    learning, checker, _ = setup
    await learning.at_start()
    await learning.wait_idle()
    assert learning.idle and checker.retrains == 0 and learning.last is None


async def test_a_failing_retrain_is_logged_and_the_classifier_in_use_stays(setup, classifier, caplog):
    """A label the knowledge base does not know (a scheme renamed since the officer chose it)."""
    learning, checker, repos = setup
    await _label(repos, classifier, 700, GENUINE["kk"], "bank_call")
    await _label(repos, classifier, 701, GENUINE["ru"], "not_fraud")
    caplog.set_level(logging.INFO)
    learning.schedule()
    await learning.wait_idle()
    assert checker.retrains == 0 and learning.last is None
    failures = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert any("unknown label 'bank_call'" in m and "the classifier in use stays" in m for m in failures), failures
    assert [(await checker.check(text)).is_scam for text in GENUINE.values()] == [True, True]
