"""The exact-match answer: a text an officer labelled gets the officer's label as its verdict
at once (`reviewed_verdict`), before any retrain, in Kazakh and Russian alike."""

import pytest

from bot.classifier.verdict import REVIEWED_BY_OFFICER, reviewed_verdict
from bot.knowledge import KnowledgeError

BENIGN_LOOKING = {"kk": "Апа, мен үйге жеттім, кешке хабарласамын, уайымдама",
                  "ru": "Мам, я дома, ужин в холодильнике? Перезвоню вечером"}
SCAM_LOOKING = {"kk": "Сәлеметсіз бе, банктің қауіпсіздік қызметі. Картаңыздан күдікті аударым, SMS-кодты айтыңыз",
                "ru": "Служба безопасности банка: по вашей карте подозрительная операция, назовите код из смс"}


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_a_scheme_label_makes_a_high_risk_scam_of_that_scheme(classifier, knowledge, lang):
    verdict = classifier.classify(BENIGN_LOOKING[lang])
    assert not verdict.is_scam
    reviewed = reviewed_verdict(verdict, "relative_emergency", knowledge)
    assert (reviewed.risk, reviewed.kind, reviewed.scheme, reviewed.alternative) == (
        "high", "scam", "relative_emergency", None)
    assert reviewed.why == [REVIEWED_BY_OFFICER] and reviewed.scam_probability == 1.0
    assert reviewed.top[0].scheme == "relative_emergency"
    assert (reviewed.language, reviewed.reply_language) == (verdict.language, verdict.reply_language) == (lang, lang)


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_not_fraud_makes_a_text_with_no_risk(classifier, knowledge, lang):
    verdict = classifier.classify(SCAM_LOOKING[lang])
    assert verdict.is_scam
    reviewed = reviewed_verdict(verdict, "not_fraud", knowledge)
    assert (reviewed.risk, reviewed.kind, reviewed.scheme, reviewed.alternative) == ("none", "benign", None, None)
    assert not reviewed.is_scam and reviewed.why == [REVIEWED_BY_OFFICER] and reviewed.scam_probability == 0.0
    assert reviewed.red_flags == verdict.red_flags  # what the text shows is still true of it


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_fraud_warning_makes_a_genuine_warning_about_the_scheme_it_reads_like(classifier, knowledge, lang):
    verdict = classifier.classify(SCAM_LOOKING[lang])
    reviewed = reviewed_verdict(verdict, "fraud_warning", knowledge)
    assert (reviewed.risk, reviewed.kind, reviewed.scheme) == ("none", "fraud_warning", None)
    assert reviewed.warns_about == verdict.scheme == "bank_security_call"
    assert reviewed.why == [REVIEWED_BY_OFFICER]


def test_an_unknown_label_is_refused_with_the_labels_there_are(classifier, knowledge):
    verdict = classifier.classify(SCAM_LOOKING["ru"])
    with pytest.raises(KnowledgeError, match=r"unknown label 'bank'.*bank_security_call.*not_fraud"):
        reviewed_verdict(verdict, "bank", knowledge)


def test_every_reason_a_verdict_gives_has_a_line_in_both_languages(knowledge):
    """The answer renders one line per reason in `why`: the officer's too, in kk and ru."""
    line = knowledge.replies.why[REVIEWED_BY_OFFICER]
    assert line.kk and line.ru and line.kk != line.ru
