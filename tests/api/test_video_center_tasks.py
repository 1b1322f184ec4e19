"""The Video Center as the Task Center uses it: batch-task counts of groups (``num_batch_task``,
``has_task``, ``sort_name=num_task``), task counts of sources (``num_tasks``), and sources or
groups in use that may not be deleted."""

from __future__ import annotations

from tests.api.task_center import batch_body, task_body, task_center
from tests.api.video_center import VideoCenter, unique
from tests.support import Server


def _in_use(vc: VideoCenter, operation: str, path: str, param: str) -> None:
    answer = vc.fail(operation, "DELETE", path, 409)
    assert (answer["error_code"], answer["params"]) == ("VIAS.00010051", [param]), answer


def test_groups_and_sources_used_by_tasks(server: Server) -> None:
    with task_center(server) as tc:
        vc = tc.vc
        marker = unique("t")[:12]
        a, b = (vc.create_source(video_source_name=f"{marker}-{n}") for n in "ab")
        c = vc.create_source(video_source_name=f"{marker}-c")
        used = vc.create_group([a, b], video_group_name=f"{marker}-used")
        idle = vc.create_group([c], video_group_name=f"{marker}-idle")
        batch = tc.create_batch(batch_body([(used, [a, b])]))["id"]

        assert vc.show_group(used)["num_batch_task"] == 1
        assert vc.show_group(idle)["num_batch_task"] == 0
        assert vc.group_ids(name=marker, has_task="true") == [used]
        assert vc.group_ids(name=marker, sort_name="num_task") == [used, idle]
        assert vc.group_ids(name=marker, sort_name="num_task", order_by="asc") == [idle, used]
        (package,) = vc.show_source(a)["video_packages"]
        assert package["num_batch_task"] == 1
        listed = {
            s["video_source_id"]: s for s in vc.list_sources(scope=marker)["video_source_list"]
        }
        assert {sid: s["num_tasks"] for sid, s in listed.items()} == {a: 1, b: 1, c: 0}
        assert vc.source_ids(scope=marker, sort_name="num_task", order_by="asc")[0] == c

        _in_use(vc, "DeleteVideoGroup", f"/video-group/{used}", "video_group_id")
        _in_use(vc, "DeleteVideoSource", f"/source/{a}", "video_source_id")
        assert vc.show_group(used)["num_video_source"] == 2
        assert vc.show_source(a)["video_source_name"] == f"{marker}-a"

        (task,) = tc.create_ids(task_body([c]))
        assert vc.list_sources(scope=f"{marker}-c")["video_source_list"][0]["num_tasks"] == 1
        _in_use(vc, "DeleteVideoSource", f"/source/{c}", "video_source_id")

        tc.delete(task)
        vc.delete_source(c)
        tc.delete_batch(batch)
        assert vc.show_group(used)["num_batch_task"] == 0
        assert vc.group_ids(name=marker, has_task="true") == []
        vc.delete_group(used)
        vc.delete_source(a)
        assert vc.show_group(idle)["num_video_source"] == 0
