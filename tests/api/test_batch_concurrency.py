"""Concurrent UpdateBatchTask calls on one batch task never interleave: fired together from
two threads, each over its own connection, the batch task ends up exactly as one of the two
bodies makes it (membership, configuration and description together), on both backends."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests import spec
from tests.api.task_center import ROI, TaskCenter, batch_body, batch_input, task_center
from tests.support import Server

ROUNDS = 6


@pytest.fixture
def tc(server: Server) -> Iterator[TaskCenter]:
    with task_center(server) as center:
        yield center


def _race(server: Server, calls: list[tuple[str, str, Any]]) -> list[tuple[int, Any]]:
    """Send every (method, path, json body or None) at once, one thread and connection each."""
    barrier = threading.Barrier(len(calls))

    def send(call: tuple[str, str, Any]) -> tuple[int, Any]:
        method, path, body = call
        with server.client() as client:
            client.get("/readyz")  # open the connection before the race starts
            barrier.wait(timeout=30)
            response = client.request(method, path, json=body)
            return response.status_code, response.json()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(send, calls))


def _snapshot(tc: TaskCenter, batch_id: str) -> dict[str, Any]:
    """What an update decides: member sources with their ROI, config, description."""
    members = [tc.show(task_id) for task_id in tc.ids(batch_id=batch_id)]
    common = [dict(m["config"]["common"]) for m in members]
    rois = {
        m["input"]["data"][0]["video_source_id"]: c.pop("target_roi", None)
        for m, c in zip(members, common, strict=True)
    }
    return {
        "count": len(members),
        "rois": rois,
        "configs": {repr(sorted(c.items())) for c in common},
        "descriptions": {m["description"] for m in members},
    }


def _expected(body: dict[str, Any]) -> dict[str, Any]:
    (group,) = body["batch_input"]["video_source_group"]
    listed = group["video_source_list"]
    return {
        "count": len(listed),
        "rois": {s["video_source_id"]: s.get("target_roi") for s in listed},
        "configs": {repr(sorted(body["config"]["common"].items()))},
        "descriptions": {body["description"]},
    }


def test_two_concurrent_updates_apply_one_after_the_other(tc: TaskCenter, server: Server) -> None:
    # given a batch task over one source of a group of four
    sources = tc.sources(4)
    group = tc.group(sources)
    batch_id = tc.create_batch(batch_body([(group, sources[:1])]))["id"]
    path = f"/v2/{server.project_id}/batch-tasks/{batch_id}"
    for round_no in range(ROUNDS):
        # when two updates with different configs and disjoint source sets race
        body_a = {
            "description": f"A{round_no}",
            "config": {"common": {"video_sampling_interval": 2, "fire_detection_sw": 0}},
            "batch_input": batch_input([(group, sources[:2])]),
        }
        body_b = {
            "description": f"B{round_no}",
            "config": {"common": {"video_sampling_interval": 9, "smoke_detection_sw": 0}},
            "batch_input": batch_input([(group, [(s, ROI) for s in sources[1:]])]),
        }
        answers = _race(server, [("PUT", path, body_a), ("PUT", path, body_b)])
        # then each got 200 or 409 (never an error of another kind) ...
        for status, answer in answers:
            assert status in (200, 409), answer
            if status == 200:
                spec.assert_response("UpdateBatchTask", answer)
            else:
                spec.assert_error(answer)
        pairs = zip([body_a, body_b], answers, strict=True)
        succeeded = [body for body, (status, _) in pairs if status == 200]
        assert any(status == 200 for status, _ in answers), answers
        # ... and the batch task is exactly what one of the two bodies makes it
        state = _snapshot(tc, batch_id)
        assert state in [_expected(b) for b in succeeded], (round_no, state, answers)


def test_concurrent_update_and_stop_leave_a_consistent_batch(
    tc: TaskCenter, server: Server
) -> None:
    # given a running batch task over two sources of a group of three
    sources = tc.sources(3)
    group = tc.group(sources)
    batch_id = tc.create_batch(batch_body([(group, sources[:2])]))["id"]
    base = f"/v2/{server.project_id}/batch-tasks/{batch_id}"
    for round_no in range(ROUNDS):
        tc.batch_action(batch_id, "start")
        # when an update (alternating the membership) and a stop race
        wanted = sources[1:] if round_no % 2 == 0 else sources[:2]
        update = {"batch_input": batch_input([(group, wanted)])}
        answers = _race(server, [("PUT", base, update), ("PUT", f"{base}/action/stop", None)])
        statuses = [status for status, _ in answers]
        # then both succeed or conflict, and the members are the update's, all stopped
        # (a stop after the update stops the new member; a stop before it makes the update
        # add its new member stopped, as the batch task is stopped)
        assert set(statuses) <= {200, 409}, statuses
        members = tc.members(batch_id)
        if statuses[0] == 200:
            assert set(members) == set(wanted)
        if statuses[1] == 200:
            assert {m["state"] for m in members.values()} == {"STOPPED"}, members
