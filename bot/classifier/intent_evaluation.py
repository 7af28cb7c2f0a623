"""Measuring the intent reader on labelled conversation turns (`python -m bot eval-intents`).

A turn is one JSON line: ``{"id", "text", "lang", "intent", "previous"}`` and optionally
``"paid"`` (money, code, app, card: what was given away, for ``paid`` turns) and
``"forwarded"`` (true for a forwarded message). ``previous`` is the scheme id of the bot's
last verdict to the person (or "benign"), or null: a follow-up can only be told from it.

The report gives accuracy overall and per language, and each intent's recall and precision,
overall and per language, because the acceptance bar is per language and "paid" recall is
the figure that matters most (a victim who is not recognised gets no urgent steps).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from bot.classifier.intents import INTENTS, IntentGuess, IntentReader

PAID_KINDS = ("money", "code", "app", "card")


@dataclass(frozen=True)
class Turn:
    id: str
    text: str
    lang: str
    intent: str
    previous: str | None
    paid: str | None = None
    forwarded: bool = False


def read_turns(path: Path) -> list[Turn]:
    """Turns from a JSON-lines file; a bad line is an error naming the file and the line."""
    turns = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            turn = Turn(str(obj.get("id", number)), obj["text"], obj.get("lang") or "?", obj["intent"],
                        obj.get("previous"), obj.get("paid"), bool(obj.get("forwarded", False)))
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(
                f"{path}:{number}: not a labelled turn ({exc}); expected "
                '{"id", "text", "lang", "intent", "previous"} with optional "paid"'
            ) from exc
        if turn.intent not in INTENTS:
            raise ValueError(f"{path}:{number}: unknown intent '{turn.intent}' (one of {', '.join(INTENTS)})")
        if turn.paid is not None and turn.paid not in PAID_KINDS:
            raise ValueError(f"{path}:{number}: unknown paid kind '{turn.paid}' (one of {', '.join(PAID_KINDS)})")
        turns.append(turn)
    return turns


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def _scores(pairs: list[tuple[Turn, IntentGuess]]) -> dict[str, Any]:
    """Accuracy and per-intent recall/precision over (turn, guess) pairs."""
    right = sum(g.intent == t.intent for t, g in pairs)
    by_intent: dict[str, dict[str, Any]] = {}
    for intent in INTENTS:
        truth = [(t, g) for t, g in pairs if t.intent == intent]
        said = [(t, g) for t, g in pairs if g.intent == intent]
        if not truth and not said:
            continue
        hits = sum(g.intent == intent for _, g in truth)
        by_intent[intent] = {
            "n": len(truth),
            "recall": _ratio(hits, len(truth)),
            "precision": _ratio(sum(t.intent == intent for t, _ in said), len(said)),
        }
    return {"n": len(pairs), "accuracy": _ratio(right, len(pairs)), "by_intent": by_intent}


def evaluate(reader: IntentReader, turns: Iterable[Turn]) -> dict[str, Any]:
    """The report: accuracy, by_intent, by_lang (each with its own by_intent), what a paid
    turn's kind was read as, the confusion counts and the turns read wrongly."""
    pairs = [(t, reader.read(t.text, t.previous, forwarded=t.forwarded)) for t in turns]
    report = _scores(pairs)
    report["by_lang"] = {
        lang: _scores([(t, g) for t, g in pairs if t.lang == lang]) for lang in sorted({t.lang for t, _ in pairs})
    }
    kinds = [(t, g) for t, g in pairs if t.intent == "paid" and t.paid is not None]
    report["paid_kind_accuracy"] = _ratio(sum(g.paid == t.paid for t, g in kinds), len(kinds))
    confusion = Counter(f"{t.intent}->{g.intent}" for t, g in pairs if t.intent != g.intent)
    report["confusion"] = dict(confusion.most_common())
    report["mistakes"] = [
        {"id": t.id, "lang": t.lang, "previous": t.previous, "expected": t.intent, "got": g.intent,
         "confidence": g.confidence}
        for t, g in pairs if t.intent != g.intent
    ]
    return report


def _fmt(value: float | None) -> str:
    return "  —  " if value is None else f"{value:.3f}"


def format_report(report: dict[str, Any]) -> str:
    """A plain-text table: overall, then per language; recall and precision per intent."""
    langs = list(report["by_lang"])
    lines = [f"turns: {report['n']}   accuracy: {_fmt(report['accuracy'])}   "
             + "   ".join(f"{lang}: {_fmt(report['by_lang'][lang]['accuracy'])} (n={report['by_lang'][lang]['n']})"
                        for lang in langs)]
    head = f"{'intent':<10}{'n':>5}{'recall':>8}{'prec.':>8}"
    lines.append(head + "".join(f"  | {lang:<3}{'n':>4}{'recall':>8}{'prec.':>8}" for lang in langs))
    for intent in INTENTS:
        row = report["by_intent"].get(intent)
        if row is None:
            continue
        line = f"{intent:<10}{row['n']:>5}{_fmt(row['recall']):>8}{_fmt(row['precision']):>8}"
        for lang in langs:
            cell = report["by_lang"][lang]["by_intent"].get(intent, {"n": 0, "recall": None, "precision": None})
            line += f"  | {'':<3}{cell['n']:>4}{_fmt(cell['recall']):>8}{_fmt(cell['precision']):>8}"
        lines.append(line)
    lines.append(f"kind of loss of paid turns (money/code/app/card) right: {_fmt(report['paid_kind_accuracy'])}")
    if report["confusion"]:
        lines.append("confusions: " + ", ".join(f"{k} {v}" for k, v in report["confusion"].items()))
    return "\n".join(lines)
