"""deploy/: the compose file and the nginx config that put three replicas behind one webhook.
No Docker engine runs here, so the compose file is read as YAML and held to what the bot reads
(its settings' names, its ports and paths); nginx, which is installed, checks its own config
(`nginx -t`) and then runs it for real in front of three small web servers standing where the
replicas would."""

from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
import subprocess
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import yaml
from aiohttp import web

from bot.app.runner import READY_PATH, WEBHOOK_PATH
from bot.app.scraping import METRICS_PATH
from bot.config import setting_fields
from bot.devtools.running import free_ports
from bot.telegram.settings import TelegramSettings
from tests.support.servers import unavailable

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
BOTS = ["bot1", "bot2", "bot3"]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text(encoding="utf-8"))


def nginx_conf() -> str:
    return (DEPLOY / "nginx.conf").read_text(encoding="utf-8")


def upstream_servers(conf: str) -> list[tuple[str, int]]:
    block = re.search(r"upstream\s+\w+\s*\{(.*?)\}", conf, re.S)
    assert block, "nginx.conf has no upstream block"
    return [(host, int(port)) for host, port in re.findall(r"^\s*server\s+([\w.-]+):(\d+)", block.group(1), re.M)]


def local_conf(listen: int, replicas: dict[str, int]) -> str:
    """nginx.conf with the compose service names pointed at local ports, listening on ``listen``:
    nginx resolves the upstream hosts when it reads the file, and `bot1` exists only in compose."""
    conf = nginx_conf()
    for name, port in replicas.items():
        conf, found = re.subn(rf"\b{name}:\d+", f"127.0.0.1:{port}", conf)
        assert found == 1, name
    conf, found = re.subn(r"listen\s+80;", f"listen 127.0.0.1:{listen};", conf)
    assert found == 1
    conf = conf.replace("access_log /dev/stdout;", "access_log off;")
    # One worker: each nginx worker keeps its own round-robin turn, and the test counts turns.
    return conf.replace("worker_processes auto;", "worker_processes 1;")


def nginx_missing() -> None:
    if not Path(NGINX).exists():
        unavailable("nginx is not installed: install Debian's `nginx` package to check deploy/nginx.conf")


def nginx_command(folder: Path, conf: str, *extra: str) -> list[str]:
    path = folder / "nginx.conf"
    path.write_text(conf, encoding="utf-8")
    return [NGINX, "-p", str(folder), "-c", str(path), "-e", str(folder / "error.log"),
            "-g", f"pid {folder / 'nginx.pid'};", *extra]


# --- the compose file --------------------------------------------------------------------


def test_compose_runs_three_bot_replicas_from_the_repositorys_dockerfile(compose):
    bots = {name: service for name, service in compose["services"].items() if name.startswith("bot")}
    assert sorted(bots) == BOTS
    for service in bots.values():
        build = service["build"]
        assert (DEPLOY / build["context"] / build["dockerfile"]).resolve() == ROOT / "Dockerfile"
        env = service["environment"]
        assert env["DATABASE_URL"].startswith("postgresql://") and "@postgres:5432/" in env["DATABASE_URL"]
        assert env["REDIS_URL"] == "redis://redis:6379/0"
        assert {"BOT_TOKEN", "WEBHOOK_URL", "WEBHOOK_SECRET"} <= set(env)
        assert service["depends_on"] == {"postgres": {"condition": "service_healthy"},
                                         "redis": {"condition": "service_healthy"},
                                         "relay": {"condition": "service_healthy"}}
        assert f"127.0.0.1:{env['WEBHOOK_PORT']}{READY_PATH}" in " ".join(service["healthcheck"]["test"])


def test_every_variable_compose_gives_the_bot_is_a_setting_the_bot_reads(compose):
    known = {field.env for field in setting_fields()}
    for name in BOTS:
        unknown = set(compose["services"][name]["environment"]) - known
        assert not unknown, f"{name} sets {unknown}, which the bot does not read (a typo?)"


def test_the_replicas_send_alerts_through_one_relay_on_their_database(compose):
    relay = compose["services"]["relay"]
    assert relay["command"] == ["relay"] and relay["build"] == compose["services"]["bot1"]["build"]
    env = relay["environment"]
    known = {field.env for field in setting_fields()}
    assert set(env) <= known, f"the relay sets {set(env) - known}, which the bot does not read"
    assert "BOT_TOKEN" not in env  # it needs none: each request carries the bot's own
    assert f":{env['BROADCAST_RELAY_PORT']}/healthz" in " ".join(relay["healthcheck"]["test"])
    for name in BOTS:
        bot = compose["services"][name]
        assert bot["environment"]["BROADCAST_RELAY_URL"] == f"http://relay:{env['BROADCAST_RELAY_PORT']}"
        assert bot["environment"]["DATABASE_URL"] == env["DATABASE_URL"]  # the journal is the bots' database
        assert bot["depends_on"]["relay"] == {"condition": "service_healthy"}


def test_postgres_and_redis_have_healthchecks_and_keep_their_data_in_volumes(compose):
    services, volumes = compose["services"], compose["volumes"]
    assert services["postgres"]["image"] == "postgres:15"
    assert services["redis"]["image"].startswith("redis:7")
    for name in ("postgres", "redis"):
        assert services[name]["healthcheck"]["test"], name
        named = [mount.split(":")[0] for mount in services[name]["volumes"]]
        assert named and all(volume in volumes for volume in named), name
    database_url = services["bot1"]["environment"]["DATABASE_URL"]
    assert database_url.endswith(f"/{services['postgres']['environment']['POSTGRES_DB']}")
    assert f"//{services['postgres']['environment']['POSTGRES_USER']}:" in database_url


def test_nginx_in_front_uses_this_config_and_balances_over_exactly_the_bot_services(compose):
    nginx = compose["services"]["nginx"]
    assert "./nginx.conf:/etc/nginx/nginx.conf:ro" in nginx["volumes"]
    port = int(compose["services"]["bot1"]["environment"]["WEBHOOK_PORT"])
    assert port == TelegramSettings().webhook_port
    assert upstream_servers(nginx_conf()) == [(name, port) for name in BOTS]
    conf = nginx_conf()
    assert f"location = {WEBHOOK_PATH}" in conf and f"location = {READY_PATH}" in conf


# --- nginx itself --------------------------------------------------------------------------


def test_nginx_accepts_the_config(tmp_path):
    nginx_missing()
    listen, *ports = free_ports(4)
    done = subprocess.run(nginx_command(tmp_path, local_conf(listen, dict(zip(BOTS, ports))), "-t"),
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert "syntax is ok" in done.stderr and "test is successful" in done.stderr


@contextlib.asynccontextmanager
async def replicas_standing_in(count: int) -> AsyncIterator[tuple[list[int], Counter, list[str | None]]]:
    """``count`` web servers answering the bot's paths: which one got each webhook POST, and the
    secret each POST carried."""
    got: Counter[int] = Counter()
    secrets: list[str | None] = []
    runners, ports = [], free_ports(count)
    for index, port in enumerate(ports):
        async def webhook(request: web.Request, index: int = index) -> web.Response:
            await request.json()
            got[index] += 1
            secrets.append(request.headers.get(SECRET_HEADER))
            return web.json_response({})

        async def ready(request: web.Request) -> web.Response:
            return web.json_response({"ready": True})

        async def metrics(request: web.Request) -> web.Response:
            return web.Response(text="saqbol_updates_total{type=\"message\"} 1.0\n")

        async def dashboard(request: web.Request, index: int = index) -> web.Response:
            return web.Response(text=f"dashboard of replica {index}: {request.path_qs}", status=401)

        app = web.Application()
        app.router.add_post(WEBHOOK_PATH, webhook)
        app.router.add_get(READY_PATH, ready)
        app.router.add_get(METRICS_PATH, metrics)
        app.router.add_get("/panel/{tail:.*}", dashboard)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        runners.append(runner)
    try:
        yield ports, got, secrets
    finally:
        for runner in runners:
            await runner.cleanup()


async def test_nginx_sends_webhook_posts_round_robin_to_the_replicas_with_telegrams_secret(tmp_path):
    nginx_missing()
    async with replicas_standing_in(3) as (ports, got, secrets):
        listen = free_ports(1)[0]
        nginx = await asyncio.create_subprocess_exec(
            *nginx_command(tmp_path, local_conf(listen, dict(zip(BOTS, ports))), "-g", "daemon off;"),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            async with aiohttp.ClientSession(f"http://127.0.0.1:{listen}") as http:
                readiness = None
                for _ in range(100):  # nginx starts in milliseconds
                    with contextlib.suppress(aiohttp.ClientError):
                        async with http.get(READY_PATH) as ready:
                            readiness = (ready.status, await ready.json())
                            break
                    await asyncio.sleep(0.05)
                assert readiness == (200, {"ready": True})
                for n in range(9):
                    update = {"update_id": n, "message": {"text": "кодты айтпаңыз" if n % 2 else "не называйте код"}}
                    async with http.post(WEBHOOK_PATH, json=update, headers={SECRET_HEADER: "s3cret"}) as posted:
                        assert posted.status == 200
                async with http.get(WEBHOOK_PATH) as refused:  # only Telegram's POSTs
                    assert refused.status == 403
                async with http.get("/admin") as elsewhere:  # nothing else of a replica is published
                    assert elsewhere.status == 404
                async with http.get(METRICS_PATH) as metrics:  # Prometheus asks each replica directly
                    assert metrics.status == 403
                async with http.get("/panel/login?t=x") as dashboard:  # the officers' dashboard, on any replica
                    assert dashboard.status == 401 and (await dashboard.text()).endswith(": /panel/login?t=x")
                async with http.get("/panel", allow_redirects=False) as bare:
                    assert bare.status == 301 and bare.headers["Location"].endswith("/panel/")
        finally:
            nginx.terminate()
            await nginx.wait()
    assert got == {0: 3, 1: 3, 2: 3}  # round-robin (the /readyz probes took their turns before)
    assert secrets == ["s3cret"] * 9
