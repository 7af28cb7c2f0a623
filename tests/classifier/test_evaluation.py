"""`eval` and the model card: the per-scheme table and docs/accuracy.md, on labelled texts
written here (Kazakh and Russian side by side), never on the dev sets."""

import json

import pytest

from bot.classifier.evaluation import Labelled, evaluate, format_report, model_card, per_label, read_jsonl

ROWS = [
    Labelled("1", "Сәлеметсіз бе, банктің қауіпсіздік қызметі. Картаңыздан күдікті аударым, SMS-кодты айтыңыз",
             "kk", "message", "bank_security_call", ()),
    Labelled("2", "Служба безопасности банка: по вашей карте подозрительная операция, назовите код из смс",
             "ru", "message", "bank_security_call", ()),
    Labelled("3", "Апа, мен апатқа түстім, полицияда отырмын, тез ақша керек", "kk", "message",
             "relative_emergency", ()),
    Labelled("4", "Мама, я попал в аварию, срочно нужны деньги, не звони папе", "ru", "message",
             "relative_emergency", ()),
    Labelled("5", "Апа, мен үйге жеттім, уайымдама", "kk", "message", "benign", ()),
    Labelled("6", "Мам, я дома, ужин в холодильнике?", "ru", "message", "benign", ()),
]


class _Said:
    """What a verdict says, for checking the table's arithmetic on known answers."""

    def __init__(self, scheme: str | None) -> None:
        self.scheme, self.is_scam, self.kind = scheme, scheme is not None, "scam" if scheme else "benign"


def test_the_per_scheme_table_counts_recall_precision_and_the_usual_confusion():
    pairs = [(ROWS[0], _Said("bank_security_call")), (ROWS[1], _Said("law_enforcement_impersonation")),
             (ROWS[2], _Said("relative_emergency")), (ROWS[3], _Said("relative_emergency")),
             (ROWS[4], _Said(None)), (ROWS[5], _Said("relative_emergency"))]
    table = {r["label"]: r for r in per_label(pairs)}
    assert table["bank_security_call"] == {"label": "bank_security_call", "n": 2, "recall": 0.5, "precision": 1.0,
                                           "confused_with": "law_enforcement_impersonation", "confused_times": 1}
    assert table["relative_emergency"]["recall"] == 1.0
    assert table["relative_emergency"]["precision"] == pytest.approx(2 / 3, abs=1e-4)
    assert table["benign"]["recall"] == 0.5 and table["benign"]["confused_with"] == "relative_emergency"
    assert list(table)[-1] == "benign"  # schemes first, benign last


def test_eval_prints_slices_per_language_and_a_row_per_scheme(classifier):
    report = evaluate(classifier, ROWS)
    text = format_report(report)
    assert set(report["by_lang"]) == {"kk", "ru"}
    for label in ("bank_security_call", "relative_emergency", "benign"):
        assert any(line.startswith(label) for line in text.splitlines()), text
    assert "most confused with" in text and "verdict kinds:" in text


def test_the_model_card_names_its_knowledge_base_model_and_figures(knowledge, settings, tmp_path):
    path = tmp_path / "mine.jsonl"
    path.write_text("\n".join(json.dumps(r.__dict__ | {"alt_labels": list(r.alt_labels)}, ensure_ascii=False)
                              for r in ROWS), encoding="utf-8")
    assert len(read_jsonl(path)) == len(ROWS)
    card = model_card(settings.classifier, [path], ["lexical"])
    assert knowledge.fingerprint in card and "UTC" in card
    assert "## Backend `lexical`" in card and "Out-of-fold figures" in card and "Reliability" in card
    assert "| lang=kk |" in card and "| lang=ru |" in card and "| bank_security_call |" in card
