"""The per-stream health endpoints (openvias extension) of a server without engine slots:
ShowTaskStream answers a task's state without rates when it does not stream, 404 for an
unknown task or another project's; ListStreams pages the tasks that want streaming."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests import spec
from tests.api.identity_support import create_tenant
from tests.api.task_center import TaskCenter, task_body, task_center
from tests.support import Server

RATES = ("decoded_per_second", "analysed_per_second", "lag_seconds", "connection_quality")


@pytest.fixture
def tc(server: Server) -> Iterator[TaskCenter]:
    with task_center(server) as center:
        yield center


def stream_of(tc: TaskCenter, task_id: str, expect: int = 200) -> Any:
    answer = tc.client.get(f"{tc.base}/tasks/{task_id}/stream")
    assert answer.status_code == expect, answer.text
    body = answer.json()
    if expect != 200:
        spec.assert_error(body)
    return body


def streams(tc: TaskCenter, **params: int) -> Any:
    answer = tc.client.get(f"{tc.base}/streams", params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_task_that_does_not_stream_answers_its_state_without_rates(tc: TaskCenter) -> None:
    (task_id,) = tc.create_ids(task_body(tc.sources(1), name="health-one"))
    waiting = stream_of(tc, task_id)
    assert waiting["task_id"] == task_id
    assert waiting["task_name"] == "health-one"
    assert waiting["state"] == "PENDING"
    assert waiting["stale"] is False
    tc.action(task_id, "stop")
    stopped = stream_of(tc, task_id)
    assert (stopped["state"], stopped["stale"], stopped["node"]) == ("STOPPED", False, None)
    assert all(stopped[field] is None for field in RATES)
    assert stopped["service_name"] == tc.show(task_id)["service_name"]


def test_an_unknown_task_or_another_projects_is_not_found(tc: TaskCenter, server: Server) -> None:
    assert stream_of(tc, "0" * 32, expect=404)["error_code"] == "VIAS.00010007"
    other = create_tenant(server)
    with task_center(server, token=other.token, project_id=other.project_id) as theirs:
        (foreign,) = theirs.create_ids(task_body(theirs.sources(1)))
        assert stream_of(theirs, foreign)["task_id"] == foreign
    assert stream_of(tc, foreign, expect=404)["error_code"] == "VIAS.00010007"
    assert stream_of(tc, "bad id!", expect=400)["error_code"].startswith("VIAS.")


def test_the_stream_list_pages_the_tasks_that_want_streaming(tc: TaskCenter) -> None:
    created = tc.create_ids(task_body(tc.sources(3)))
    before = streams(tc, limit=1000)
    listed = [item["task_id"] for item in before["streams"]]
    assert set(created) <= set(listed)
    assert before["total"] == len(listed)
    first, second = streams(tc, offset=0, limit=2), streams(tc, offset=2, limit=2)
    assert first["count"] == 2
    assert first["total"] == before["total"]
    paged = [i["task_id"] for page in (first, second) for i in page["streams"]]
    assert paged == listed[:4]
    tc.action(created[0], "stop")
    after = streams(tc, limit=1000)
    assert created[0] not in [item["task_id"] for item in after["streams"]]
    assert after["total"] == before["total"] - 1
    bad = tc.client.get(f"{tc.base}/streams", params={"limit": 0})
    assert bad.status_code == 400
    assert bad.json()["error_code"].startswith("VIAS.")
    anonymous = httpx.get(f"{tc.server.base_url}{tc.base}/streams")
    assert anonymous.status_code == 401
