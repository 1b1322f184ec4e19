"""Busy tasks (STOPPING, DELETING, UPGRADING, FREEZING, FROZEN: states only the engine sets)
refuse every command with 409 VIAS.00010004; a batch task reports its busy members as
failed items of a start or stop, and cannot be deleted while it has any."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from tests.api.task_center import TaskCenter, batch_body, task_body, task_center
from tests.api.video_center import _execute
from tests.support import Server

BUSY_CODE = "VIAS.00010004"


@pytest.fixture
def tc(server: Server) -> Iterator[TaskCenter]:
    with task_center(server) as center:
        yield center


def set_state(server: Server, task_id: str, state: str) -> None:
    """Set a task's state the way the engine does: straight in the database."""
    statement = "UPDATE tasks SET state = :state WHERE id = :id"
    url = server.env["OPENVIAS_DATABASE_URL"]
    asyncio.run(_execute(url, statement, {"state": state, "id": task_id}))


@pytest.mark.parametrize("state", ["STOPPING", "DELETING", "UPGRADING", "FREEZING", "FROZEN"])
def test_a_busy_task_refuses_every_command(tc: TaskCenter, server: Server, state: str) -> None:
    # given a task the engine holds in a busy state
    (tid,) = tc.create_ids(task_body(tc.sources(1)))
    set_state(server, tid, state)
    # when it is started, stopped or deleted; then 409 VIAS.00010004 and it stays as it is
    for command in ("start", "stop"):
        assert tc.action(tid, command, expect=409)["error_code"] == BUSY_CODE
    assert tc.delete(tid, expect=409)["error_code"] == BUSY_CODE
    assert tc.state(tid) == state


def test_a_batch_task_with_busy_members(tc: TaskCenter, server: Server) -> None:
    # given a batch task of three members, one of them STOPPING
    s1, s2, s3 = tc.sources(3)
    body = batch_body([(tc.group([s1, s2, s3]), [])])
    batch_id = tc.create_batch(body)["id"]
    members = tc.members(batch_id)
    set_state(server, members[s1]["id"], "STOPPING")
    # when it is stopped; then the busy member fails on its own, the others stop
    result = tc.batch_action(batch_id, "stop")
    assert (result["total_count"], result["succeed_count"], result["failed_count"]) == (3, 2, 1)
    assert "STOPPING" in result["error_list"][0]
    counts = tc.batch_item(batch_id, body["name"])["batch_task_status_info"]
    assert counts == {"stopping": 1, "stopped": 2}
    # when it is deleted; then 409 VIAS.00010004 naming the state, and nothing is deleted
    error = tc.delete_batch(batch_id, expect=409)
    assert error["error_code"] == BUSY_CODE
    assert "STOPPING" in error["error_msg"]
    assert set(tc.members(batch_id)) == {s1, s2, s3}
    # when the engine is done stopping; then it can be deleted
    set_state(server, members[s1]["id"], "STOPPED")
    assert tc.delete_batch(batch_id)["succeed_count"] == 3
