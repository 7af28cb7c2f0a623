"""GET /healthz and GET /readyz of the webhook server: what the load balancer and the container
orchestrator in front of the replicas (deploy/) ask before sending a replica updates. Each
check runs against the bot's real parts, opened as `python -m bot run` opens them."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest
from aiohttp import web

from redis.asyncio import Redis

from bot.app.dispatcher import open_deps
from bot.app.runner import HEALTH_PATH, READY_PATH, add_health_routes, readiness_probes
from bot.storage.redis_store import RedisStore
from tests.support.servers import RedisServer, running


@contextlib.asynccontextmanager
async def health_server(probes, timeout: float = 2.0) -> AsyncIterator[aiohttp.ClientSession]:
    """The health routes on a real HTTP server, and a client session pointed at it."""
    app = web.Application()
    add_health_routes(app, probes, timeout=timeout)
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        host, port = runner.addresses[0][:2]
        async with aiohttp.ClientSession(f"http://{host}:{port}") as http:
            yield http
    finally:
        await runner.cleanup()


@contextlib.asynccontextmanager
async def silent_server() -> AsyncIterator[int]:
    """A TCP port that accepts connections and never answers: a server that hangs."""
    held: list[asyncio.StreamWriter] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()


async def get(http: aiohttp.ClientSession, path: str) -> tuple[int, dict]:
    async with http.get(path) as response:
        return response.status, await response.json()


async def test_a_replica_whose_database_and_classifier_answer_is_ready(settings, classifier, tmp_path):
    config = settings.with_values(database_path=tmp_path / "saqbol.db", backend="lexical")
    async with open_deps(config, classifier) as deps, health_server(readiness_probes(deps)) as http:
        assert await get(http, HEALTH_PATH) == (200, {"alive": True})
        status, body = await get(http, READY_PATH)
    assert status == 200, body
    assert body["ready"] is True
    assert {"database", "classifier"} <= set(body["checked"])


async def test_a_replica_whose_database_is_gone_is_alive_but_not_ready_and_says_which_part(settings, classifier,
                                                                                            tmp_path):
    config = settings.with_values(database_path=tmp_path / "saqbol.db", backend="lexical")
    async with open_deps(config, classifier) as deps, health_server(readiness_probes(deps)) as http:
        await deps.db.close()  # as a database server that went away
        assert (await get(http, HEALTH_PATH))[0] == 200  # alive: restarting it would not help
        status, body = await get(http, READY_PATH)
    assert status == 503
    assert body["ready"] is False
    assert set(body["failing"]) == {"database"}
    assert body["failing"]["database"].startswith("failed (")


async def test_a_replica_whose_classifier_stopped_is_not_ready(settings, classifier, tmp_path):
    config = settings.with_values(database_path=tmp_path / "saqbol.db", backend="lexical")
    async with open_deps(config, classifier) as deps, health_server(readiness_probes(deps)) as http:
        deps.checker.close()
        status, body = await get(http, READY_PATH)
    assert status == 503
    assert set(body["failing"]) == {"classifier"}


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    """A redis-server of this test's own, which it may stop (the session's is shared)."""
    with running(RedisServer) as server:
        yield server


async def test_a_replica_on_redis_is_ready_while_redis_answers_and_not_once_it_stopped(settings, classifier, tmp_path,
                                                                                     own_redis):
    config = settings.with_values(database_path=tmp_path / "saqbol.db", backend="lexical", redis_url=own_redis.url())
    async with open_deps(config, classifier) as deps, health_server(readiness_probes(deps)) as http:
        ready = await get(http, READY_PATH)
        await asyncio.to_thread(own_redis.stop)
        gone = await get(http, READY_PATH)
    assert ready[0] == 200 and set(ready[1]["checked"]) == {"database", "classifier", "redis"}
    assert gone == (503, {"ready": False, "failing": {"redis": "not answering"}})


async def test_a_redis_that_hangs_makes_the_replica_not_ready_within_the_timeout(settings, classifier, tmp_path):
    config = settings.with_values(database_path=tmp_path / "saqbol.db", backend="lexical")
    async with silent_server() as port, open_deps(config, classifier) as deps:
        hanging = RedisStore(Redis(host="127.0.0.1", port=port, socket_timeout=30), f"redis://127.0.0.1:{port}/0")
        deps.redis = hanging  # a Redis that accepts connections and never answers
        loop = asyncio.get_running_loop()
        try:
            async with health_server(readiness_probes(deps), timeout=0.3) as http:
                started = loop.time()
                status, body = await get(http, READY_PATH)
                took = loop.time() - started
        finally:
            deps.redis = None
            await hanging.close()
    assert status == 503
    assert body == {"ready": False, "failing": {"redis": "no answer within 0.3 s"}}
    assert took < 2.0
