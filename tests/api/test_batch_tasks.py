"""Batch tasks over HTTP: CreateBatchTask (one task per group x source), UpdateBatchTask
(partial; the seed example of the project), BatchStartStopTask, DeleteBatchTask, and the
refusal to delete a group or source that a batch task uses. Every 200 body is checked
against its operation's schema in Huawei's definitions (tests/api/task_center.py)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
from typer.testing import CliRunner

from openvias.cli import orders
from tests import spec
from tests.api.identity_support import create_tenant
from tests.api.task_center import (
    HEX32,
    ROI,
    SCHEDULE,
    SMOKE,
    WEBHOOK,
    TaskCenter,
    batch_body,
    batch_input,
    task_center,
)
from tests.api.video_center import unique
from tests.support import Server


@pytest.fixture
def tc(server: Server) -> Iterator[TaskCenter]:
    with task_center(server) as center:
        yield center


def test_create_materialises_one_task_per_group_and_source(tc: TaskCenter) -> None:
    # given a group of three sources and a group of one
    s1, s2, s3, s4 = tc.sources(4)
    g1, g2 = tc.group([s1, s2, s3]), tc.group([s4])
    # when a batch task lists two sources of the first (one with an ROI) and all of the second
    body = batch_body([(g1, [(s1, ROI), s2]), (g2, [])], schedule=SCHEDULE)
    result = tc.create_batch(body)
    # then it has one PENDING member task per listed source
    assert HEX32.fullmatch(result["id"])
    assert result == {
        "id": result["id"],
        "total_count": 3,
        "succeed_count": 3,
        "failed_count": 0,
        "error_list": [],
    }
    members = tc.members(result["id"])
    assert set(members) == {s1, s2, s4}
    # and each carries its own ROI and the batch's configuration
    assert members[s1]["config"]["common"] == {**body["config"]["common"], "target_roi": ROI}
    assert members[s2]["config"] == members[s4]["config"] == body["config"]
    for task in members.values():
        assert (task["state"], task["name"]) == ("PENDING", body["name"])
        assert (task["output"], task["schedule"]) == (WEBHOOK, SCHEDULE)
    groups = [tc.vc.show_group(g)["video_group_name"] for g in (g1, g2)]
    item = tc.batch_item(result["id"], body["name"])
    # (waiting: PENDING until the scheduler's next tick moves the members of a batch created
    # outside its window to SCHEDULING)
    status_info = item["batch_task_status_info"]
    assert item["num_task"] == 3
    assert set(status_info) <= {"pending", "scheduling"}
    assert sum(status_info.values()) == 3
    assert item["video_group_name"] == ",".join(groups)
    assert tc.vc.show_group(g1)["num_batch_task"] == 1


def test_create_fails_only_the_items_it_cannot_resolve(tc: TaskCenter, server: Server) -> None:
    # given a group with s1, a source s2 outside it, and another tenant's group and source
    s1, s2 = tc.sources(2)
    g1 = tc.group([s1])
    other = create_tenant(server)
    with task_center(server, token=other.token, project_id=other.project_id) as theirs:
        foreign_source = theirs.vc.create_source()
        foreign_group = theirs.group([foreign_source])
    # when a batch task lists them all, and s1 twice
    listed = [s1, s2, "no-such-source-1", foreign_source, s1]
    groups = [(g1, listed), ("no-such-group-1", [s2]), (foreign_group, [])]
    result = tc.create_batch(batch_body(groups))
    # then s1 succeeds and every other item fails on its own, naming what failed
    assert (result["total_count"], result["succeed_count"], result["failed_count"]) == (7, 1, 6)
    errors = result["error_list"]
    for needle in (s2, "no-such-source-1", foreign_source, "no-such-group-1", foreign_group):
        assert any(needle in e for e in errors), (needle, errors)
    assert any(s1 in e and "more than once" in e for e in errors)
    assert list(tc.members(result["id"])) == [s1]


def test_an_input_that_yields_no_task_is_refused_and_stores_nothing(tc: TaskCenter) -> None:
    # given a group with s1, a source s2 outside it, and a group without sources
    s1, s2 = tc.sources(2)
    g1, empty = tc.group([s1]), tc.vc.create_group()
    # when every item of a batch task's input fails
    body = batch_body([(g1, [s2, "no-such-source-1"]), ("no-such-group-1", [s1])])
    error = tc.create_batch(body, expect=400)
    # then the request fails whole, naming the input and why each item failed
    assert (error["error_code"], error["params"]) == ("VIAS.00010001", ["batch_input"])
    for needle in (s2, "no-such-source-1", "no-such-group-1"):
        assert needle in error["error_msg"], (needle, error)
    # and no batch task, member task or group link is left behind
    assert tc.list_batches(name_like=body["name"])["batch_task_list"] == []
    assert tc.list_tasks(task_name=body["name"])["tasks"] == []
    assert tc.vc.show_group(g1)["num_batch_task"] == 0
    # when the input names only a group without sources; then the same
    only_empty = {**body, "batch_input": batch_input([(empty, [])])}
    assert tc.create_batch(only_empty, expect=400)["params"] == ["batch_input"]
    assert tc.list_batches(name_like=body["name"])["batch_task_list"] == []
    # when one item succeeds; then the batch task is kept with it (the name was never taken)
    result = tc.create_batch({**body, "batch_input": batch_input([(g1, [s1, s2])])})
    assert (result["succeed_count"], result["failed_count"]) == (1, 1)
    # when an update's input yields no task; then it is refused and the member stays
    failing = {"batch_input": batch_input([(g1, [s2])])}
    assert tc.update_batch(result["id"], failing, expect=400)["params"] == ["batch_input"]
    assert list(tc.members(result["id"])) == [s1]


INVALID_BODIES: dict[str, tuple[str, Any, str]] = {
    "roi-not-json": ("roi", "not json", "video_source_list.target_roi"),
    "roi-two-points": ("roi", '{"polygons":[{"data":[[0,0],[1,1]]}]}', "target_roi"),
    "roi-too-long": ("roi", "x" * 2049, "target_roi"),
    "config-range": ("config", {"common": {"video_sampling_interval": 11}}, "sampling"),
    "config-switch": ("config", {"common": {"fire_detection_sw": 2}}, "fire_detection_sw"),
    "group-pattern": ("batch_input", batch_input([("BAD ID!", [])]), "video_source_group_id"),
    "no-groups": ("batch_input", {"video_source_group": []}, "video_source_group"),
    "output-empty": ("output", {}, "output"),
    "schedule-monthly": ("schedule", {**SCHEDULE, "type": "monthly"}, "schedule"),
    "order-pattern": ("resource_order_id", "BAD ORDER", "resource_order_id"),
}


@pytest.mark.parametrize("case", list(INVALID_BODIES), ids=str)
def test_an_invalid_body_fails_whole_and_changes_nothing(tc: TaskCenter, case: str) -> None:
    # given an existing batch task and one invalid piece of a body
    field, value, param = INVALID_BODIES[case]
    s1, s2 = tc.sources(2)
    group = tc.group([s1, s2])
    existing = batch_body([(group, [s1])])
    batch_id = tc.create_batch(existing)["id"]
    before = tc.members(batch_id)
    if field == "roi":
        field, value = "batch_input", batch_input([(group, [s1, (s2, value)])])
    # when a batch task is created with it; then 400 naming the field, and nothing is created
    body = batch_body([(group, [s1, s2])], **{field: value})
    assert param in tc.create_batch(body, expect=400)["params"][0]
    assert tc.list_batches(name_like=body["name"])["batch_task_list"] == []
    assert tc.list_tasks(task_name=body["name"])["tasks"] == []
    # when an update carries it; then 400, and the batch task is as it was
    update = {"name": unique("renamed"), "batch_input": batch_input([(group, [s2])]), field: value}
    assert param in tc.update_batch(batch_id, update, expect=400)["params"][0]
    assert tc.members(batch_id) == before


def create_order(server: Server, project_id: str) -> str:
    """A resource order of ``project_id`` for the smoke and fire service (admin CLI)."""
    result = CliRunner().invoke(
        orders.app,
        ["create-order", "--project", project_id, "--service", SMOKE, "--max-tasks", "5"],
        env=server.env,
    )
    assert result.exit_code == 0, (result.output, result.stderr)
    return str(json.loads(result.stdout)["id"])


def test_the_seed_example_updates_exactly_its_fields(server: Server) -> None:
    # given (in a project of its own, since the seed's names are fixed) a batch task made
    # from Huawei's CreateBatchTask example, plus a schedule and a resource order
    tenant = create_tenant(server)
    order_id = create_order(server, tenant.project_id)
    with task_center(server, token=tenant.token, project_id=tenant.project_id) as tc:
        s1, s2 = tc.sources(2)
        g1, g2 = tc.group([s1]), tc.group([s2])
        created = copy.deepcopy(spec.operation("CreateBatchTask")[2]["x-request-examples-1"])
        created.update(
            batch_input=batch_input([(g1, [s1])]),
            schedule=SCHEDULE,
            resource_order_id=order_id,
            description="before",
        )
        batch_id = tc.create_batch(created)["id"]
        before = tc.batch_item(batch_id, created["name"])
        (old,) = tc.members(batch_id).values()
        templates = tc.templates()
        # when the seed body is applied, its placeholder ids replaced by a real group+source
        seed = copy.deepcopy(spec.operation("UpdateBatchTask")[2]["x-request-examples-1"])
        assert {"manufacturer", "priority", "service_name", "service_version"} <= set(seed)
        seed["batch_input"] = batch_input([(g2, [s2])])
        result = tc.update_batch(batch_id, seed)
        # then it succeeds for its one source
        assert result == {
            "id": batch_id,
            "total_count": 1,
            "succeed_count": 1,
            "failed_count": 0,
            "error_list": [],
        }
        # and the named fields changed: name, description, config, output, batch_input
        after = tc.batch_item(batch_id, seed["name"])
        (task,) = tc.members(batch_id).values()
        assert after["batch_task_name"] == task["name"] == "wdwdxx"
        assert task["description"] == ""
        assert (task["config"], task["output"]) == (seed["config"], seed["output"])
        assert task["input"]["data"] == [{"video_source_id": s2}]
        assert after["video_group_name"] == tc.vc.show_group(g2)["video_group_name"]
        tc.show(old["id"], expect=404)
        # and nothing else did: schedule, order, creation time, service; no template kept
        assert task["schedule"] == old["schedule"] == SCHEDULE
        assert task["resource_order_id"] == old["resource_order_id"] == order_id
        assert after["created_at"] == before["created_at"]
        assert after["service_name"] == task["service_name"] == old["service_name"] == SMOKE
        assert task["service_version"] == old["service_version"] == "1.0"
        assert tc.templates() == templates


def test_update_is_partial_and_reaches_every_member(tc: TaskCenter) -> None:
    # given a running batch task over s1 (with an ROI) and s2
    s1, s2, s3 = tc.sources(3)
    group = tc.group([s1, s2, s3])
    body = batch_body([(group, [(s1, ROI), s2])])
    batch_id = tc.create_batch(body)["id"]
    ids = {sid: t["id"] for sid, t in tc.members(batch_id).items()}
    # when only the schedule changes; then every member shows it and all else stays
    result = tc.update_batch(batch_id, {"schedule": SCHEDULE})
    assert (result["total_count"], result["succeed_count"]) == (2, 2)
    members = tc.members(batch_id)
    assert all(t["schedule"] == SCHEDULE and t["name"] == body["name"] for t in members.values())
    assert members[s2]["config"] == body["config"]
    # when config and output change; then every member shows them, keeping its own ROI
    config = {"common": {"video_sampling_interval": 3}}
    output = {"webhook": {"headers": {"x": "y"}, "url": "https://example.com/alarms"}}
    tc.update_batch(batch_id, {"config": config, "output": output})
    members = tc.members(batch_id)
    assert members[s1]["config"] == {"common": {"video_sampling_interval": 3, "target_roi": ROI}}
    assert members[s2]["config"] == config
    assert all(t["output"] == output and t["schedule"] == SCHEDULE for t in members.values())
    # when the sources change (s1 removed, s2 gets an ROI, s3 added) while it is stopped
    tc.batch_action(batch_id, "stop")
    result = tc.update_batch(batch_id, {"batch_input": batch_input([(group, [(s2, ROI), s3])])})
    assert (result["total_count"], result["succeed_count"], result["failed_count"]) == (2, 2, 0)
    # then s1's task is gone, s2 keeps its task with the new ROI, s3 has a stopped task
    members = tc.members(batch_id)
    assert set(members) == {s2, s3}
    tc.show(ids[s1], expect=404)
    assert members[s2]["id"] == ids[s2]
    assert members[s2]["config"]["common"]["target_roi"] == ROI
    assert members[s3]["state"] == "STOPPED"
    assert members[s3]["config"] == config


def test_update_refusals(tc: TaskCenter) -> None:
    # given two batch tasks
    (s1,) = tc.sources(1)
    group = tc.group([s1])
    first, second = batch_body([(group, [s1])]), batch_body([(group, [])])
    first_id = tc.create_batch(first)["id"]
    tc.create_batch(second)
    # when / then a name another batch task has is refused with VIAS.00010011
    error = tc.update_batch(first_id, {"name": second["name"]}, expect=409)
    assert error["error_code"] == "VIAS.00010011"
    # when / then an unknown batch task is 404, a malformed id 400
    tc.update_batch("0" * 32, {"name": unique("x")}, expect=404)
    tc.update_batch("BAD ID", {"name": unique("x")}, expect=400)
    tc.batch_action("0" * 32, "start", expect=404)
    tc.delete_batch("0" * 32, expect=404)


def test_start_stop_and_delete_report_counts(tc: TaskCenter) -> None:
    # given a batch task of three members, one of them stopped on its own
    s1, s2, s3 = tc.sources(3)
    body = batch_body([(tc.group([s1, s2, s3]), [])])
    batch_id = tc.create_batch(body)["id"]
    members = tc.members(batch_id)
    tc.action(members[s1]["id"], "stop")
    assert tc.batch_item(batch_id, body["name"])["batch_task_status_info"] == {
        "pending": 2,
        "stopped": 1,
    }
    # when the batch task is stopped, twice; then every member is stopped
    for _ in range(2):
        result = tc.batch_action(batch_id, "stop")
        assert (result["total_count"], result["succeed_count"], result["failed_count"]) == (3, 3, 0)
    assert tc.batch_item(batch_id, body["name"])["batch_task_status_info"] == {"stopped": 3}
    # when it is started, twice; then every member is starting
    for _ in range(2):
        assert tc.batch_action(batch_id, "start")["succeed_count"] == 3
    assert tc.batch_item(batch_id, body["name"])["batch_task_status_info"] == {"starting": 3}
    assert {tc.state(t["id"]) for t in members.values()} == {"STARTING"}
    # when it is deleted; then its members are gone with it
    result = tc.delete_batch(batch_id)
    assert (result["id"], result["total_count"], result["succeed_count"]) == (batch_id, 3, 3)
    assert tc.ids(batch_id=batch_id) == []
    tc.show(members[s2]["id"], expect=404)
    tc.delete_batch(batch_id, expect=404)


def test_a_group_or_source_in_use_cannot_be_deleted(tc: TaskCenter) -> None:
    # given a batch task over a group and its source
    (s1,) = tc.sources(1)
    group = tc.group([s1])
    batch_id = tc.create_batch(batch_body([(group, [s1])]))["id"]
    # when the group, then the source, is deleted; then 409 "in use", and both still exist
    group_error = tc.vc.fail("DeleteVideoGroup", "DELETE", f"/video-group/{group}", 409)
    source_error = tc.vc.fail("DeleteVideoSource", "DELETE", f"/source/{s1}", 409)
    assert group_error["error_code"] == source_error["error_code"] == "VIAS.00010051"
    assert "batch task" in group_error["error_msg"], group_error
    assert "task" in source_error["error_msg"], source_error
    tc.vc.show_group(group)
    tc.vc.show_source(s1)
    # and once the batch task is deleted, so can they be
    tc.delete_batch(batch_id)
    tc.vc.delete_group(group)
    tc.vc.delete_source(s1)


def test_create_refuses_an_unknown_or_stopped_service(tc: TaskCenter) -> None:
    # given a group
    (s1,) = tc.sources(1)
    group = tc.group([s1])
    # when / then an unknown service or version is refused, naming it
    body = batch_body([(group, [s1])], service_name="no-such-service")
    assert tc.create_batch(body, expect=400)["params"] == ["service_name"]
    body = batch_body([(group, [s1])], service_version="9.9")
    assert tc.create_batch(body, expect=400)["params"] == ["service_version"]
    # and a duplicate name is refused with VIAS.00010011
    body = batch_body([(group, [s1])])
    tc.create_batch(body)
    assert tc.create_batch(body, expect=409)["error_code"] == "VIAS.00010011"
