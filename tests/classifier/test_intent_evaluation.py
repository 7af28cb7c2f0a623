"""`python -m bot eval-intents FILE.jsonl [--json]`: accuracy, per-intent recall and precision,
per language, on a small file of turns the test writes (Kazakh and Russian side by side)."""

from __future__ import annotations

import json

import pytest

from bot.cli import main
from bot.classifier.intents import IntentGuess
from bot.classifier.intent_evaluation import Turn, evaluate, format_report, read_turns

TURNS = [
    {"id": "1", "text": "алаяққа 50 мың аударып жібердім не істеймін", "lang": "kk", "intent": "paid",
     "previous": None, "paid": "money"},
    {"id": "2", "text": "я перевела мошенникам 150 тыс на каспи голд что теперь делать", "lang": "ru",
     "intent": "paid", "previous": None, "paid": "money"},
    {"id": "3", "text": "ватсабымды бұзып алды не істеймін", "lang": "kk", "intent": "question", "previous": None},
    {"id": "4", "text": "номер полиции какой", "lang": "ru", "intent": "question", "previous": None},
    {"id": "5", "text": "ал енди не истеймиз", "lang": "kk", "intent": "followup",
     "previous": "bank_security_call"},
    {"id": "6", "text": "я ему еще не говорила код", "lang": "ru", "intent": "followup",
     "previous": "bank_security_call"},
    {"id": "7", "text": "рахмет", "lang": "kk", "intent": "greeting", "previous": None},
    # labelled wrongly on purpose: the report must count it as a miss of "paid" and a wrong "greeting"
    {"id": "8", "text": "привет", "lang": "ru", "intent": "paid", "previous": None, "paid": "money"},
]


@pytest.fixture()
def turns_file(tmp_path):
    path = tmp_path / "turns.jsonl"
    path.write_text("\n".join(json.dumps(t, ensure_ascii=False) for t in TURNS) + "\n", encoding="utf-8")
    return path


def test_json_output_has_accuracy_by_intent_and_by_lang(turns_file, capsys):
    assert main(["eval-intents", str(turns_file), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert {"accuracy", "by_intent", "by_lang"} <= set(report)
    assert report["accuracy"] == pytest.approx(7 / 8, abs=1e-4)
    assert report["by_intent"]["paid"] == {"n": 3, "recall": pytest.approx(2 / 3, abs=1e-4), "precision": 1.0}
    assert report["by_intent"]["greeting"] == {"n": 1, "recall": 1.0, "precision": 0.5}
    assert set(report["by_lang"]) == {"kk", "ru"}
    assert report["by_lang"]["kk"]["accuracy"] == 1.0
    assert report["by_lang"]["ru"]["accuracy"] == 0.75
    assert report["by_lang"]["ru"]["by_intent"]["paid"]["recall"] == 0.5
    assert report["confusion"] == {"paid->greeting": 1}
    assert [m["id"] for m in report["mistakes"]] == ["8"]


def test_the_text_output_shows_accuracy_per_language_and_a_row_per_intent(turns_file, capsys):
    assert main(["eval-intents", str(turns_file)]) == 0
    out = capsys.readouterr().out
    assert "accuracy: 0.875" in out and "kk: 1.000 (n=4)" in out and "ru: 0.750 (n=4)" in out
    rows = {line.split()[0]: line.split() for line in out.splitlines()[2:] if line.split()[0] in
            ("paid", "question", "followup", "greeting")}
    assert rows["paid"][1:4] == ["3", "0.667", "1.000"]
    assert rows["greeting"][1:4] == ["1", "1.000", "0.500"]
    assert "paid->greeting 1" in out


def test_a_bad_line_is_refused_naming_the_file_and_the_line(tmp_path, capsys):
    path = tmp_path / "turns.jsonl"
    path.write_text(json.dumps(TURNS[0], ensure_ascii=False) + "\n{\"text\": \"сәлем\", \"lang\": \"kk\"}\n",
                    encoding="utf-8")
    assert main(["eval-intents", str(path)]) == 2
    assert f"{path}:2" in capsys.readouterr().err


def test_an_unknown_intent_is_refused_listing_the_known_ones(tmp_path):
    path = tmp_path / "turns.jsonl"
    path.write_text(json.dumps({"id": "x", "text": "привет", "lang": "ru", "intent": "hello", "previous": None}),
                    encoding="utf-8")
    with pytest.raises(ValueError, match=r":1: unknown intent 'hello' \(one of message, story, paid"):
        read_turns(path)


def test_a_missing_file_says_what_the_file_should_hold(tmp_path, capsys):
    assert main(["eval-intents", str(tmp_path / "none.jsonl")]) == 2
    assert "JSON lines" in capsys.readouterr().err


class _Fixed:
    """A reader that answers from a table: the report's arithmetic checked on its own."""

    def __init__(self, answers: dict[str, IntentGuess]) -> None:
        self.answers = answers

    def read(self, text, previous, *, forwarded=False):
        return self.answers[text]


def test_recall_precision_and_the_paid_kind_are_counted_per_language():
    turns = [Turn("1", "a", "kk", "paid", None, "code"), Turn("2", "b", "kk", "story", None),
             Turn("3", "c", "ru", "paid", None, "app"), Turn("4", "d", "ru", "paid", None, "card")]
    reader = _Fixed({"a": IntentGuess("paid", "code", None, 0.9), "b": IntentGuess("paid", "money", None, 0.6),
                     "c": IntentGuess("paid", "card", None, 0.8), "d": IntentGuess("message", None, None, 0.7)})
    report = evaluate(reader, turns)
    assert report["by_intent"]["paid"] == {"n": 3, "recall": pytest.approx(2 / 3, abs=1e-4),
                                           "precision": pytest.approx(2 / 3, abs=1e-4)}
    assert report["by_lang"]["kk"]["by_intent"]["story"] == {"n": 1, "recall": 0.0, "precision": None}
    assert report["paid_kind_accuracy"] == pytest.approx(1 / 3, abs=1e-4)  # a only: c has the wrong kind, d none
    assert "message" in format_report(report)
