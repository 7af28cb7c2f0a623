"""knowledge/reviewed/: officers' labelled texts are loaded and checked like the rest of the
knowledge base, and `with_examples` adds more without touching the original (kk and ru)."""

import shutil

import pytest

from bot.knowledge import BENIGN, FRAUD_WARNING, KnowledgeError, load_knowledge, write_reviewed
from bot.knowledge.loader import DEFAULT_DIR

REVIEWED = [
    ("bank_security_call", "Сәлеметсіз бе, банктің қауіпсіздік қызметі, картаңызды сақтау үшін [код] кодын айтыңыз", "kk"),
    ("bank_security_call", "Служба безопасности банка: для защиты карты [карта] назовите код [код]", "ru"),
    ("not_fraud", "Апа, мен сабақтан шықтым, автобуспен келе жатырмын", "kk"),
    ("not_fraud", "Мам, я вышел с тренировки, буду через полчаса", "ru"),
    ("fraud_warning", "Полиция ескертеді: банк қызметкері ешқашан SMS-кодты сұрамайды", "kk"),
    ("fraud_warning", "Банк напоминает: мы никогда не просим код из SMS, не сообщайте его никому", "ru"),
]


@pytest.fixture
def folder(tmp_path):
    """A copy of the knowledge base to write reviewed files into."""
    copy = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_DIR, copy)
    for old in (copy / "reviewed").glob("*.yaml"):
        old.unlink()
    return copy


def _texts(knowledge, label):
    return [ex.text for ex in knowledge.reviewed.get(label, [])]


def test_exported_reviewed_files_are_loaded_under_their_labels_with_a_new_fingerprint(folder, knowledge):
    written = write_reviewed(folder / "reviewed", REVIEWED, knowledge)
    assert sorted(p.name for p in written) == ["bank_security_call.yaml", "fraud_warning.yaml", "not_fraud.yaml"]
    loaded = load_knowledge(folder)
    assert _texts(loaded, "bank_security_call") == [REVIEWED[0][1], REVIEWED[1][1]]
    assert _texts(loaded, BENIGN) == [REVIEWED[2][1], REVIEWED[3][1]]
    assert _texts(loaded, FRAUD_WARNING) == [REVIEWED[4][1], REVIEWED[5][1]]
    assert [ex.lang for ex in loaded.reviewed[BENIGN]] == ["kk", "ru"]
    assert loaded.fingerprint != knowledge.fingerprint
    pairs = loaded.labelled_examples()
    assert len(pairs) == len(knowledge.labelled_examples()) + len(REVIEWED)
    assert pairs[-len(REVIEWED):][0][0] == "bank_security_call"  # the written examples keep their places


def test_a_reviewed_file_named_after_no_label_stops_the_load_and_says_what_to_do(folder):
    (folder / "reviewed" / "bank_call.yaml").write_text(
        'examples:\n  - {text: "Банктен хабарласып тұрмын, кодты айтыңыз", lang: kk}\n'
        '  - {text: "Звоню из банка, назовите код", lang: ru}\n', encoding="utf-8")
    with pytest.raises(KnowledgeError) as err:
        load_knowledge(folder)
    message = str(err.value)
    assert "reviewed/bank_call.yaml" in message and "unknown label 'bank_call'" in message
    assert "bank_security_call" in message and "not_fraud" in message and "relabel" in message


def test_a_reviewed_entry_with_an_unknown_field_or_language_names_the_file_and_field(folder):
    (folder / "reviewed" / "not_fraud.yaml").write_text(
        'examples:\n  - {text: "Мам, я дома", lang: ru}\n  - {text: "Апа, үйдемін", lang: qq}\n', encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"reviewed/not_fraud\.yaml: examples\.1\.lang"):
        load_knowledge(folder)


def test_a_text_under_two_labels_in_reviewed_is_an_error(folder):
    text = "Сізге Kaspi-ден ұтыс түсті, сілтемеге өтіңіз / Вам выигрыш от Kaspi"
    for label in ("prize_lottery", "not_fraud"):
        (folder / "reviewed" / f"{label}.yaml").write_text(f'examples:\n  - {{text: "{text}", lang: mixed}}\n',
                                                           encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"is also in knowledge/reviewed/not_fraud\.yaml"):
        load_knowledge(folder)


def test_a_reviewed_text_that_is_already_a_written_example_keeps_the_analysts_label(folder, knowledge):
    scheme = knowledge.schemes["bank_security_call"]
    written = {lang: next(ex.text for ex in scheme.examples if ex.lang == lang) for lang in ("kk", "ru")}
    write_reviewed(folder / "reviewed", [("not_fraud", written["kk"], "kk"), ("not_fraud", written["ru"], "ru")],
                   knowledge)
    loaded = load_knowledge(folder)
    assert loaded.reviewed == {}
    assert len(loaded.labelled_examples()) == len(knowledge.labelled_examples())


def test_with_examples_is_a_copy_with_its_own_fingerprint(knowledge):
    grown = knowledge.with_examples(REVIEWED)
    assert knowledge.reviewed == {} and grown.reviewed != {}
    assert grown.fingerprint != knowledge.fingerprint
    assert knowledge.with_examples(REVIEWED).fingerprint == grown.fingerprint  # the same examples, the same key
    assert knowledge.with_examples(REVIEWED[:-1]).fingerprint != grown.fingerprint
    assert len(grown.labelled_examples()) == len(knowledge.labelled_examples()) + len(REVIEWED)
    assert [lab for lab, _ in grown.labelled_examples()[-len(REVIEWED):]] == [
        "bank_security_call", "bank_security_call", BENIGN, BENIGN, FRAUD_WARNING, FRAUD_WARNING]


def test_with_examples_takes_an_officers_later_label_of_the_same_text(knowledge):
    kk, ru = REVIEWED[2][1], REVIEWED[3][1]
    grown = knowledge.with_examples([*REVIEWED, ("relative_emergency", kk.upper(), "kk"),
                                     ("relative_emergency", f"  {ru}  ", "ru")])
    assert _texts(grown, BENIGN) == []
    assert _texts(grown, "relative_emergency") == [kk.upper(), f"  {ru}  "]


def test_with_examples_refuses_an_unknown_label_or_language_and_says_what_they_are(knowledge):
    with pytest.raises(KnowledgeError, match=r"unknown label 'benign_text'.*not_fraud or fraud_warning"):
        knowledge.with_examples([("benign_text", "Мам, я дома", "ru")])
    with pytest.raises(KnowledgeError, match=r"the language is one of kk, ru, mixed, kk_latn, other"):
        knowledge.with_examples([("not_fraud", "Апа, үйдемін", "kz")])


def test_the_export_refuses_an_unknown_label_before_writing_anything(folder, knowledge):
    with pytest.raises(KnowledgeError, match="unknown label 'lottery'"):
        write_reviewed(folder / "reviewed", [*REVIEWED, ("lottery", "Вы выиграли приз", "ru")], knowledge)
    assert not list((folder / "reviewed").glob("*.yaml"))


def test_the_export_removes_the_file_of_a_label_with_no_example_left(folder, knowledge):
    write_reviewed(folder / "reviewed", REVIEWED, knowledge)
    write_reviewed(folder / "reviewed", REVIEWED[:2], knowledge)
    assert [p.name for p in (folder / "reviewed").glob("*.yaml")] == ["bank_security_call.yaml"]
    assert (folder / "reviewed" / "README.md").is_file()
