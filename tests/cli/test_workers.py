"""``openvias workers [--json]`` against a server's database: every worker with its pool,
slots, heartbeat age and the tasks of every project it runs, with their lease ages."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.api.worker_support import Fleet, make_fleet
from tests.support import Server


@pytest.fixture(scope="module")
def fleet(server: Server) -> Fleet:
    return make_fleet(server)


def test_json_lists_every_worker_with_all_its_tasks(server: Server, fleet: Fleet) -> None:
    done = server.cli("workers", "--json")
    assert done.returncode == 0, done.stderr
    listing = json.loads(done.stdout)
    workers = {w["id"]: w for w in listing["workers"]}
    busy, idle = workers[fleet.busy], workers[fleet.idle]
    assert {t["task_id"] for t in busy["tasks"]} == {fleet.own_task, fleet.foreign_task}
    assert all(2_000 <= t["lease_age_ms"] < 13_000 for t in busy["tasks"])
    assert (busy["pool"], busy["live"], busy["slots_used"], busy["slots_free"]) == (
        "default",
        True,
        2,
        2,
    )
    assert (idle["pool"], idle["live"], idle["draining"], idle["tasks"]) == (
        "edge-a",
        False,
        True,
        [],
    )


def test_the_table_names_workers_and_their_tasks(server: Server, fleet: Fleet) -> None:
    done = server.cli("workers")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == [
        "WORKER",
        "POOL",
        "STATE",
        "USED",
        "FREE",
        "HEARTBEAT",
        "HOST",
        "PID",
    ]
    busy = next(i for i, line in enumerate(lines) if line.startswith(fleet.busy))
    assert lines[busy].split()[:5] == [fleet.busy, "default", "live", "2", "2"]
    tasks = {line.split()[1] for line in lines[busy + 1 : busy + 3]}
    assert tasks == {fleet.own_task, fleet.foreign_task}
    assert all("lease renewed" in line for line in lines[busy + 1 : busy + 3])
    idle = next(line for line in lines if line.startswith(fleet.idle))
    assert idle.split()[1:3] == ["edge-a", "dead"]  # no heartbeat for a minute


def test_an_unreachable_database_is_one_line(server: Server) -> None:
    env = {**server.env, "OPENVIAS_DATABASE_URL": "postgresql+asyncpg://nobody@127.0.0.1:1/none"}
    done = subprocess.run(
        [sys.executable, "-m", "openvias", "workers"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.startswith("openvias: error: the database cannot be used")
    assert len(done.stderr.strip().splitlines()) == 1
