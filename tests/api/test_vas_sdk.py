"""Huawei's own ``huaweicloudsdkvas``, unchanged, against openvias: all seven VAS calls,
AK/SK-signed, over the same tasks as the VIAS Task Center."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkvas.v2 import (
    CreateTasksRequest,
    CreateTasksRequestBody,
    DeleteTaskRequest,
    ListTasksDetailsRequest,
    ShowTaskRequest,
    StartTaskRequest,
    StopTaskRequest,
    TaskInput,
    TaskInputData,
    TaskOutput,
    TaskOutputWebhook,
    TaskServiceConfig,
    TaskTiming,
    TaskTimingPeriods,
    UpdateTaskRequest,
    UpdateTaskRequestBody,
    VasClient,
)

from openvias.domain.clock import utcnow
from openvias.domain.schedules import WeeklySchedule
from tests.api.identity_support import assert_error
from tests.api.vas_support import (
    COMMON,
    HOOK,
    SMOKE,
    STREAM,
    WEEKLY,
    access_keys,
    assert_vas,
    vas_client,
)
from tests.support import Server


@pytest.fixture(scope="module")
def client(server: Server) -> VasClient:
    return vas_client(server, access_keys(server))


def sdk_body(name: str) -> CreateTasksRequestBody:
    return CreateTasksRequestBody(
        name=name,
        description="legacy client",
        service_version="3.0",
        input=TaskInput(type="url", data=[TaskInputData(url=STREAM)]),
        output=TaskOutput(webhook=TaskOutputWebhook(url=HOOK["url"], headers=HOOK["headers"])),
        service_config=TaskServiceConfig(common=dict(COMMON)),
        timing=TaskTiming(
            type="weekly",
            timezone="+08:00",
            days_of_week=[1, 2, 3],
            periods=[TaskTimingPeriods(begin_at="08:00:00", end_at="18:00:00")],
        ),
    )


def raw(response: Any) -> Any:
    return json.loads(response.raw_content) if response.raw_content else None


def vias_task(server: Server, task_id: str) -> dict[str, Any]:
    with server.client() as http:
        response = http.get(f"/v2/{server.project_id}/tasks/{task_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def create(client: VasClient, name: str) -> str:
    created = client.create_tasks(CreateTasksRequest(service_name=SMOKE, body=sdk_body(name)))
    assert created.status_code == 201
    assert_vas("CreateTasks", raw(created), 201)
    (item,) = created.body
    task_id: str = item.id
    return task_id


def test_the_sdk_drives_a_task_through_its_life(server: Server, client: VasClient) -> None:
    name = f"cam-{uuid.uuid4().hex[:8]}"
    since = int(time.time() * 1000) - 1
    # when the SDK creates a task (url input, webhook output, config and weekly timing)
    task_id = create(client, name)
    assert len(task_id) == 32
    # then ShowTask shows it as sent, PENDING, created by the key's user
    shown = client.show_task(ShowTaskRequest(service_name=SMOKE, task_id=task_id))
    assert_vas("ShowTask", raw(shown), 200)
    assert (shown.id, shown.name, shown.description) == (task_id, name, "legacy client")
    assert (shown.service_name, shown.service_version) == (SMOKE, "3.0")
    assert (shown.state, shown.creator, shown.project_id) == ("PENDING", "admin", server.project_id)
    assert shown.input.type == "url"
    assert shown.input.data[0].url == STREAM
    assert shown.output.webhook.url == HOOK["url"]
    assert shown.output.webhook.headers == HOOK["headers"]
    assert shown.service_config.common == COMMON
    assert raw(shown)["timing"] == WEEKLY
    assert shown.timing_status == "ACTIVATED"
    assert shown.service_title.en
    # and the VIAS Task Center shows the same task, its weekly timing as a VIAS schedule
    vias = vias_task(server, task_id)
    assert (vias["name"], vias["state"], vias["service_name"]) == (name, "PENDING", SMOKE)
    assert vias["input"] == {"type": "url", "data": [{"url": STREAM}]}
    assert vias["config"]["common"] == COMMON
    assert vias["schedule"]["periods"] == [WEEKLY["periods"]]
    assert vias["schedule"]["days_of_week"] == WEEKLY["days_of_week"]

    # when the SDK lists with every filter; then exactly this task is found
    listed = client.list_tasks_details(
        ListTasksDetailsRequest(
            service_name=SMOKE,
            service_version="3.0",
            state="PENDING",
            name_like=name,
            id_like=task_id[:12],
            created_since=since,
            created_until=int(time.time() * 1000) + 1,
            order="created_at:DESC",
            offset=0,
            limit=10,
        )
    )
    assert_vas("ListTasksDetails", raw(listed), 200)
    assert listed.count == 1
    assert [t.id for t in listed.tasks] == [task_id]
    assert listed.tasks[0].state == "PENDING"

    # when the SDK updates name and input; then the answer and both views show them
    updated = client.update_task(
        UpdateTaskRequest(
            service_name=SMOKE,
            task_id=task_id,
            body=UpdateTaskRequestBody(
                name=f"{name}b",
                input=TaskInput(type="url", data=[TaskInputData(url="rtsp://127.0.0.1/y")]),
            ),
        )
    )
    assert_vas("UpdateTask", raw(updated), 200)
    assert (updated.id, updated.name) == (task_id, f"{name}b")
    assert updated.input.data[0].url == "rtsp://127.0.0.1/y"
    assert updated.service_config.common == COMMON  # untouched fields stay
    assert raw(updated)["timing"] == WEEKLY
    assert vias_task(server, task_id)["name"] == f"{name}b"

    # when the SDK stops it; then 202 with no body, and it is STOPPED in both views
    stopped = client.stop_task(StopTaskRequest(service_name=SMOKE, task_id=task_id))
    assert (stopped.status_code, stopped.raw_content) == (202, b"")
    shown = client.show_task(ShowTaskRequest(service_name=SMOKE, task_id=task_id))
    assert shown.state == "STOPPED"
    assert vias_task(server, task_id)["state"] == "STOPPED"
    # when the SDK starts it; then it is STARTING (nothing analyses it yet) inside its
    # weekly window, and waits for the next one (shown PENDING) outside it
    started = client.start_task(StartTaskRequest(service_name=SMOKE, task_id=task_id))
    assert (started.status_code, started.raw_content) == (202, b"")
    schedule = WeeklySchedule.from_wire(vias_task(server, task_id)["schedule"])
    expected = "STARTING" if schedule.is_active(utcnow()) else "PENDING"
    deadline = time.monotonic() + 5
    while vias_task(server, task_id)["state"] != expected and time.monotonic() < deadline:
        time.sleep(0.05)  # the scheduler moves a task out of its window within a second
    assert client.show_task(ShowTaskRequest(service_name=SMOKE, task_id=task_id)).state == (
        expected
    )
    assert vias_task(server, task_id)["state"] == expected

    # when the SDK deletes it; then it is gone from both APIs
    deleted = client.delete_task(DeleteTaskRequest(service_name=SMOKE, task_id=task_id))
    assert (deleted.status_code, deleted.raw_content) == (202, b"")
    with pytest.raises(ClientRequestException) as caught:
        client.show_task(ShowTaskRequest(service_name=SMOKE, task_id=task_id))
    assert caught.value.status_code == 404
    assert caught.value.error_code == "VIAS.00010007"
    with server.client() as http:
        assert_error(http.get(f"/v2/{server.project_id}/tasks/{task_id}"), 404)


def test_the_sdk_lists_in_order_and_pages(server: Server, client: VasClient) -> None:
    prefix = f"ord{uuid.uuid4().hex[:6]}"
    ids = [create(client, f"{prefix}-{i}") for i in range(3)]

    def names(order: str, offset: int = 0, limit: int = 10) -> tuple[int, list[str]]:
        answer = client.list_tasks_details(
            ListTasksDetailsRequest(
                service_name=SMOKE, name_like=prefix, order=order, offset=offset, limit=limit
            )
        )
        return answer.count, [t.name for t in answer.tasks]

    expected = [f"{prefix}-{i}" for i in range(3)]
    assert names("name:ASC") == (3, expected)
    assert names("name:DESC") == (3, expected[::-1])
    assert names("created_at:ASC", offset=1, limit=1) == (3, [expected[1]])
    # an update moves a task to the front of updated_at:DESC
    client.stop_task(StopTaskRequest(service_name=SMOKE, task_id=ids[0]))
    assert names("updated_at:DESC")[1][0] == expected[0]
    # a task is only found under its own service
    other = client.list_tasks_details(
        ListTasksDetailsRequest(service_name="c-flowcount-cloud", name_like=prefix)
    )
    assert (other.count, other.tasks) == (0, [])
    for task_id in ids:
        client.delete_task(DeleteTaskRequest(service_name=SMOKE, task_id=task_id))


def test_sdk_errors_are_client_request_exceptions(client: VasClient) -> None:
    # an unknown task of a known service is 404, in the VIAS error format
    with pytest.raises(ClientRequestException) as caught:
        client.show_task(ShowTaskRequest(service_name=SMOKE, task_id=uuid.uuid4().hex))
    assert (caught.value.status_code, caught.value.error_code) == (404, "VIAS.00010007")
    # an invalid body is 400 and names the field
    body = sdk_body("bad name!")
    with pytest.raises(ClientRequestException) as caught:
        client.create_tasks(CreateTasksRequest(service_name=SMOKE, body=body))
    assert (caught.value.status_code, caught.value.error_code) == (400, "VIAS.00010001")
    assert "name" in caught.value.error_msg
