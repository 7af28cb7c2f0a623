"""Measuring the classifier on a labelled JSONL file (format: shared/taxonomy.md)."""

from __future__ import annotations

import json
import statistics
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from bot.classifier import Classifier
from bot.knowledge import BENIGN


@dataclass(frozen=True)
class Labelled:
    id: str
    text: str
    lang: str
    kind: str
    label: str
    alt_labels: tuple[str, ...]


def read_jsonl(path: Path) -> list[Labelled]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            rows.append(Labelled(str(obj.get("id", number)), obj["text"], obj.get("lang", "?"),
                                 obj.get("kind", "?"), obj["label"], tuple(obj.get("alt_labels") or ())))
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: not a labelled example ({exc}); see shared/taxonomy.md") from exc
    return rows


def _rates(pairs: list[tuple[Labelled, Any]]) -> dict[str, float | int | None]:
    """Scam-vs-benign recall, precision, FPR and scheme accuracy over (row, verdict) pairs."""
    scams = [(r, v) for r, v in pairs if r.label != BENIGN]
    benign = [(r, v) for r, v in pairs if r.label == BENIGN]
    tp = sum(v.is_scam for _, v in scams)
    fp = sum(v.is_scam for _, v in benign)
    right = sum(v.scheme in (r.label, *r.alt_labels) for r, v in scams)

    def ratio(a: int, b: int) -> float | None:
        return round(a / b, 4) if b else None

    return {
        "n": len(pairs),
        "scam_recall": ratio(tp, len(scams)),
        "scam_precision": ratio(tp, tp + fp),
        "benign_fpr": ratio(fp, len(benign)),
        "scheme_accuracy": ratio(right, len(scams)),
    }


def evaluate(classifier: Classifier, rows: Iterable[Labelled]) -> dict[str, Any]:
    rows = list(rows)
    pairs = []
    latencies = []
    for row in rows:
        started = time.perf_counter()
        verdict = classifier.classify(row.text)
        latencies.append((time.perf_counter() - started) * 1000)
        pairs.append((row, verdict))
    by_lang: dict[str, list] = defaultdict(list)
    by_kind: dict[str, list] = defaultdict(list)
    for row, verdict in pairs:
        by_lang[row.lang].append((row, verdict))
        by_kind[row.kind].append((row, verdict))
    confusions = Counter(
        (row.label, verdict.scheme if verdict.is_scam else BENIGN)
        for row, verdict in pairs
        if (verdict.scheme if verdict.is_scam else BENIGN) not in (row.label, *row.alt_labels)
    )
    latencies.sort()
    return {
        **_rates(pairs),
        "by_lang": {k: _rates(v) for k, v in sorted(by_lang.items())},
        "by_kind": {k: _rates(v) for k, v in sorted(by_kind.items())},
        "confusions": [{"label": a, "predicted": b, "count": n} for (a, b), n in confusions.most_common(10)],
        "latency_ms": {
            "p50": round(statistics.median(latencies), 3) if latencies else None,
            "p95": round(latencies[int(0.95 * (len(latencies) - 1))], 3) if latencies else None,
        },
        "backend": classifier.backend,
    }


def format_report(report: dict[str, Any]) -> str:
    def fmt(value: float | None) -> str:
        return "  n/a " if value is None else f"{value:6.3f}"

    lines = [
        f"backend: {report['backend']}",
        f"examples: {report['n']}",
        "",
        f"{'slice':<14}{'n':>5}  {'recall':>6}  {'precis':>6}  {'FPR':>6}  {'scheme':>6}",
    ]

    def row(name: str, r: dict[str, Any]) -> str:
        return (f"{name:<14}{r['n']:>5}  {fmt(r['scam_recall'])}  {fmt(r['scam_precision'])}  "
                f"{fmt(r['benign_fpr'])}  {fmt(r['scheme_accuracy'])}")

    lines.append(row("all", report))
    lines.extend(row(f"lang={k}", v) for k, v in report["by_lang"].items())
    lines.extend(row(f"kind={k}", v) for k, v in report["by_kind"].items())
    lines.append("")
    lines.append("most frequent confusions (label -> predicted):")
    lines.extend(f"  {c['count']:>3}  {c['label']} -> {c['predicted']}" for c in report["confusions"])
    lat = report["latency_ms"]
    lines.append("")
    lines.append(f"latency per text: p50 {lat['p50']} ms, p95 {lat['p95']} ms")
    return "\n".join(lines)
