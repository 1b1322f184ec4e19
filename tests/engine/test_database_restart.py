"""PostgreSQL restarted under load: an API-only ``openvias serve`` and two ``openvias worker``
processes on a PostgreSQL of the test's own (``private_postgres.py``), running file tasks
that alarm and live RTSP streams, each delivering to a webhook receiver on loopback. The
database goes away for a few seconds in the middle; nothing is restarted by hand, and
afterwards every process serves again and no alarm is lost, stored twice or left undelivered."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.task_center import TaskCenter, task_body, task_center
from tests.api.video_center import URL_CONFIG
from tests.engine.clips import write_clip
from tests.engine.cluster import owners, sql, workers_of
from tests.engine.private_postgres import PrivatePostgres, private_postgres, wait_until_accepting
from tests.engine.test_failover import alarms, alternating, content
from tests.engine.test_lifecycle import settled, wait_for
from tests.rtsp_support import running_rtsp_server
from tests.sinks.receiver import Receiver, running_receiver
from tests.support import Server, running_server

#: How long the database stays down: longer than a heartbeat, shorter than a lease.
OUTAGE_S = 5.0
HOOK = "/alarms"


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("db-restart")
    flame = write_clip(folder / "flame.mp4", 8, flame=True)
    plain = write_clip(folder / "plain.mp4", 8, flame=False)
    # 640 s of video: the files must still be analysed when the database goes away, and a
    # worker reads 128 s of it in about a second (the lease's position is checkpointed every
    # 2 s).
    alternating(flame, plain, folder / "long.mp4", 40)
    return folder


@pytest.fixture
def database() -> Iterator[PrivatePostgres]:
    with private_postgres() as pg:
        yield pg


@pytest.fixture
def cluster(database: PrivatePostgres, videos: Path) -> Iterator[Server]:
    env = {
        # a lease outlives the outage, so streams stay where they run
        "OPENVIAS_HEARTBEAT_SECONDS": "0.5",
        "OPENVIAS_LEASE_TTL_SECONDS": "15",
        "OPENVIAS_ALLOW_PRIVATE_TARGETS": "true",
        "OPENVIAS_FILE_ROOTS": str(videos),
        "OPENVIAS_DELIVERY_BACKOFF_MAX_SECONDS": "2",
        # the private database, not a fresh one on the shared server
        "OPENVIAS_DATABASE_URL": database.url,
    }
    with running_server("sqlite", **env) as server:
        yield server


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as hooks:
        yield hooks


def create_task(tc: TaskCenter, url: str, hook: str) -> str:
    source = tc.vc.create_source(type_config=URL_CONFIG.format(url=url))
    config = {"common": {"fire_detection_sw": 1, "smoke_detection_sw": 1}}
    output = {"webhook": {"url": hook, "headers": {"X-Test": "db-restart"}}}
    return tc.create_ids(task_body([source], config=config, output=output))[0]


def position_ms(server: Server, task_id: str) -> int:
    rows = sql(server, "SELECT position_ms FROM stream_leases WHERE task_id=$1", task_id)
    return int(rows[0]["position_ms"]) if rows else 0


def answers_list(server: Server) -> bool:
    try:
        with server.client() as client:
            return client.get(f"/v2/{server.project_id}/tasks").status_code == 200
    except httpx.HTTPError:
        return False


def warnings(log: str) -> list[str]:
    return [line[:300] for line in log.splitlines() if " WARNING " in line or " ERROR " in line]


def undelivered(server: Server) -> list[dict[str, Any]]:
    return sql(
        server, "SELECT id, event_id, state, attempts FROM deliveries WHERE state <> 'delivered'"
    )


def test_postgres_restarted_under_load_loses_no_alarm_and_every_process_recovers(
    cluster: Server, database: PrivatePostgres, receiver: Receiver, videos: Path
) -> None:
    long_file = (videos / "long.mp4").as_uri()
    hook = receiver.url(HOOK)
    with (
        running_rtsp_server({"cam": videos / "flame.mp4"}) as camera,
        task_center(cluster) as tc,
        workers_of(cluster) as start,
    ):
        pair = [start("w1", slots=3), start("w2", slots=3)]
        reference = create_task(tc, long_file, hook)
        assert wait_for(settled(tc, reference), timeout=240, what="the reference") == "SUCCEEDED"
        expected = [content(alarm) for alarm in alarms(cluster, reference)]
        assert len(expected) >= 4, expected

        files = [create_task(tc, long_file, hook) for _ in range(2)]
        live = [create_task(tc, camera.url("cam"), hook) for _ in range(2)]
        wait_for(
            lambda: (
                all(position_ms(cluster, t) > 20_000 for t in files)
                and all(tc.state(t) == "RUNNING" for t in live)
            ),
            timeout=120,
            what="the files well started and the cameras running",
        )
        held_before = owners(cluster, files + live)

        database.stop("fast")
        with cluster.client() as client:  # retryable, not an internal error
            during = client.get(f"/v2/{cluster.project_id}/tasks")
        assert during.status_code == 503, during.text
        assert during.json()["error_code"] == "VIAS.00010009", during.text
        time.sleep(OUTAGE_S)
        database.start()
        wait_until_accepting(database)
        back = time.monotonic()
        wait_for(lambda: answers_list(cluster), timeout=30, what="the API to answer again")
        api_after = time.monotonic() - back
        wait_for(lambda: all(w.ready() for w in pair), timeout=30, what="the workers ready")
        workers_after = time.monotonic() - back
        assert [w.process.poll() for w in pair] == [None, None], "a worker exited"
        assert cluster.process.poll() is None, "the API exited"

        for task_id in files:
            assert wait_for(settled(tc, task_id), timeout=240, what="a file to end") == "SUCCEEDED"
            got = [content(alarm) for alarm in alarms(cluster, task_id)]
            assert got == expected  # none lost, none twice
        assert all(tc.state(t) == "RUNNING" for t in live)
        held_after = owners(cluster, files + live)
        assert all(held_after[t][0] in ("w1", "w2") for t in live), held_after
        # Leases outlive the outage (15 s TTL against 5 s down), yet on a loaded machine a
        # stream can still be started again under a new lease (seen in CI, cause not pinned
        # down): a restart, which the figures count; the files' alarms above show it loses
        # nothing.
        restarted = [t for t in held_after if held_after[t][1] != held_before[t][1]]

        stored = {row["id"] for row in sql(cluster, "SELECT id FROM alarm_events")}
        assert len(stored) == sql(cluster, "SELECT count(*) AS n FROM alarm_events")[0]["n"]
        wait_for(lambda: not undelivered(cluster), timeout=60, what="every delivery made")
        # stored later than the last look may still be on their way
        stored = {row["id"] for row in sql(cluster, "SELECT id FROM alarm_events")}
        wait_for(
            lambda: stored <= {r.message_id for r in receiver.received(HOOK)},
            timeout=60,
            what="every stored alarm at the webhook",
        )
        logs = [w.log() for w in pair]
        print(
            f"\nPostgreSQL down {OUTAGE_S:.0f} s; API answered {api_after:.2f} s after it was "
            f"back, workers ready after {workers_after:.2f} s; {len(stored)} alarms, "
            f"{len(receiver.received(HOOK))} webhook posts; restarted under a new lease: "
            f"{sum(t in files for t in restarted)} of 2 files, "
            f"{sum(t in live for t in restarted)} of 2 cameras"
        )
        print("\n".join(line for log in logs for line in warnings(log) if "database" in line))
        for log in logs:  # one line when it went, one when it came back
            assert "database unreachable" in log, log[-3000:]
            assert "database reachable again" in log, log[-3000:]
