"""Real PostgreSQL and Redis servers started from the installed binaries in a temporary folder,
and stopped after: for the tests (tests/support/servers.py, session fixtures in
tests/conftest.py) and the load test (`python -m bot loadtest`), which must not touch a
developer's own servers.

Why real servers and not stand-ins: what the PostgreSQL engine promises (the `$n` rewrite, the
triggers, `FOR UPDATE SKIP LOCKED`, rowcounts) and what the Redis scripts promise (one atomic
step on the server's clock) only exist in the servers themselves. Each starts in about a second
or two, tuned for tests (no fsync, no persistence): nothing of a developer's own servers is used
or touched, and nothing is left behind. A missing binary raises `ServerMissing`, whose message
names the Debian package to install.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"
REDIS_SERVER = "/usr/bin/redis-server"
START_TIMEOUT = 60.0
PG_USER = "postgres"  # the database superuser initdb creates (trust auth: no password)


class ServerMissing(RuntimeError):
    """A server binary is not installed here; the message names the Debian package."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pg_bin() -> Path:
    """The newest installed PostgreSQL server's binaries folder (Debian's layout)."""
    candidates = [Path(p) for p in glob.glob(PG_BIN_GLOB) if (Path(p) / "initdb").exists()]
    if not candidates:
        raise ServerMissing(
            f"PostgreSQL is not installed (no initdb in {PG_BIN_GLOB}): install Debian's `postgresql` package "
            "(`apt-get install postgresql`, or `make setup` as root); the tests start their own server")
    return max(candidates, key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)


def redis_bin() -> Path:
    path = Path(REDIS_SERVER) if Path(REDIS_SERVER).exists() else Path(shutil.which("redis-server") or "")
    if not path.name or not path.exists():
        raise ServerMissing(
            f"Redis is not installed (no {REDIS_SERVER}): install Debian's `redis-server` package "
            "(`apt-get install redis-server`, or `make setup` as root); the tests start their own server")
    return path


def _server_user() -> str | None:
    """PostgreSQL refuses to run as root: there, its files and process belong to `postgres`
    (Debian's package creates it), or `nobody`. None: run as ourselves."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    raise RuntimeError("running as root and neither user `postgres` nor `nobody` exists to run PostgreSQL as")


def _chown_tree(path: Path, user: str | None) -> None:
    if user is None:
        return
    entry = pwd.getpwnam(user)
    os.chown(path, entry.pw_uid, entry.pw_gid)



# A process of its own beside each server: when the process that started the server is gone
# without stopping it (a test run killed by a timeout, kill -9, a crash), it stops the server
# and deletes its folder, so no orphan postmaster or redis-server is left running. It ends by
# itself once the folder is gone (a normal stop).
_WATCHDOG = r"""
import os, shutil, signal, sys, time
owner, folder, server_pid = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])

def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True

while os.path.isdir(folder):
    if alive(owner):
        time.sleep(1)
        continue
    pid = server_pid
    if not pid:  # PostgreSQL: the postmaster's pid is the first line of postmaster.pid
        try:
            with open(os.path.join(folder, "data", "postmaster.pid")) as f:
                pid = int(f.readline())
        except (OSError, ValueError):
            pid = 0
    if pid and alive(pid):
        os.kill(pid, signal.SIGQUIT if not server_pid else signal.SIGTERM)  # PostgreSQL: immediate shutdown
        for _ in range(100):
            if not alive(pid):
                break
            time.sleep(0.1)
        else:
            os.kill(pid, signal.SIGKILL)
    shutil.rmtree(folder, ignore_errors=True)
"""


def watch(folder: Path, server_pid: int) -> None:
    """Start the watchdog of the server in ``folder`` (``server_pid`` 0: PostgreSQL's, read
    from its postmaster.pid), owned by this process."""
    subprocess.Popen([sys.executable, "-c", _WATCHDOG, str(os.getpid()), str(folder), str(server_pid)],
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                     start_new_session=True, close_fds=True)

@dataclass
class PostgresServer:
    """One postmaster on 127.0.0.1:`port`, trust auth, superuser `postgres`, data in `folder`."""

    folder: Path
    port: int
    bin: Path
    user: str | None
    _counter: int = field(default=0, repr=False)

    @classmethod
    def start(cls) -> PostgresServer:
        binaries = pg_bin()
        user = _server_user()
        folder = Path(tempfile.mkdtemp(prefix="saqbol-pg-"))
        _chown_tree(folder, user)
        data = folder / "data"
        run = _runner(user, folder)
        initdb = run([str(binaries / "initdb"), "-D", str(data), "-U", PG_USER, "--auth=trust",
                      "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"])
        if initdb.returncode != 0:
            shutil.rmtree(folder, ignore_errors=True)
            raise RuntimeError(f"initdb failed: {initdb.stdout}{initdb.stderr}")
        for attempt in range(5):
            port = free_port()
            options = (f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={folder} "
                       "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                       "-c max_connections=300 -c shared_buffers=64MB -c log_min_messages=warning")
            started = run([str(binaries / "pg_ctl"), "start", "-w", "-t", str(int(START_TIMEOUT)), "-D", str(data),
                           "-l", str(folder / "server.log"), "-o", options])
            if started.returncode == 0:
                watch(folder, server_pid=0)
                return cls(folder=folder, port=port, bin=binaries, user=user)
        log = (folder / "server.log").read_text(errors="replace") if (folder / "server.log").exists() else ""
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"PostgreSQL did not start: {started.stdout}{started.stderr}\n{log[-3000:]}")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{PG_USER}@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run one SQL command with psql (autocommit), return its unaligned output."""
        done = subprocess.run([str(self.bin / "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                               "-h", "127.0.0.1", "-p", str(self.port), "-U", PG_USER, "-d", database, "-c", sql],
                              capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise RuntimeError(f"psql failed on {sql!r}: {done.stderr}")
        return done.stdout

    def create_database(self, template: str | None = None, prefix: str = "test") -> str:
        """A new database, empty or a copy of `template` (fast: files are copied, no migration
        runs); its name."""
        self._counter += 1
        name = f"{prefix}_{os.getpid()}_{self._counter}"
        copy = f" TEMPLATE {template} STRATEGY FILE_COPY" if template else " TEMPLATE template0"
        self.psql(f"CREATE DATABASE {name}{copy}")
        return name

    def drop_database(self, name: str) -> None:
        self.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            _runner(self.user, self.folder)([str(self.bin / "pg_ctl"), "stop", "-m", "immediate", "-w",
                                              "-D", str(self.folder / "data")])
        shutil.rmtree(self.folder, ignore_errors=True)


def _runner(user: str | None, cwd: Path):
    def run(argv: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(argv, capture_output=True, text=True, cwd=cwd, user=user, timeout=START_TIMEOUT + 30,
                              env={**os.environ, "LC_ALL": "C.UTF-8"})
    return run


@dataclass
class RedisServer:
    """One redis-server on 127.0.0.1:`port`, no persistence, data folder `folder`."""

    folder: Path
    port: int
    process: subprocess.Popen

    @classmethod
    def start(cls) -> RedisServer:
        binary = redis_bin()
        folder = Path(tempfile.mkdtemp(prefix="saqbol-redis-"))
        for _attempt in range(5):
            port = free_port()
            log = (folder / "redis.log").open("ab")
            process = subprocess.Popen(
                [str(binary), "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                 "--dir", str(folder), "--daemonize", "no", "--protected-mode", "no", "--databases", "16",
                 "--loglevel", "warning"],
                stdout=log, stderr=log, cwd=folder)
            log.close()
            if _wait_for_redis(process, port):
                watch(folder, server_pid=process.pid)
                return cls(folder=folder, port=port, process=process)
            process.kill()
            process.wait()
        text = (folder / "redis.log").read_text(errors="replace")
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"redis-server did not start:\n{text[-3000:]}")

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def command(self, *args: str | int, db: int = 0) -> bytes:
        """One command over a plain socket (RESP), its raw reply: FLUSHDB, PING, DBSIZE."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as sock:
            payload = b""
            for cmd in (("SELECT", db), args):
                payload += f"*{len(cmd)}\r\n".encode()
                for part in cmd:
                    data = str(part).encode()
                    payload += f"${len(data)}\r\n".encode() + data + b"\r\n"
            sock.sendall(payload)
            reply = b""
            while reply.count(b"\r\n") < 2:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                reply += chunk
        first, _, rest = reply.partition(b"\r\n")
        if first.startswith(b"-"):
            raise RuntimeError(f"redis refused SELECT {db}: {first.decode()}")
        answer = rest.split(b"\r\n", 1)[0]
        if answer.startswith(b"-"):
            raise RuntimeError(f"redis refused {args}: {answer.decode()}")
        return answer

    def flush(self, db: int = 0) -> None:
        self.command("FLUSHDB", db=db)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def _wait_for_redis(process: subprocess.Popen, port: int) -> bool:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        with contextlib.suppress(OSError):
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"*1\r\n$4\r\nPING\r\n")
                if sock.recv(64).startswith(b"+PONG"):
                    return True
        time.sleep(0.05)
    return False


def migrated_template(server: PostgresServer) -> str:
    """A database migrated to the latest version, the way the bot migrates one (`Database.open`),
    to copy for each test: CREATE DATABASE … TEMPLATE takes milliseconds, migrating takes longer.
    Migrated on a thread of its own, in its own event loop: no test's loop is touched."""
    import asyncio
    import threading

    from bot.storage.database import Database

    name = server.create_database(prefix="template")
    failure: list[BaseException] = []

    async def migrate() -> None:
        db = await Database.open(server.url(name))
        await db.close()

    def work() -> None:
        try:
            asyncio.run(migrate())
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            failure.append(exc)

    thread = threading.Thread(target=work, name="migrate-template")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return name
