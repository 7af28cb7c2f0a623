"""The verdicts service: a text → its verdict, kept as a stored check (redacted, with how it
reached the bot) and remembered for a follow-up; an officer's label of the same text wins at
once; an uncertain verdict is queued for review; the text's numbers and links are looked up
and, under a risky verdict, offered for a report; storage never costs the verdict.

The real lexical classifier, the real intent reader and a real SQLite file; Kazakh and Russian
side by side.
"""

from __future__ import annotations

import pytest

from bot.classifier import EmptyText
from bot.classifier.faq import FaqMatcher
from bot.classifier.intents import IntentReader
from bot.classifier.identifiers import find_identifiers, parse_phone
from bot.classifier.service import ClassifierService
from bot.classifier.verdict import REVIEWED_BY_OFFICER
from bot.i18n import create_i18n
from bot.replies.reputation import ReputationReplies
from bot.replies.verdict import ReplyRenderer
from bot.services.conversation import Conversation
from bot.services.reports import Reports
from bot.services.reputation import Reputation
from bot.services.verdicts import Verdicts, low_confidence
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
    reputation = Reputation(knowledge, repos.reports)
    conversation = Conversation(knowledge, reader, checker, FaqMatcher(knowledge), ReplyRenderer(knowledge),
                                repos.conversation, reputation=reputation,
                                lookups=ReputationReplies(knowledge, create_i18n()))
    try:
        yield Verdicts(checker, repos, conversation, Reports(repos, reputation), knowledge), repos, db
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


OFFICER = 9001
CALM = {
    "kk": "Апа, мен үйге жеттім, кешке қоңырау шаламын",
    "ru": "Мама, я доехала до дома, вечером позвоню",
}


async def rows(db: Database, sql: str, *params: object) -> list[tuple]:
    return [tuple(row) for row in await db.conn.execute_fetchall(sql, params)]


@pytest.mark.parametrize(("lang", "label"), [("kk", "not_fraud"), ("ru", "prize_lottery")])
async def test_an_officers_label_of_the_same_text_is_its_verdict_at_once(setup, lang, label):
    verdicts, repos, db = setup
    first = await verdicts.keep(USER, SCAM[lang], "text", await verdicts.check(SCAM[lang]))
    await repos.reviews.enqueue_check(first.check_id, "disputed")
    item = await repos.reviews.next_item()
    assert await repos.reviews.label(OFFICER, item.id, label) is not None
    again = await verdicts.keep(USER, SCAM[lang], "text", await verdicts.check(SCAM[lang]))
    assert again.verdict.why == [REVIEWED_BY_OFFICER]
    if label == "not_fraud":
        assert (again.verdict.risk, again.verdict.scheme) == ("none", None)
    else:
        assert (again.verdict.risk, again.verdict.scheme) == ("high", label)
    assert await rows(db, "SELECT risk FROM checks WHERE id = ?", again.check_id) == [(again.verdict.risk,)]


async def test_a_different_text_keeps_the_classifiers_verdict(setup):
    verdicts, repos, db = setup
    first = await verdicts.keep(USER, SCAM["ru"], "text", await verdicts.check(SCAM["ru"]))
    await repos.reviews.enqueue_check(first.check_id, "disputed")
    await repos.reviews.label(OFFICER, (await repos.reviews.next_item()).id, "not_fraud")
    other = SCAM["ru"].replace("заблокирована", "заморожена")
    verdict = await verdicts.check(other)
    assert (await verdicts.keep(USER, other, "text", verdict)).verdict is verdict


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_an_uncertain_verdict_is_queued_for_review_and_a_sure_one_is_not(setup, lang):
    verdicts, repos, db = setup
    sure = await verdicts.check(SCAM[lang])
    assert not low_confidence(sure)  # the classifier is sure of this scam
    await verdicts.keep(USER, SCAM[lang], "text", sure)
    assert await rows(db, "SELECT count(*) FROM review_items") == [(0,)]
    unsure = sure.model_copy(update={"kind": "unsure", "risk": "none", "scheme": None,
                                     "why": ["unlike_known_examples"]})
    kept = await verdicts.keep(USER, CALM[lang], "text", unsure)
    assert await rows(db, "SELECT check_id, reason FROM review_items") == [(kept.check_id, "low_confidence")]


@pytest.mark.parametrize(("risk", "why", "uncertain"), [
    ("high", [], False), ("none", [], False), ("low", [], True), ("medium", ["two_schemes_close"], True),
    ("high", [REVIEWED_BY_OFFICER], False),
])
async def test_low_confidence_is_a_low_risk_or_a_hedge_never_an_officers_label(setup, risk, why, uncertain):
    verdicts, _, _ = setup
    verdict = (await verdicts.check(SCAM["ru"])).model_copy(update={"risk": risk, "why": why, "kind": "scam"})
    assert low_confidence(verdict) is uncertain


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_risky_verdict_offers_the_identifiers_of_its_text_for_a_report(setup, lang):
    verdicts, repos, db = setup
    verdict = await verdicts.check(SCAM[lang])
    assert verdict.is_scam
    checked = await verdicts.keep(USER, SCAM[lang], "text", verdict)
    [card] = find_identifiers(SCAM[lang])
    assert [f.identifier for f in checked.findings] == [card]
    assert await verdicts.reports.offered(USER, checked.report_offer) == (card,)
    assert await rows(db, "SELECT count(*) FROM reports") == [(0,)]  # nothing stored before the person taps


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_calm_verdict_offers_nothing_to_report_but_still_says_what_is_known(setup, lang):
    verdicts, repos, db = setup
    phone = parse_phone("+77011234567")  # made up
    await repos.reports.report(USER, [phone], None)
    text = CALM[lang] + " 8 701 123 45 67"
    verdict = (await verdicts.check(text)).model_copy(update={"risk": "none", "kind": "benign", "scheme": None})
    checked = await verdicts.keep(USER, text, "text", verdict)
    assert checked.report_offer is None
    assert [(f.identifier, f.reporters) for f in checked.findings] == [(phone, 1)]
