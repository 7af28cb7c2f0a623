"""The real servers the tests start (tests/support/servers.py): they run, each test gets a clean
one, and where a binary is missing the message says which Debian package to install, skipping
on a developer's machine and failing under CI."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.devtools import servers as started  # where the servers are started from (the load test uses it too)
from tests.support import servers
from tests.support.servers import ServerMissing


def test_each_test_gets_an_empty_redis_database(redis_server, redis_url):
    assert redis_url == redis_server.url(0)
    assert redis_server.command("SET", "leftover", "1") == b"+OK"
    assert redis_server.command("DBSIZE") == b":1"
    redis_server.flush(0)
    assert redis_server.command("DBSIZE") == b":0"


def test_each_test_gets_its_own_postgres_database_copied_from_the_migrated_template(postgres_server, postgres_url):
    name = postgres_url.rsplit("/", 1)[1]
    assert name.startswith("test_")
    tables = postgres_server.psql("SELECT count(*) FROM information_schema.tables WHERE table_name = 'users'", name)
    assert tables.strip() == "1"
    assert postgres_server.psql("SELECT count(*) FROM users", name).strip() == "0"


def test_a_missing_postgresql_names_the_debian_package(monkeypatch):
    monkeypatch.setattr(started, "PG_BIN_GLOB", "/nonexistent/postgresql/*/bin")
    with pytest.raises(ServerMissing, match="install Debian's `postgresql` package"):
        servers.pg_bin()


def test_a_missing_redis_names_the_debian_package(monkeypatch):
    monkeypatch.setattr(started, "REDIS_SERVER", "/nonexistent/redis-server")
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(ServerMissing, match="install Debian's `redis-server` package"):
        servers.redis_bin()


@pytest.mark.parametrize(("ci", "outcome"), [("", "skipped"), ("1", "failed")])
def test_a_missing_server_skips_here_and_fails_under_ci(tmp_path, ci, outcome):
    """Run in a pytest of its own: a missing server is a skip on a laptop, a failure in CI."""
    test = tmp_path / "test_missing.py"
    test.write_text(
        "from bot.devtools import servers as started\n"
        "from tests.support import servers\n"
        "def test_needs_redis(monkeypatch):\n"
        "    monkeypatch.setattr(started, 'REDIS_SERVER', '/nonexistent/redis-server')\n"
        "    monkeypatch.setenv('PATH', '/nonexistent')\n"
        "    try:\n"
        "        servers.redis_bin()\n"
        "    except servers.ServerMissing as exc:\n"
        "        servers.unavailable(str(exc))\n")
    env = {"PYTHONPATH": str(started.Path(__file__).resolve().parents[1]), "PATH": "/usr/bin:/bin"}
    if ci:
        env["CI"] = ci
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", str(test)],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert f"1 {outcome}" in done.stdout, done.stdout + done.stderr
    assert "redis-server" in done.stdout


def test_servers_whose_starter_was_killed_are_stopped_and_their_folders_deleted(tmp_path):
    """A test run killed by a timeout or kill -9 never reaches its fixtures' teardown: the
    watchdog beside each server stops it and deletes its folder, leaving no orphan running."""
    import os
    import signal
    import socket
    import time
    from pathlib import Path

    child = subprocess.Popen(
        [sys.executable, "-c",
         "from bot.devtools.servers import PostgresServer, RedisServer\n"
         "import time\n"
         "pg, redis = PostgresServer.start(), RedisServer.start()\n"
         "print(pg.port, pg.folder, redis.port, redis.folder, flush=True)\n"
         "time.sleep(600)\n"],
        stdout=subprocess.PIPE, text=True, cwd=started.Path(__file__).resolve().parents[1])
    try:
        pg_port, pg_folder, redis_port, redis_folder = child.stdout.readline().split()
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()

    def listening(port: str) -> bool:
        try:
            socket.create_connection(("127.0.0.1", int(port)), timeout=1).close()
            return True
        except OSError:
            return False

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (listening(pg_port) or listening(redis_port)
                                           or Path(pg_folder).exists() or Path(redis_folder).exists()):
        time.sleep(0.2)
    assert not listening(pg_port) and not listening(redis_port)
    assert not Path(pg_folder).exists() and not Path(redis_folder).exists()
