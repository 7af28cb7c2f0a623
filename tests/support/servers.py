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
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

import pytest

from bot.devtools.servers import (PG_BIN_GLOB, PG_USER, REDIS_SERVER, START_TIMEOUT, PostgresServer,  # noqa: F401
                                  RedisServer, ServerMissing, free_port, migrated_template, pg_bin, redis_bin)


def unavailable(message: str) -> None:
    """Skip the test, saying what to install; under CI fail it: CI must run these tests."""
    if os.environ.get("CI"):
        pytest.fail(f"{message} (CI must run these tests)")
    pytest.skip(message)


Server = TypeVar("Server", PostgresServer, RedisServer)


@contextmanager
def running(kind: type[Server]) -> Iterator[Server]:
    """A server of this kind started for the block and stopped after it (the session's shared
    ones in tests/conftest.py, or a test's own that it may stop). A missing binary skips the
    test, saying what to install (fails it under CI)."""
    try:
        server = kind.start()
    except ServerMissing as exc:
        unavailable(str(exc))
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def fresh_database(server: PostgresServer, template: str | None = None, prefix: str = "test") -> Iterator[str]:
    """The name of a database of the block's own on this server: a copy of ``template`` (a
    migrated one: milliseconds), or empty without one; dropped after the block."""
    name = server.create_database(template=template, prefix=prefix)
    try:
        yield name
    finally:
        server.drop_database(name)
