"""`python -m bot export-reviewed` and `export-identifiers`, in a fresh process, on a database the
test fills through the repositories (Kazakh and Russian texts side by side)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.classifier.identifiers import find_identifiers
from bot.knowledge import load_knowledge
from bot.knowledge.loader import DEFAULT_DIR
from bot.privacy.redaction import redact
from bot.services.exports import day_start
from bot.storage import Database, Repositories

ROOT = Path(__file__).resolve().parents[2]
OFFICER = 9002
TEXTS = [  # (user, text, label)
    (7001, "Қайырлы кеш, мен кадр іріктеу менеджерімін, бізде икемді кестемен бос орын бар, қызық па?",
     "easy_earnings_job"),
    (7002, "Добрый вечер, я менеджер по подбору персонала, у нас есть вакансия с гибким графиком, интересно?",
     "easy_earnings_job"),
    (7002, "Здравствуйте! Собрание по ремонту детской площадки во дворе будет в субботу в 11 часов", "not_fraud"),
]


def run(*args: str, database: Path, tmp: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_PATH": str(database), "BACKEND": "lexical", "CACHE_DIR": str(tmp / "cache")}
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, cwd=ROOT, env=env, timeout=120)


async def fill(path: Path, classifier) -> None:
    """Three labelled texts; a phone confirmed by an officer and reported by two users, a site
    only reported (the crowd's word is not exported)."""
    db = await Database.open(path)
    try:
        repos = Repositories.of(db, superadmins=frozenset(), conversation_ttl=60)
        for user in (7001, 7002):
            await repos.users.touch(user)
        for user, text, label in TEXTS:
            check_id = await repos.checks.add(user, text, "text", classifier.classify(text))
            await repos.reviews.enqueue_check(check_id, "disputed")
            [(item_id,)] = await db.conn.execute_fetchall("SELECT id FROM review_items WHERE check_id = ?", (check_id,))
            assert await repos.reviews.label(OFFICER, item_id, label) is not None
        phone, site = find_identifiers("+7 701 555 12 34 kaspi-bonus.top")
        await repos.reports.report(7001, [phone, site], "almaty_city")
        await repos.reports.report(7002, [phone], None)
        await repos.reports.confirm(OFFICER, phone)
    finally:
        await db.close()


@pytest.fixture
async def database(tmp_path, classifier) -> Path:
    path = tmp_path / "saqbol.db"
    await fill(path, classifier)
    return path


async def test_reviewed_examples_are_exported_one_file_per_label_and_load_into_the_knowledge_base(database, tmp_path):
    knowledge_copy = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_DIR, knowledge_copy, ignore=shutil.ignore_patterns("reviewed"))
    result = run("export-reviewed", "--out", str(knowledge_copy / "reviewed"), database=database, tmp=tmp_path)
    assert result.returncode == 0, result.stderr.decode()
    assert "3 reviewed examples written" in result.stdout.decode()
    assert sorted(p.name for p in (knowledge_copy / "reviewed").glob("*.yaml")) == [
        "easy_earnings_job.yaml", "not_fraud.yaml"]

    knowledge = load_knowledge(knowledge_copy)
    by_label = {label: [(ex.text, ex.lang) for ex in examples] for label, examples in knowledge.reviewed.items()}
    assert by_label == {
        "easy_earnings_job": [(redact(TEXTS[0][1]), "kk"), (redact(TEXTS[1][1]), "ru")],
        "benign": [(redact(TEXTS[2][1]), "ru")],
    }


async def test_an_empty_database_exports_nothing_and_leaves_the_committed_files(tmp_path):
    empty = tmp_path / "empty.db"
    await (await Database.open(empty)).close()  # created and migrated, with nothing in it
    folder = tmp_path / "reviewed"
    folder.mkdir()
    kept = folder / "not_fraud.yaml"
    kept.write_text("examples:\n- text: мама, я дома\n  lang: ru\n", encoding="utf-8")
    result = run("export-reviewed", "--out", str(folder), database=empty, tmp=tmp_path)
    assert result.returncode == 0, result.stderr.decode()
    assert "no reviewed examples" in result.stdout.decode()
    assert kept.read_text(encoding="utf-8").startswith("examples:")


async def test_confirmed_identifiers_are_exported_as_csv_with_their_counts_and_times(database, tmp_path):
    out = tmp_path / "identifiers.csv"
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=5))).date()
    result = run("export-identifiers", "--since", today.isoformat(), "--out", str(out), database=database, tmp=tmp_path)
    assert result.returncode == 0, result.stderr.decode()
    assert "1 confirmed identifiers" in result.stderr.decode()
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [(r["kind"], r["value"], r["reporters"], r["status"]) for r in rows] == [
        ("phone", "+77015551234", "2", "confirmed")]
    first, last = (dt.datetime.fromisoformat(rows[0][k]) for k in ("first_seen", "last_seen"))
    assert first.utcoffset() == dt.timedelta(hours=5) and day_start(today) <= first.timestamp() <= last.timestamp()
    assert last.timestamp() <= time.time() + 1


async def test_identifiers_seen_before_the_day_asked_for_are_left_out_and_stdout_gets_the_header(database, tmp_path):
    tomorrow = dt.datetime.now(dt.timezone(dt.timedelta(hours=5))).date() + dt.timedelta(days=1)
    result = run("export-identifiers", "--since", tomorrow.isoformat(), database=database, tmp=tmp_path)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode().splitlines() == ["kind,value,reporters,first_seen,last_seen,status"]


@pytest.mark.parametrize(("args", "message"), [
    (("export-identifiers", "--since", "12.11.2026"), "expected a day as YYYY-MM-DD"),
    (("export-identifiers", "--since", "2026-11-12"), "no database at"),
    (("export-reviewed",), "no database at"),
])
def test_a_bad_day_or_a_missing_database_is_explained(tmp_path, args, message):
    result = run(*args, database=tmp_path / "missing.db", tmp=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr.decode() and "Traceback" not in result.stderr.decode()
    assert not (tmp_path / "missing.db").exists()
