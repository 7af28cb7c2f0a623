"""Command line: `python -m bot check|eval|bench|download-model`."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from bot.config import Settings


def _read_text(arg: str | None) -> str:
    if arg is not None:
        return arg
    data = sys.stdin.buffer.read()
    return data.decode("utf-8", errors="replace")


def _build(settings: Settings, backend: str | None):
    from bot.classifier import Classifier
    from bot.knowledge import load_knowledge

    kb = load_knowledge(settings.knowledge_dir)
    return kb, Classifier.build(kb, settings, backend)


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    from bot.classifier import EmptyText
    from bot.replies import ReplyRenderer

    kb, classifier = _build(settings, args.backend)
    text = _read_text(args.text)
    try:
        verdict = classifier.classify(text)
    except EmptyText:
        langs = [args.lang] if args.lang else ["kk", "ru"]
        print("\n".join(kb.replies.empty_input.get(lang) for lang in langs))
        return 1
    if args.json:
        print(verdict.model_dump_json(indent=2))
        return 0
    renderer = ReplyRenderer(kb)
    print(renderer.render(verdict, renderer.language_for(verdict, args.lang)))
    return 0


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from bot.evaluation import evaluate, format_report, read_jsonl

    rows = read_jsonl(Path(args.file))
    _, classifier = _build(settings, args.backend)
    report = evaluate(classifier, rows)
    print(json.dumps(report, ensure_ascii=False, indent=2) if args.json else format_report(report))
    return 0


def cmd_bench(args: argparse.Namespace, settings: Settings) -> int:
    from bot.benchmark import run_bench

    print(run_bench(settings, n=args.n, runs=args.runs, with_neural=not args.lexical_only))
    return 0


def cmd_download_model(args: argparse.Namespace, settings: Settings) -> int:
    from bot.model_download import download_model

    try:
        path = download_model(settings.model, settings.models_dir)
    except RuntimeError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print(f"model saved in {path}; the bot finds it there (MODEL={settings.model})")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bot", description="SaqBol: fraud checks in Kazakh and Russian")
    sub = p.add_subparsers(dest="command", required=True)

    check = sub.add_parser("check", help="check one text (argument or stdin) and print the answer")
    check.add_argument("text", nargs="?", help="the text; read from stdin when omitted")
    check.add_argument("--lang", choices=["kk", "ru"], help="answer in this language")
    check.add_argument("--json", action="store_true", help="print the verdict as JSON")
    check.add_argument("--backend", choices=["auto", "lexical", "transformer"])
    check.set_defaults(func=cmd_check)

    ev = sub.add_parser("eval", help="measure the classifier on a labelled JSONL file")
    ev.add_argument("file")
    ev.add_argument("--json", action="store_true")
    ev.add_argument("--backend", choices=["auto", "lexical", "transformer"])
    ev.set_defaults(func=cmd_eval)

    bench = sub.add_parser("bench", help="throughput, latency and memory of each backend")
    bench.add_argument("--n", type=int, default=1000, help="messages per run")
    bench.add_argument("--runs", type=int, default=5, help="runs per backend (medians are reported)")
    bench.add_argument("--lexical-only", action="store_true", help="skip the e5-small-shaped encoder")
    bench.set_defaults(func=cmd_bench)

    dl = sub.add_parser("download-model", help="download MODEL into models/ (needs the internet)")
    dl.set_defaults(func=cmd_download_model)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    settings = Settings()
    logging.basicConfig(level=settings.log_level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    from bot.knowledge import KnowledgeError

    try:
        return args.func(args, settings)
    except KnowledgeError as exc:
        print(f"knowledge base error:\n{exc}", file=sys.stderr)
        return 2
