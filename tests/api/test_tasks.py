"""Single tasks over HTTP: CreateTask, ShowTaskInfo, StartStopTask, UpdateTask, DeleteTask,
ListTasks. Every 200 body is checked against its operation's schema (tests/api/task_center.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from openvias.domain.algorithm_catalogue import find_service
from tests.api.identity_support import create_tenant
from tests.api.task_center import (
    HEX32,
    SCHEDULE,
    SMOKE,
    WEBHOOK,
    TaskCenter,
    batch_body,
    task_body,
    task_center,
)
from tests.api.video_center import source_body, unique
from tests.support import Server


@pytest.fixture
def tc(server: Server) -> Iterator[TaskCenter]:
    with task_center(server) as center:
        yield center


def test_create_task_with_n_inputs_creates_n_pending_tasks(tc: TaskCenter) -> None:
    # given three video sources
    sources = tc.sources(3)
    config = {"common": {"video_sampling_interval": 5, "image_compression_ratio": 20}}
    # when one CreateTask lists all three
    body = task_body(sources, config=config, schedule=SCHEDULE, description="hello world!")
    ids = tc.create_ids(body)
    # then there are three tasks with 32-hex ids, each PENDING on its own source
    assert len(ids) == len(set(ids)) == 3
    assert all(HEX32.fullmatch(i) for i in ids)
    shown = [tc.show(i) for i in ids]
    assert [t["input"]["data"] for t in shown] == [[{"video_source_id": s}] for s in sources]
    for task in shown:
        assert task["state"] == "PENDING"
        assert (task["name"], task["description"]) == (body["name"], "hello world!")
        assert task["config"] == config
        assert task["output"] == WEBHOOK
        assert task["schedule"] == SCHEDULE
        assert task["schedule_status"] == "ACTIVATED"
        assert task["service_name"] == SMOKE
        assert task["project_id"] == tc.server.project_id
        assert "resource_order_id" not in task
        assert "error" not in task


def test_a_gmt_offset_is_kept_as_the_definitions_offset(tc: TaskCenter) -> None:
    # given a schedule whose timezone is written GMT+08:00
    schedule = {**SCHEDULE, "timezone": "GMT+08:00"}
    # when a task is created with it; then ShowTaskInfo answers +08:00 (the definitions' form)
    (tid,) = tc.create_ids(task_body(tc.sources(1), schedule=schedule))
    assert tc.show(tid)["schedule"] == SCHEDULE


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("video_sampling_interval", 0),
        ("video_sampling_interval", 11),
        ("fire_detection_sw", 2),
        ("smoke_detection_sw", -1),
        ("render_roi_sw", "1"),
        ("image_compression_ratio", 19),
        ("image_compression_ratio", 101),
        ("target_roi", '{"polygons":[{"data":[[0,0]]}]}'),
    ],
)
def test_create_task_refuses_an_invalid_config_value(tc: TaskCenter, key: str, value: Any) -> None:
    # given a body whose config.common has one value out of the algorithm's range
    body = task_body(tc.sources(1), config={"common": {key: value}})
    # when it is sent; then 400 names the dotted field, and no task is created
    error = tc.create(body, expect=400)
    assert error["params"] == [f"config.common.{key}"]
    assert tc.list_tasks(task_name=body["name"])["tasks"] == []


def test_create_task_refuses_an_unknown_source_and_changes_nothing(tc: TaskCenter) -> None:
    # given one real and one unknown source
    body = task_body([*tc.sources(1), "no-such-source-0000"])
    # when the task is created; then 400 names input.data.video_source_id and nothing exists
    error = tc.create(body, expect=400)
    assert error["params"] == ["input.data.video_source_id"]
    assert "no-such-source-0000" in error["error_msg"]
    assert tc.list_tasks(task_name=body["name"])["tasks"] == []


def test_create_task_refuses_a_source_of_another_project(tc: TaskCenter, server: Server) -> None:
    # given a source of another tenant's project
    other = create_tenant(server)
    with server.client(other.token) as client:
        created = client.post(f"/v2/{other.project_id}/source", json=source_body())
        assert created.status_code == 200, created.text
    foreign = created.json()["video_source_id"]
    # when this project creates a task on it; then 400, as if it did not exist
    body = task_body([foreign])
    assert tc.create(body, expect=400)["params"] == ["input.data.video_source_id"]
    assert tc.list_tasks(task_name=body["name"])["tasks"] == []


def test_create_task_refuses_an_unknown_service(tc: TaskCenter) -> None:
    # given / when a task names a service that does not exist; then 400 on service_name
    error = tc.create(task_body(tc.sources(1)), service="no-such-service", expect=400)
    assert error["params"] == ["service_name"]


def test_start_and_stop_move_the_state_and_repeat_harmlessly(tc: TaskCenter) -> None:
    # given a created task (PENDING)
    (tid,) = tc.create_ids(task_body(tc.sources(1)))
    assert tc.state(tid) == "PENDING"
    # when it is started again; then nothing changes (it is already queued to run)
    assert tc.action(tid, "start")["id"] == tid
    assert tc.state(tid) == "PENDING"
    # when it is stopped twice; then it is STOPPED both times
    tc.action(tid, "stop")
    assert tc.state(tid) == "STOPPED"
    tc.action(tid, "stop")
    assert tc.state(tid) == "STOPPED"
    # when it is started twice; then it is STARTING (nothing analyses it yet), upper case
    tc.action(tid, "start")
    tc.action(tid, "start")
    assert tc.state(tid) == "STARTING"
    assert (
        tc.list_tasks(task_state="STARTING", task_name=tc.show(tid)["name"])["tasks"][0]["id"]
        == tid
    )
    # and an unknown command is refused
    tc.action(tid, "pause", expect=400)


def test_delete_of_a_running_task_stops_and_removes_it(tc: TaskCenter) -> None:
    # given a started task
    (tid,) = tc.create_ids(task_body(tc.sources(1)))
    tc.action(tid, "stop")
    tc.action(tid, "start")
    # when it is deleted; then it is gone everywhere
    assert tc.delete(tid)["id"] == tid
    tc.show(tid, expect=404)
    tc.action(tid, "start", expect=404)
    tc.delete(tid, expect=404)
    assert tid not in tc.ids()


def test_update_task_replaces_its_configuration(tc: TaskCenter) -> None:
    # given a task
    first, second = tc.sources(2)
    (tid,) = tc.create_ids(task_body([first], description="before"))
    # when it is updated with a new name, source, output and config
    new_name = unique("renamed")
    output = {"webhook": {"headers": {"k": "v"}, "url": "https://example.com/hook"}}
    body = task_body(
        [second], name=new_name, output=output, config={"common": {"smoke_detection_sw": 0}}
    )
    del body["service_version"]
    assert tc.update(tid, {**body, "manufacturer": "VIAS", "priority": "low"})["id"] == tid
    # then ShowTaskInfo shows the new values; absent description stays
    shown = tc.show(tid)
    assert (shown["name"], shown["description"]) == (new_name, "before")
    assert shown["input"]["data"] == [{"video_source_id": second}]
    assert shown["output"] == output
    assert shown["config"] == {"common": {"smoke_detection_sw": 0}}
    # and an explicit empty description clears it
    tc.update(tid, {**body, "description": ""})
    assert tc.show(tid)["description"] == ""


def test_update_task_refusals(tc: TaskCenter) -> None:
    # given a task and a batch member task
    (source,) = tc.sources(1)
    (tid,) = tc.create_ids(task_body([source]))
    batch = tc.create_batch(batch_body([(tc.group([source]), [source])]))
    (member,) = tc.ids(batch_id=batch["id"])
    url_input = {"type": "url", "data": [{"url": "rtsp://10.0.0.1/live", "index": 0}]}
    # when / then a video_source task cannot switch to another input type
    error = tc.update(tid, task_body([source], input=url_input), expect=400)
    assert error["params"] == ["input.type"]
    # when / then an update takes exactly one input
    tc.update(tid, task_body([source, source]), expect=400)
    # when / then an invalid config is refused and the task keeps its own
    tc.update(tid, task_body([source], config={"common": {"fire_detection_sw": 5}}), expect=400)
    assert tc.show(tid)["config"] == {"common": {"fire_detection_sw": 1}}
    # when / then a member of a batch task is updated through its batch task
    assert batch["id"] in tc.update(member, task_body([source]), expect=409)["error_msg"]


def test_list_tasks_filters_pages_and_sorts(tc: TaskCenter) -> None:
    # given two named cameras in two groups, and tasks on them
    cam_a = tc.vc.create_source(video_source_name=unique("camA"))
    cam_b = tc.vc.create_source(video_source_name=unique("camB"))
    group_a, group_b = tc.group([cam_a]), tc.group([cam_b])
    name = unique("listed")
    # (one call each, so that creation times, the sort key, differ)
    ids = [tc.create_ids(task_body([cam], name=name))[0] for cam in (cam_a, cam_a, cam_b)]
    tc.action(ids[2], "stop")
    batch = tc.create_batch(batch_body([(group_b, [cam_b])], name=unique("lb")))
    smoke = find_service(SMOKE)
    assert smoke is not None

    def listed(**params: Any) -> list[str]:
        return [t["id"] for t in tc.list_tasks(page_size=1000, **params)["tasks"]]

    # when / then each filter narrows the list
    assert listed(task_name=name) == list(reversed(ids))  # newest first by default
    assert listed(task_name=name, sort_dir="asc") == ids
    assert listed(task_name=name, task_state="STOPPED") == [ids[2]]
    assert listed(task_name=name, task_state="PENDING", sort_dir="asc") == ids[:2]
    assert set(listed(camera_name=tc.vc.show_source(cam_b)["video_source_name"])) == {
        ids[2],
        *tc.ids(batch_id=batch["id"]),
    }
    assert listed(task_name=name, video_group_id=group_a) == ids[1::-1]
    assert listed(task_name=name, video_group_id=f"{group_a},{group_b}") == ids[::-1]
    assert len(listed(batch_id=batch["id"])) == 1
    assert listed(task_name=name, alg_id=smoke.alg_id) == ids[::-1]
    assert listed(task_name=name, title=smoke.title_zh) == ids[::-1]
    assert listed(task_name=name, title="no-such-title") == []
    assert listed(task_name=name, company="VIAS") == ids[::-1]
    assert listed(task_name=name, company="other,openvias") == ids[::-1]
    assert listed(task_name=name, company="other") == []
    # and paging reports the page, its size and its count
    page = tc.list_tasks(task_name=name, page=2, page_size=5)
    assert (page["count"], page["page"], page["page_size"], page["tasks"]) == (0, 2, 5, [])
    first = tc.list_tasks(task_name=name, page=1, page_size=5)
    assert first["count"] == 3
    assert first["tasks"][0]["state"] in ("PENDING", "STOPPED")
    item = first["tasks"][0]
    assert (item["service_id"], item["type"], item["title"]) == (
        smoke.service_id,
        "0",
        smoke.title_zh,
    )
    assert item["created_at"].isdigit()


@pytest.mark.parametrize(
    "params",
    [
        {"page_size": 4},
        {"page_size": 1001},
        {"task_state": "running"},
        {"sort_dir": "up"},
        {"batch_id": "NOT-VALID"},
        {"alg_id": "not-a-uuid"},
        {"page": 0},
    ],
    ids=lambda p: "-".join(f"{k}={v}" for k, v in p.items()),
)
def test_list_tasks_refuses_invalid_parameters(tc: TaskCenter, params: dict[str, Any]) -> None:
    # given / when ListTasks gets an invalid parameter; then 400 names it
    error = tc.list_tasks(expect=400, **params)
    assert error["params"] == [next(iter(params))]
