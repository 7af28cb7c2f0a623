"""What only the PostgreSQL engine has: the rewrite of `?` into `$n`, the status tags it counts
rows from, what a failure at start says (the URL, the server, the credentials, never the
password), and the faults of a server in use (a row another session holds locked, a
connection the server dropped), which the answer path must survive as it survives SQLite's.
All against the session's real server (tests/support/servers.py)."""

from __future__ import annotations

import asyncio
import logging
import time

import asyncpg
import pytest

from bot.storage.database import BUSY_TIMEOUT_MS, Database, DatabaseUnavailable, best_effort
from bot.storage.postgres import PostgresDatabase, dollar_placeholders, rows_changed, where_of
from tests.support.servers import free_port


@pytest.mark.parametrize(("sql", "expected"), [
    ("SELECT ? , ?", "SELECT $1 , $2"),
    ("UPDATE t SET a = ?2 WHERE b = ?1 OR c = ?1", "UPDATE t SET a = $2 WHERE b = $1 OR c = $1"),
    ("SELECT 'what?', ?", "SELECT 'what?', $1"),
    ("SELECT 'it''s ?', ?", "SELECT 'it''s ?', $1"),
    ("SELECT E'\\'?', ?", "SELECT E'\\'?', $1"),
    ('SELECT "odd?name", ?', 'SELECT "odd?name", $1'),
    ("SELECT ? -- really?\n, ?", "SELECT $1 -- really?\n, $2"),
    ("SELECT /* ? */ ?", "SELECT /* ? */ $1"),
    ("SELECT $$a ? b$$, ?", "SELECT $$a ? b$$, $1"),
    ("SELECT $tag$?$tag$, ?", "SELECT $tag$?$tag$, $1"),
    ("SELECT 1", "SELECT 1"),
])
def test_question_marks_become_dollar_numbers_outside_quotes_and_comments(sql, expected):
    assert dollar_placeholders(sql) == expected


def test_both_placeholder_styles_in_one_statement_are_refused():
    with pytest.raises(ValueError, match="use one style"):
        dollar_placeholders("SELECT ?1, ?")


@pytest.mark.parametrize(("status", "changed"), [
    ("INSERT 0 3", 3), ("UPDATE 2", 2), ("DELETE 0", 0), ("SELECT 5", 0), ("CREATE TABLE", 0), ("", 0)])
def test_the_rows_changed_are_read_from_the_status_tag(status, changed):
    assert rows_changed(status) == changed


def test_a_database_is_named_in_messages_without_its_password():
    assert where_of("postgresql://saqbol:s3cret@db.internal:6432/saqbol") == "saqbol@db.internal:6432/saqbol"
    assert where_of("postgresql://db/saqbol") == "db:5432/saqbol"


async def test_a_server_that_is_not_running_fails_at_open_saying_what_to_check():
    url = f"postgresql://saqbol:s3cret@127.0.0.1:{free_port()}/saqbol"
    with pytest.raises(DatabaseUnavailable) as failed:
        await Database.open(url)
    message = str(failed.value)
    assert "saqbol@127.0.0.1" in message and "s3cret" not in message
    assert "server is running" in message and "DATABASE_URL" in message and "start the bot again" in message


async def test_a_missing_database_fails_at_open_saying_to_create_it(postgres_server):
    with pytest.raises(DatabaseUnavailable, match="create it") as failed:
        await Database.open(postgres_server.url("no_such_database"))
    assert "no_such_database" in str(failed.value)


async def test_an_unknown_user_fails_at_open_saying_to_check_the_credentials(postgres_server):
    url = f"postgresql://nobody_here:s3cret@127.0.0.1:{postgres_server.port}/postgres"
    with pytest.raises(DatabaseUnavailable, match="user or password") as failed:
        await Database.open(url)
    assert "s3cret" not in str(failed.value)


@pytest.mark.parametrize("migrated", [True, False], ids=["migrated", "empty"])
async def test_a_read_only_server_is_refused_at_open(postgres_server, postgres_url, postgres_empty_url, migrated):
    url = postgres_url if migrated else postgres_empty_url
    name = url.rsplit("/", 1)[1]
    postgres_server.psql(f"ALTER DATABASE {name} SET default_transaction_read_only = on")
    with pytest.raises(DatabaseUnavailable, match="takes no writes"):
        await Database.open(url)


async def test_database_open_gives_the_postgresql_engine(postgres_url):
    db = await Database.open(postgres_url)
    try:
        assert isinstance(db, PostgresDatabase) and db.engine == "postgresql"
        assert db.where == postgres_url.removeprefix("postgresql://")
        await db.checkpoint()  # nothing to do, and nothing fails
    finally:
        await db.close()


async def test_a_row_another_session_holds_locked_costs_the_answer_path_only_its_storage(postgres_url, caplog):
    """As SQLite's busy timeout: an admin's open transaction is waited for only briefly, then the
    statement fails, best_effort answers None with one log line, and storage works again after."""
    db = await Database.open(postgres_url)
    holder = await asyncpg.connect(postgres_url)
    try:
        await db.execute("INSERT INTO users (id, created_at, seen_at) VALUES (?, ?, ?)", (4, 1.0, 1.0))
        transaction = holder.transaction()
        await transaction.start()
        await holder.execute("SELECT * FROM users WHERE id = 4 FOR UPDATE")
        started = time.monotonic()
        # best_effort's own timeout set long: what ends the wait is the server's lock timeout
        result = await best_effort(db.execute("UPDATE users SET seen_at = ? WHERE id = ?", (2.0, 4)),
                                   "seen of user 4", timeout=30)
        waited = time.monotonic() - started
        await transaction.rollback()
        assert result is None
        assert BUSY_TIMEOUT_MS / 1000 - 0.2 < waited < BUSY_TIMEOUT_MS / 1000 + 3
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1 and "seen of user 4" in warnings[0] and "lock" in warnings[0]
        assert await db.execute("UPDATE users SET seen_at = ? WHERE id = ?", (3.0, 4)) == 1
    finally:
        await holder.close()
        await db.close()


async def test_a_connection_the_server_dropped_costs_one_call_and_the_next_one_works(postgres_url, caplog):
    db = await Database.open(postgres_url)
    admin = await asyncpg.connect(postgres_url)
    try:
        assert await db.fetchval("SELECT count(*) FROM users") == 0
        await admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE application_name = 'saqbol' AND pid != pg_backend_pid()")
        outcomes = [await best_effort(db.fetchval("SELECT count(*) FROM users"), "count") for _ in range(2)]
        assert outcomes[-1] == 0  # the pool replaced the dropped connection
        assert await db.execute("INSERT INTO users (id, created_at, seen_at) VALUES (?, ?, ?)", (1, 1.0, 1.0)) == 1
    finally:
        await admin.close()
        await db.close()


async def test_statements_from_many_tasks_at_once_share_the_pool(postgres_url):
    db = await Database.open(postgres_url)
    try:
        await asyncio.gather(*(db.execute("INSERT INTO users (id, created_at, seen_at) VALUES (?, ?, ?)",
                                          (n, 1.0, 1.0)) for n in range(1, 101)))
        assert await db.fetchval("SELECT count(*) FROM users") == 100
    finally:
        await db.close()


async def test_an_executemany_that_fails_changes_nothing_and_leaves_its_connection_clean(postgres_url):
    """All rows or none; and the connection goes back to the pool out of its transaction (the
    pool's reset is only a ROLLBACK when one is open), so the next statement on it works."""
    db = await PostgresDatabase.open(postgres_url, max_size=1)  # one connection: the next call gets the same
    try:
        with pytest.raises(asyncpg.UniqueViolationError):
            await db.executemany("INSERT INTO handled_updates (update_id, handled_at) VALUES (?, ?)",
                                 [(1, 1.0), (2, 2.0), (1, 3.0)])
        assert await db.fetchval("SELECT count(*) FROM handled_updates") == 0
        rows = [(n, float(n)) for n in range(500)]
        slow = db.executemany("INSERT INTO handled_updates (update_id, handled_at) VALUES (?, ?)", rows)
        assert await best_effort(slow, "many rows", timeout=0.01) is None  # cancelled inside its transaction
        assert await db.fetchval("SELECT count(*) FROM handled_updates") == 0
        assert await db.execute("INSERT INTO handled_updates (update_id, handled_at) VALUES (?, ?)", (7, 7.0)) == 1
        lock_timeout = "SELECT extract(epoch FROM current_setting('lock_timeout')::interval) * 1000"
        assert await db.fetchval(lock_timeout) == BUSY_TIMEOUT_MS  # the session's settings kept
    finally:
        await db.close()


async def test_a_user_who_may_not_create_tables_fails_at_open_saying_how_to_grant_it(postgres_server,
                                                                                      postgres_empty_url):
    """PostgreSQL 15 lets only a database's owner create tables in its public schema: a user an
    administrator made without that right is told the two ways to give it."""
    postgres_server.psql("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'saqbol_app') "
                         "THEN CREATE ROLE saqbol_app LOGIN; END IF; END $$")
    url = postgres_empty_url.replace("postgres@", "saqbol_app@", 1)
    with pytest.raises(DatabaseUnavailable, match="may not create") as failed:
        await Database.open(url)
    message = str(failed.value)
    assert "OWNER TO saqbol_app" in message and "GRANT CREATE ON SCHEMA public TO saqbol_app" in message
