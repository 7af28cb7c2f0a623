"""Storage faults cost the user nothing but the history: the verdict still arrives.

Each fault is a real one SQLite reports, not a stub: another connection holding
`BEGIN EXCLUSIVE` (SQLITE_BUSY once the short busy timeout is spent), a database that has
reached its size limit (`max_page_count`, SQLite's own SQLITE_FULL path, as when the disk is
full), and a connection SQLite opened read-only (`?mode=ro`, SQLITE_READONLY, as on a disk
remounted read-only). Kazakh and Russian side by side.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import aiosqlite
import pytest

from bot.storage import Database

SCAMS = {
    "kk": ("Құттықтаймыз! Сіз ұтыс ойынында көлік ұтып алдыңыз. Жүлдені алу үшін 5000 теңге "
           "салық төлеңіз", "prize_lottery"),
    "ru": ("Здравствуйте, это служба безопасности банка. По вашей карте подозрительная операция, "
           "продиктуйте код из SMS, чтобы её отменить", "bank_security_call"),
}
USER_OF = {"kk": 5101, "ru": 5102}
REPO = Path(__file__).resolve().parents[2]


def buttons(message: dict) -> list[dict]:
    return [b for row in (message.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


def assert_verdict_without_buttons(answer: dict, knowledge, lang: str) -> None:
    text, scheme = SCAMS[lang]
    assert answer["text"].startswith(("🔴", "🟠")), answer["text"][:80]
    assert knowledge.schemes[scheme].title.get(lang) in answer["text"]
    assert buttons(answer) == []  # they need the stored check


def storage_warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if "storage fault" in r.getMessage()]


def failed_updates(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_locked_database_still_gets_the_verdict_promptly_without_buttons(live, knowledge, caplog, lang):
    user = USER_OF[lang]
    live.emulator.add_user(user, language_code=lang)
    holder = sqlite3.connect(live.db_path, timeout=0, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # e.g. a backup or an admin's sqlite3 shell
    try:
        started = time.monotonic()
        answer = await live.reply_to(user, SCAMS[lang][0], timeout=20)
        waited = time.monotonic() - started
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert_verdict_without_buttons(answer, knowledge, lang)
    assert waited < 8, f"the answer waited {waited:.1f} s for the lock"
    assert storage_warnings(caplog) and not failed_updates(caplog)
    again = await live.reply_to(user, SCAMS[lang][0], timeout=20)  # the lock is gone: history is back
    assert buttons(again)
    assert await live.rows("SELECT count(*) FROM checks WHERE user_id = ?", user) == [(1,)]


async def _fill_to_the_limit(conn: aiosqlite.Connection) -> None:
    """Make the database as big as it may get, then fill every page: large rows first, then
    small ones until not even those fit, as on a disk that has run full."""
    async with conn.execute("PRAGMA page_count") as cur:
        pages = (await cur.fetchone())[0]
    await conn.execute(f"PRAGMA max_page_count={pages + 4}")
    now = time.time()
    filler = 10**12
    for size in (3000, 300, 1):
        for table in ("users", "checks"):
            while True:
                filler += 1
                try:
                    if table == "users":
                        await conn.execute("INSERT INTO users (id, region, created_at, seen_at) VALUES (?, ?, ?, ?)",
                                           (filler, "x" * size, now, now))
                    else:
                        await conn.execute(
                            "INSERT INTO checks (user_id, source, text_redacted, text_hash, risk, scam_probability, "
                            "flags, language, backend, created_at) VALUES ((SELECT min(id) FROM users), 'text', ?, "
                            "'-', 'none', 0, '', 'ru', 'lexical', ?)", ("x" * size, now))
                except sqlite3.OperationalError as exc:
                    assert "full" in str(exc), exc
                    break


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_full_database_still_gets_the_verdict_without_buttons(live, knowledge, caplog, lang):
    user = USER_OF[lang]
    live.emulator.add_user(user, language_code=lang)
    conn = live.deps.db.conn
    await _fill_to_the_limit(conn)
    try:
        answer = await live.reply_to(user, SCAMS[lang][0], timeout=20)
    finally:
        await conn.execute("PRAGMA max_page_count=1073741823")
    assert_verdict_without_buttons(answer, knowledge, lang)
    assert any("full" in line for line in storage_warnings(caplog)), storage_warnings(caplog)
    assert not failed_updates(caplog)
    assert await live.rows("SELECT count(*) FROM checks WHERE user_id = ?", user) == [(0,)]


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_read_only_database_still_gets_the_verdict_without_buttons(live, knowledge, caplog, lang):
    """The bot's connection is replaced by one SQLite opened read-only, as a disk remounted
    read-only under a running bot behaves (a chmod would not do: the open file stays writable)."""
    user = USER_OF[lang]
    live.emulator.add_user(user, language_code=lang)
    read_only = await aiosqlite.connect(f"file:{live.db_path}?mode=ro", uri=True, isolation_level=None)
    read_only.row_factory = aiosqlite.Row
    writable, live.deps.db.conn = live.deps.db.conn, read_only
    try:
        answer = await live.reply_to(user, SCAMS[lang][0], timeout=20)
    finally:
        live.deps.db.conn = writable
        await read_only.close()
    assert_verdict_without_buttons(answer, knowledge, lang)
    assert any("readonly" in line for line in storage_warnings(caplog)), storage_warnings(caplog)
    assert not failed_updates(caplog)


@contextlib.contextmanager
def read_only(folder: Path, path: Path) -> Iterator[None]:
    """The database file and its folder made unwritable for this process: by permissions for
    a normal user; for root, who ignores them, with the immutable attribute (chattr +i)."""
    if os.geteuid() != 0:
        path.chmod(0o444)
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)
        return
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(path), str(folder)]).returncode:
        pytest.skip("running as root where chattr +i is not allowed: no way to make a file read-only for root")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path), str(folder)], check=True)


def test_a_read_only_database_at_start_ends_promptly_with_a_clear_message():
    folder = Path(tempfile.mkdtemp(prefix="saqbol-ro-"))
    path = folder / "saqbol.db"
    asyncio.run(_create(path))
    script = ("import asyncio, sys\nfrom pathlib import Path\nfrom bot.storage.database import Database, "
              "DatabaseUnavailable\ntry:\n    asyncio.run(Database.open(Path(sys.argv[1])))\n"
              "except DatabaseUnavailable as exc:\n    sys.exit(str(exc))\n")
    try:
        with read_only(folder, path):
            started = time.monotonic()
            done = subprocess.run([sys.executable, "-c", script, str(path)], cwd=REPO, capture_output=True,
                                  text=True, timeout=60)
            seconds = time.monotonic() - started
    finally:
        shutil.rmtree(folder)
    assert done.returncode == 1, done.stderr
    assert str(path) in done.stderr and "writ" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    # An open that left aiosqlite's worker thread running would keep the process alive here.
    assert seconds < 30  # the import of the classifier package is most of it


async def _create(path: Path) -> None:
    db = await Database.open(path)
    await db.close()
