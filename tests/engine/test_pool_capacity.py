"""A full pool, with real ``openvias worker`` processes on PostgreSQL: a task no worker has a
slot for shows LACK_OF_RESOURCES with a status saying why, whether it was just started or its
owner died, and starts by itself once a slot frees or a worker joins."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.task_center import TaskCenter, task_center
from tests.engine.clips import write_clip
from tests.engine.cluster import FAST_LEASES, owners, workers_of
from tests.engine.test_failover import create_task, running_on
from tests.engine.test_lifecycle import wait_for
from tests.rtsp_support import RtspServer, running_rtsp_server
from tests.support import running_server


@pytest.fixture(scope="module")
def camera(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RtspServer]:
    clip = write_clip(tmp_path_factory.mktemp("capacity") / "cam.mp4", 6, flame=False)
    with running_rtsp_server({"cam": clip}) as rtsp:
        yield rtsp


@pytest.fixture
def tc() -> Iterator[TaskCenter]:
    env = {**FAST_LEASES, "OPENVIAS_ALLOW_PRIVATE_TARGETS": "true"}
    with running_server("postgresql", **env) as server, task_center(server) as center:
        yield center


def waiting_for_capacity(tc: TaskCenter, task_ids: list[str]) -> dict[str, Any] | None:
    """The one task of ``task_ids`` that waits for a slot (as ShowTaskInfo shows it)."""
    for task_id in task_ids:
        shown = tc.show(task_id)
        if shown["status"].startswith("LACK_OF_RESOURCES"):
            return dict(shown)
    return None


def test_a_task_started_while_the_pool_is_full_says_why_and_starts_when_a_slot_frees(
    tc: TaskCenter, camera: RtspServer
) -> None:
    with workers_of(tc.server) as start:
        start("w1", slots=1)
        start("w2", slots=1)
        task_ids = [create_task(tc, camera.url("cam")) for _ in range(3)]
        waiting = wait_for(
            lambda: waiting_for_capacity(tc, task_ids), timeout=30, what="a task to wait"
        )
        assert waiting["state"] == "START_FAILED", waiting  # the wire's name for it
        assert waiting["status"] == (
            "LACK_OF_RESOURCES: pool default: 2 of 2 slots in use on 2 workers"
        ), waiting
        assert waiting["error"]["code"] == "VIAS.LACK_OF_RESOURCES", waiting
        others = [t for t in task_ids if t != waiting["id"]]
        placement = wait_for(lambda: running_on(tc, others), timeout=60, what="two streams")
        assert sorted(placement.values()) == ["w1", "w2"]
        tc.action(others[0], "stop")
        moved = wait_for(
            lambda: running_on(tc, [waiting["id"]]), timeout=30, what="the waiting task to start"
        )
        assert moved == {waiting["id"]: placement[others[0]]}
        shown = tc.show(waiting["id"])
        assert shown.get("error") is None, shown
        assert not shown["status"].startswith("LACK_OF_RESOURCES"), shown


def test_a_stream_whose_worker_died_while_the_pool_is_full_waits_for_a_new_worker(
    tc: TaskCenter, camera: RtspServer
) -> None:
    with workers_of(tc.server) as start:
        pair = [start("w1", slots=1), start("w2", slots=1)]
        task_ids = [create_task(tc, camera.url("cam")) for _ in range(2)]
        placement = wait_for(lambda: running_on(tc, task_ids), timeout=60, what="two streams")
        victim = pair[0]
        orphan = next(t for t, owner in placement.items() if owner == victim.node_id)
        victim.signal(signal.SIGKILL)
        waiting = wait_for(
            lambda: waiting_for_capacity(tc, [orphan]), timeout=30, what="the orphan to wait"
        )
        assert waiting["status"] == (
            "LACK_OF_RESOURCES: pool default: 1 of 1 slots in use on 1 worker"
        ), waiting
        assert owners(tc.server, [orphan])[orphan][0] is None
        start("w3", slots=1)
        moved = wait_for(lambda: running_on(tc, task_ids), timeout=30, what="both streams")
        assert moved == {orphan: "w3", **{t: "w2" for t in task_ids if t != orphan}}
