"""Task templates, an openvias extension: ``is_saved_as_template=true`` on CreateTask,
CreateBatchTask and UpdateBatchTask keeps the configuration; ``/v2/{project_id}/templates``
lists, shows and deletes them and creates batch tasks from them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.task_center import (
    ROI,
    SCHEDULE,
    SMOKE,
    WEBHOOK,
    TaskCenter,
    batch_body,
    batch_input,
    task_body,
    task_center,
)
from tests.api.video_center import unique
from tests.support import Server


@pytest.fixture
def tc(server: Server) -> Iterator[TaskCenter]:
    with task_center(server) as center:
        yield center


def _named(tc: TaskCenter, name: str) -> list[dict[str, Any]]:
    return [t for t in tc.templates() if t["name"] == name]


def test_create_task_can_keep_its_configuration_as_a_template(tc: TaskCenter) -> None:
    # given a task body asking for a template
    config = {"common": {"video_sampling_interval": 4, "render_roi_sw": 1}}
    body = task_body(
        tc.sources(2),
        config=config,
        schedule=SCHEDULE,
        description="kept",
        is_saved_as_template=True,
    )
    # when the tasks are created
    tc.create_ids(body)
    # then one template keeps the configuration (not the inputs)
    (template,) = _named(tc, body["name"])
    assert template == {
        "id": template["id"],
        "name": body["name"],
        "service_name": SMOKE,
        "service_version": "3.0",
        "created_at": template["created_at"],
        "description": "kept",
        "config": config,
        "output": WEBHOOK,
        "schedule": SCHEDULE,
    }
    assert tc.template(template["id"]) == template


def test_no_template_without_the_flag(tc: TaskCenter) -> None:
    # given / when a task and a batch task are created with the flag false or absent
    (source,) = tc.sources(1)
    task = task_body([source], is_saved_as_template=False)
    tc.create_ids(task)
    batch = batch_body([(tc.group([source]), [source])])
    tc.create_batch(batch)
    # then no template is kept for them
    assert _named(tc, task["name"]) == _named(tc, batch["name"]) == []


def test_batch_create_and_update_can_keep_templates(tc: TaskCenter) -> None:
    # given a batch task created with the flag
    s1, s2 = tc.sources(2)
    group = tc.group([s1, s2])
    body = batch_body([(group, [(s1, ROI)])], is_saved_as_template=True, description="v1")
    batch_id = tc.create_batch(body)["id"]
    (created,) = _named(tc, body["name"])
    assert (created["config"], created["description"]) == (body["config"], "v1")
    assert "schedule" not in created
    # when it is updated (partially) with the flag
    config = {"common": {"video_sampling_interval": 6}}
    tc.update_batch(batch_id, {"config": config, "is_saved_as_template": True})
    # then a second template keeps the configuration after the update
    kept = _named(tc, body["name"])
    assert len(kept) == 2
    newest = kept[0]
    assert (newest["config"], newest["description"], newest["output"]) == (config, "v1", WEBHOOK)
    # and the first is unchanged
    assert tc.template(created["id"]) == created


def test_batch_task_from_a_template(tc: TaskCenter) -> None:
    # given a template kept from a task with a schedule
    s1, s2 = tc.sources(2)
    group = tc.group([s1, s2])
    config = {"common": {"video_sampling_interval": 8}}
    origin = task_body([s1], config=config, schedule=SCHEDULE, is_saved_as_template=True)
    tc.create_ids(origin)
    (template,) = _named(tc, origin["name"])
    # when a batch task is created from it with only a name and an input
    name = unique("from-tpl")
    result = tc.batch_from_template(
        template["id"], {"name": name, "batch_input": batch_input([(group, [s1, (s2, ROI)])])}
    )
    # then it runs the template's configuration on every listed source
    assert (result["total_count"], result["succeed_count"], result["error_list"]) == (2, 2, [])
    members = tc.members(result["id"])
    assert set(members) == {s1, s2}
    assert members[s1]["config"] == config
    assert members[s2]["config"]["common"] == {**config["common"], "target_roi": ROI}
    assert all(m["schedule"] == SCHEDULE and m["name"] == name for m in members.values())
    # when another is created with overrides; then those win over the template
    override = {"common": {"video_sampling_interval": 1}}
    output = {"webhook": {"headers": {"h": "v"}, "url": "https://example.com/over"}}
    second = tc.batch_from_template(
        template["id"],
        {
            "name": unique("from-tpl"),
            "batch_input": batch_input([(group, [s2])]),
            "config": override,
            "output": output,
            "description": "overridden",
        },
    )
    (member,) = tc.members(second["id"]).values()
    assert (member["config"], member["output"]) == (override, output)
    assert (member["description"], member["schedule"]) == ("overridden", SCHEDULE)


def test_template_refusals_change_nothing(tc: TaskCenter) -> None:
    # given a template
    (s1,) = tc.sources(1)
    group = tc.group([s1])
    origin = task_body([s1], is_saved_as_template=True)
    tc.create_ids(origin)
    (template,) = _named(tc, origin["name"])
    # when a batch task from it carries an invalid config; then 400 and nothing is created
    name = unique("bad-tpl")
    request = {
        "name": name,
        "batch_input": batch_input([(group, [s1])]),
        "config": {"common": {"image_compression_ratio": 5}},
    }
    error = tc.batch_from_template(template["id"], request, expect=400)
    assert error["params"] == ["config.common.image_compression_ratio"]
    assert tc.list_batches(name_like=name)["batch_task_list"] == []
    # when the name is taken; then 409
    del request["config"]
    tc.batch_from_template(template["id"], request)
    assert tc.batch_from_template(template["id"], request, expect=409)["error_code"] == (
        "VIAS.00010011"
    )
    # when the template is deleted; then it is gone for show, delete and batch creation
    tc.delete_template(template["id"])
    tc.template(template["id"], expect=404)
    tc.delete_template(template["id"], expect=404)
    request["name"] = unique("gone-tpl")
    tc.batch_from_template(template["id"], request, expect=404)
    assert _named(tc, origin["name"]) == []
    # and a malformed id is refused
    tc.template("BAD ID!", expect=400)


def test_templates_list_pages(tc: TaskCenter) -> None:
    # given two templates, the second newer
    names = [unique("paged"), unique("paged")]
    for name in names:
        tc.create_ids(task_body(tc.sources(1), name=name, is_saved_as_template=True))
    path = "/templates"
    # when the list is read one template a page; then the newest comes first
    first = tc.call("x-ListTemplates", "GET", path, params={"page_size": 1, "page_num": 1})
    second = tc.call("x-ListTemplates", "GET", path, params={"page_size": 1, "page_num": 2})
    assert [t["name"] for t in first["templates"] + second["templates"]] == names[::-1]
    assert first["count"] == second["count"] >= 2
    tc.call("x-ListTemplates", "GET", path, 400, params={"page_size": 0})
