"""Real PostgreSQL and Redis servers for the tests, started from the installed binaries in a
temporary folder, once per test session, and stopped at its end (fixtures in tests/conftest.py).

The servers themselves are started by `bot.devtools.servers`, which the load test
(`python -m bot loadtest`) uses too: the product's code cannot import tests/. What is the
tests' own is what a missing binary means here: where one is missing, the tests that need it
skip, saying which Debian package to install; under CI (env `CI` set) they fail instead: CI
must run them.
"""

from __future__ import annotations

import os

import pytest

from bot.devtools.servers import (PG_BIN_GLOB, PG_USER, REDIS_SERVER, START_TIMEOUT, PostgresServer,  # noqa: F401
                                  RedisServer, ServerMissing, free_port, migrated_template, pg_bin, redis_bin)


def unavailable(message: str) -> None:
    """Skip the test, saying what to install; under CI fail it: CI must run these tests."""
    if os.environ.get("CI"):
        pytest.fail(f"{message} (CI must run these tests)")
    pytest.skip(message)
