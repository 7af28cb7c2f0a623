"""The verdicts service: a text → its verdict, kept as a stored check (redacted, with how it
reached the bot) and remembered for a follow-up; storage never costs the verdict.

The real lexical classifier, the real intent reader and a real SQLite file; Kazakh and Russian
side by side.
"""

from __future__ import annotations

import pytest

from bot.classifier import EmptyText
from bot.classifier.faq import FaqMatcher
from bot.classifier.intents import IntentReader
from bot.classifier.service import ClassifierService
from bot.replies.verdict import ReplyRenderer
from bot.services.conversation import Conversation
from bot.services.verdicts import Verdicts
from bot.storage import Database, Repositories

USER = 601
SCAM = {
    "kk": "Сәлеметсіз бе, банктің қауіпсіздік қызметі. Картаңыз 4400 4301 2345 6789 бұғатталды, "
          "SMS-тағы кодты айтыңыз",
    "ru": "Здравствуйте, служба безопасности банка. Ваша карта 4400 4301 2345 6789 заблокирована, "
          "назовите код из SMS",
}


@pytest.fixture(scope="module")
def reader(knowledge) -> IntentReader:
    return IntentReader(knowledge)


@pytest.fixture
async def setup(knowledge, reader, classifier, tmp_path):
    db = await Database.open(tmp_path / "saqbol.db")
    repos = Repositories.of(db, superadmins=frozenset(), conversation_ttl=1800)
    await repos.users.touch(USER)
    checker = ClassifierService.in_thread(classifier)
    await checker.warm_up()
    conversation = Conversation(knowledge, reader, checker, FaqMatcher(knowledge), ReplyRenderer(knowledge),
                                repos.conversation)
    try:
        yield Verdicts(checker, repos.checks, conversation), repos, db
    finally:
        checker.close()
        if db.conn is not None:
            await db.close()


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_verdict_is_kept_redacted_with_how_the_text_came_and_remembered(setup, lang):
    verdicts, repos, db = setup
    verdict = await verdicts.check(SCAM[lang])
    checked = await verdicts.keep(USER, SCAM[lang], "picture", verdict)
    assert checked.verdict is verdict and checked.check_id is not None
    async with db.conn.execute("SELECT source, text_redacted, risk FROM checks WHERE id = ?", (checked.check_id,)) as c:
        medium, stored, risk = await c.fetchone()
    assert (medium, risk) == ("picture", verdict.risk)
    assert "4400 4301 2345 6789" not in stored and "[карта]" in stored
    assert {"kk": "бұғатталды", "ru": "заблокирована"}[lang] in stored
    assert await repos.conversation.recall(USER) is None  # answer first, remember after
    await verdicts.remember(USER, verdict)
    memory = await repos.conversation.recall(USER)
    assert memory is not None and memory.verdict is not None and memory.verdict.scheme == verdict.scheme


async def test_without_a_sender_nothing_is_stored_or_remembered(setup):
    verdicts, repos, db = setup
    verdict = await verdicts.check(SCAM["ru"])
    assert (await verdicts.keep(None, SCAM["ru"], "text", verdict)).check_id is None
    await verdicts.remember(None, verdict)
    async with db.conn.execute("SELECT (SELECT count(*) FROM checks), (SELECT count(*) FROM conversations)") as c:
        assert tuple(await c.fetchone()) == (0, 0)


async def test_a_failing_database_costs_the_stored_check_not_the_verdict(setup):
    verdicts, repos, db = setup
    verdict = await verdicts.check(SCAM["kk"])
    await db.conn.execute("DROP TABLE feedback")
    await db.conn.execute("DROP TABLE checks")  # any write to it now fails as a broken file would
    checked = await verdicts.keep(USER, SCAM["kk"], "forward", verdict)
    assert checked.verdict is verdict and checked.check_id is None


async def test_a_text_with_nothing_to_read_is_refused_before_anything_is_stored(setup):
    verdicts, repos, db = setup
    with pytest.raises(EmptyText):
        await verdicts.check("   \n  ")
