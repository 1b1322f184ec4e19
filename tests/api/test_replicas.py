"""Two ``openvias serve`` replicas on one PostgreSQL database (``OPENVIAS_ENGINE_SLOTS=0``,
as behind a load balancer) behave as one: one of them leads (applies schedules) and the other
takes over when it is killed; a token revoked through one is refused by the other on the
next request; a source created through one is listed by the other at once."""

from __future__ import annotations

import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from openvias.store.leader_lock import SERVE_LEADER_LOCK_KEY
from tests.api.identity_support import assert_error, cli_json, create_tenant, source_body, unique
from tests.api.task_center import TaskCenter, batch_body, task_center
from tests.api.video_center import URL_CONFIG
from tests.engine.clips import write_clip
from tests.engine.cluster import FAST_LEASES, sql, workers_of
from tests.engine.test_lifecycle import wait_for
from tests.rtsp_support import RtspServer, running_rtsp_server
from tests.support import (
    ADMIN_PASSWORD,
    Server,
    _wait_ready,
    free_port,
    running_server,
    stop_process,
)

LEADS = "this replica leads"


@contextmanager
def two_replicas() -> Iterator[tuple[Server, Server]]:
    env = {
        **FAST_LEASES,
        "OPENVIAS_ALLOW_PRIVATE_TARGETS": "true",
        # Tokens stay cached long after an admin command ends: only coherence refuses them.
        "OPENVIAS_AUTH_CACHE_SECONDS": "60",
    }
    with running_server("postgresql", **env) as first, replica_of(first) as second:
        yield first, second


@pytest.fixture(scope="module")
def replicas() -> Iterator[tuple[Server, Server]]:
    """Shared by the tests that kill neither replica."""
    with two_replicas() as pair:
        yield pair


@pytest.fixture
def first(replicas: tuple[Server, Server]) -> Server:
    return replicas[0]


@pytest.fixture
def second(replicas: tuple[Server, Server]) -> Server:
    return replicas[1]


@contextmanager
def replica_of(server: Server) -> Iterator[Server]:
    """Another ``openvias serve`` on the same database, port and data folder of its own."""
    with tempfile.TemporaryDirectory(prefix="openvias-replica-") as tmp:
        data_dir = Path(tmp)
        port = free_port()
        env = {**server.env, "OPENVIAS_DATA_DIR": str(data_dir)}
        with open(data_dir / "server.log", "wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "openvias", "serve", "--port", str(port)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        replica = Server(
            f"http://127.0.0.1:{port}", env, data_dir, process, server.token, server.project_id
        )
        try:
            _wait_ready(replica)
            yield replica
        finally:
            stop_process(replica.process, timeout=15)


def log_of(server: Server) -> str:
    return (server.data_dir / "server.log").read_text(errors="replace")


def leader_locks(server: Server) -> int:
    """Sessions of this database holding the replicas' leader lock."""
    rows = sql(
        server,
        "SELECT count(*) AS n FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
        "WHERE l.locktype = 'advisory' AND l.granted AND d.datname = current_database() "
        "AND ((l.classid::bigint << 32) | l.objid::bigint) = $1",
        SERVE_LEADER_LOCK_KEY,
    )
    return int(rows[0]["n"])


def the_leader(replicas: list[Server]) -> Server | None:
    leading = [r for r in replicas if r.process.poll() is None and LEADS in log_of(r)]
    return leading[0] if len(leading) == 1 else None


# -- the scheduler: one leader, and a successor ------------------------------------------------


@pytest.fixture(scope="module")
def camera(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RtspServer]:
    clip = write_clip(tmp_path_factory.mktemp("replicas") / "flame.mp4", 8, flame=True)
    with running_rtsp_server({"cam": clip}) as rtsp:
        yield rtsp


def record_state_changes(server: Server) -> None:
    """A trigger of the test's own that logs every change of a task's state."""
    sql(
        server,
        "CREATE TABLE test_state_changes (seq bigserial, task_id text, before text, after text, "
        "at timestamptz DEFAULT clock_timestamp())",
    )
    sql(
        server,
        "CREATE FUNCTION test_note_state() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF NEW.state IS DISTINCT FROM OLD.state THEN INSERT INTO test_state_changes "
        "(task_id, before, after) VALUES (NEW.id, OLD.state, NEW.state); END IF; "
        "RETURN NEW; END $$",
    )
    sql(
        server,
        "CREATE TRIGGER test_note_state AFTER UPDATE ON tasks FOR EACH ROW "
        "EXECUTE FUNCTION test_note_state()",
    )


def changes(server: Server, task_id: str) -> list[tuple[str, str, datetime]]:
    """The task's state changes in order: (before, after, when by the database clock)."""
    rows = sql(
        server,
        "SELECT before, after, at FROM test_state_changes WHERE task_id = $1 ORDER BY seq",
        task_id,
    )
    return [(row["before"], row["after"], row["at"]) for row in rows]


def window(begin: datetime, end: datetime) -> dict[str, Any]:
    return {
        "type": "weekly",
        "timezone": "+00:00",
        "days_of_week": [1, 2, 3, 4, 5, 6, 7],
        "periods": [[{"begin_at": begin.strftime("%H:%M:%S"), "end_at": end.strftime("%H:%M:%S")}]],
    }


def lease_run(server: Server, task_id: str) -> int:
    """How many times an engine has started the task (a claim that starts it anew)."""
    (lease,) = sql(server, "SELECT run FROM stream_leases WHERE task_id = $1", task_id)
    return int(lease["run"])


def state(server: Server, task_id: str) -> str:
    return str(sql(server, "SELECT state FROM tasks WHERE id = $1", task_id)[0]["state"])


def test_one_replica_applies_schedules_and_another_takes_over_when_it_is_killed(
    camera: RtspServer,
) -> None:
    with two_replicas() as (first, second):
        leader_takes_over(first, second, camera)


def leader_takes_over(first: Server, second: Server, camera: RtspServer) -> None:
    replicas = [first, second]
    leader = wait_for(lambda: the_leader(replicas), timeout=30, what="one leading replica")
    assert leader_locks(first) == 1
    record_state_changes(first)
    with workers_of(first) as start_worker, task_center(first) as tc:
        start_worker("w1")
        source = tc.vc.create_source(type_config=URL_CONFIG.format(url=camera.url("cam")))
        group = tc.vc.create_group([source])
        begin = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=15)
        end = begin + timedelta(seconds=40)
        batch_id = tc.create_batch(batch_body([(group, [source])], schedule=window(begin, end)))[
            "id"
        ]
        (task_id,) = tc.ids(batch_id=batch_id)
        wait_for(lambda: state(first, task_id) == "SCHEDULING", what="waiting for the window")
        wait_for(lambda: state(first, task_id) == "RUNNING", timeout=60, what="the window to open")
        assert datetime.now(UTC) >= begin
        run_in_window = lease_run(first, task_id)
        # the leader dies inside the window; the other replica must close it
        leader.process.send_signal(signal.SIGKILL)
        leader.process.wait(timeout=10)
        survivor = next(r for r in replicas if r is not leader)
        assert LEADS not in log_of(survivor)
        wait_for(lambda: LEADS in log_of(survivor), timeout=30, what="the survivor to lead")
        assert leader_locks(survivor) == 1
        wait_for(
            lambda: state(survivor, task_id) == "SCHEDULING",
            timeout=(end - datetime.now(UTC)).total_seconds() + 30,
            what="the window to close",
        )
        assert datetime.now(UTC) >= end
        time.sleep(3)  # more scheduler ticks: nothing more may change
        seen = changes(survivor, task_id)
        opened = [i for i, c in enumerate(seen) if c[:2] == ("SCHEDULING", "STARTING")]
        assert len(opened) == 1, seen  # the window opened once
        assert seen[opened[0]][2] >= begin, seen
        closed = [c for c in seen[opened[0] :] if c[1] == "SCHEDULING"]
        assert [c[:2] for c in closed] == [("RUNNING", "SCHEDULING")], seen  # and closed once
        assert closed[0][2] >= end, seen
        assert lease_run(survivor, task_id) == run_in_window  # the stream started once


def test_a_leader_whose_lock_connection_drops_stops_leading_and_the_lock_is_taken_again(
    first: Server, second: Server
) -> None:
    replicas = [first, second]
    leader = wait_for(lambda: the_leader(replicas), timeout=30, what="one leading replica")
    (holder,) = sql(
        first,
        "SELECT l.pid FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
        "WHERE l.locktype = 'advisory' AND l.granted AND d.datname = current_database() "
        "AND ((l.classid::bigint << 32) | l.objid::bigint) = $1",
        SERVE_LEADER_LOCK_KEY,
    )
    sql(first, "SELECT pg_terminate_backend($1)", holder["pid"])
    wait_for(
        lambda: "no longer leads" in log_of(leader), timeout=30, what="the leader to step down"
    )
    wait_for(lambda: leader_locks(first) == 1, timeout=30, what="a new holder of the lock")
    assert leader.process.poll() is None  # it lives on, answering requests


# -- token caches ---------------------------------------------------------------------------------


def sources_status(server: Server, token: str, project_id: str) -> int:
    url = f"{server.base_url}/v2/{project_id}/source/sources"
    return httpx.get(url, headers={"X-Auth-Token": token}, timeout=30).status_code


def projects_status(server: Server, token: str) -> int:
    url = f"{server.base_url}/v3/auth/projects"
    return httpx.get(url, headers={"X-Auth-Token": token}, timeout=30).status_code


def test_a_token_revoked_on_one_replica_is_refused_by_the_other_at_once(
    first: Server, second: Server
) -> None:
    token, project_id = first.login("admin", ADMIN_PASSWORD, "openvias", "default")
    # the second replica has verified (and cached) it, through the routed app and the fast reads
    for _ in range(3):
        assert sources_status(second, token, project_id) == 200
        assert projects_status(second, token) == 200
    revoked = httpx.delete(
        f"{first.base_url}/v3/auth/tokens",
        headers={"X-Auth-Token": first.token, "X-Subject-Token": token},
        timeout=30,
    )
    assert revoked.status_code == 204, revoked.text
    listed = httpx.get(
        f"{second.base_url}/v2/{project_id}/source/sources",
        headers={"X-Auth-Token": token},
        timeout=30,
    )
    assert_error(listed, 401)
    assert projects_status(second, token) == 401
    assert sources_status(second, first.token, project_id) == 200  # other tokens still work


def test_access_taken_away_by_the_admin_cli_ends_cached_tokens_on_every_replica_at_once(
    first: Server, second: Server
) -> None:
    tenant = create_tenant(first)
    for replica in (first, second):
        for _ in range(2):
            assert sources_status(replica, tenant.token, tenant.project_id) == 200
    cli_json(first, "admin", "revoke-grant", "--user", tenant.user, "--project", tenant.project)
    for replica in (second, first):
        assert sources_status(replica, tenant.token, tenant.project_id) == 401
        assert projects_status(replica, tenant.token) == 401


# -- the read cache -------------------------------------------------------------------------------


def listed_ids(server: Server) -> set[str]:
    url = f"{server.base_url}/v2/{server.project_id}/source/sources"
    response = httpx.get(url, headers={"X-Auth-Token": server.token}, timeout=30)
    assert response.status_code == 200, response.text
    return {source["video_source_id"] for source in response.json()["video_source_list"]}


def test_a_source_created_on_one_replica_is_listed_by_the_other_at_once(
    first: Server, second: Server
) -> None:
    for _ in range(3):  # cached on the second replica
        before = listed_ids(second)
    created = httpx.post(
        f"{first.base_url}/v2/{first.project_id}/source",
        headers={"X-Auth-Token": first.token},
        json=source_body(unique("src")),
        timeout=30,
    )
    assert created.status_code == 200, created.text
    source_id = created.json()["video_source_id"]
    assert source_id not in before
    assert source_id in listed_ids(second)
    assert source_id in listed_ids(first)


def test_a_single_sqlite_server_still_runs_the_scheduler() -> None:
    with running_server("sqlite") as server, task_center(server) as tc:
        later = datetime.now(UTC) + timedelta(hours=2)
        source = tc.vc.create_source()
        task_id = tc.create_ids(
            {
                "name": unique("task"),
                "input": {"type": "video_source", "data": [{"video_source_id": source}]},
                "output": {"webhook": {"headers": {"a": "a"}, "url": "http://test"}},
                "config": {"common": {"fire_detection_sw": 1}},
                "service_version": "3.0",
                "schedule": window(later, later + timedelta(minutes=30)),
            }
        )[0]
        wait_for(
            lambda: task_id in scheduling_ids(tc), what="SCHEDULING outside the window (SQLite)"
        )
        assert LEADS not in log_of(server)  # one process: no election to log


def scheduling_ids(tc: TaskCenter) -> set[str]:
    listed = tc.list_tasks(task_state="SCHEDULING", page_size=1000)["tasks"]
    return {task["id"] for task in listed}
