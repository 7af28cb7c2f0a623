"""`python -m bot loadtest --replicas …`, short: every configuration of the one table runs as real
processes and gets its figures (the echo bot's ceiling, SaqBol on SQLite in one process, SaqBol
on PostgreSQL + Redis with two replicas), its users Kazakh and Russian in turn."""

from __future__ import annotations

import re

from bot.cli import parser
from bot.devtools.loadtest import _server_pids, run_replica_loadtest

ROW = re.compile(r"^(?P<label>.+?)\s+(?P<proc>\d+)\s+(?P<rate>[\d.]+)\s+(?P<p50>[\d.]+)\s+(?P<p95>[\d.]+)\s+"
                 r"(?P<max>[\d.]+)\s+(?P<bots>[\d.]+)\s+(?P<emu>[\d.]+)\s+(?P<servers>[\d.]+)$")


def test_the_replica_load_test_prints_updates_per_second_and_p95_for_each_stack_in_one_run(settings, postgres_server,
                                                                                           redis_server):
    report = run_replica_loadtest(settings, replicas=[2], users=4, messages=2, postgres=postgres_server,
                                  redis=redis_server)
    lines = report.splitlines()
    assert lines[0].startswith("loadtest: 4 users x 2 messages = 8 updates per row, backend lexical"), report
    rows = [ROW.match(line) for line in lines[3:6]]
    assert all(rows), report
    assert [(row["label"], int(row["proc"])) for row in rows] == [
        ("echo bot (aiogram, HTTP, emulator)", 1), ("SaqBol, SQLite", 1), ("SaqBol, PostgreSQL + Redis", 2)]
    for row in rows:
        assert float(row["rate"]) > 0
        assert float(row["p50"]) <= float(row["p95"]) <= float(row["max"])
        # CPU is read in the kernel's 10 ms ticks, which the echo bot's 8 updates, the emulator
        # and the servers may not reach (CI once read the echo bot's as 0.0), so only their
        # presence is checked; SaqBol classifies and stores 8 texts, which passes a tick.
        assert float(row["bots"]) >= 0 and float(row["emu"]) >= 0 and float(row["servers"]) >= 0
    assert all(float(row["bots"]) > 0 for row in rows[1:]), report
    assert "not run" not in report


def test_the_command_line_takes_several_replica_counts():
    args = parser().parse_args(["loadtest", "--replicas", "1", "2", "3", "--users", "50"])
    assert (args.replicas, args.users) == ([1, 2, 3], 50)
    assert parser().parse_args(["loadtest"]).replicas is None  # the in-process load test, as before


def test_the_servers_cpu_is_counted_from_the_postmaster_and_redis_server(postgres_server, redis_server):
    postmaster = int((postgres_server.folder / "data" / "postmaster.pid").read_text().split()[0])
    assert sorted(_server_pids([postgres_server, redis_server])) == sorted([postmaster, redis_server.process.pid])
