"""ListBatchTasks over HTTP: paging, sorting, every filter, and the lower-case state counts
``batch_task_status_info``. Each test works on batch tasks whose names share a prefix of its
own, since the database is shared by the whole run of a backend."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from openvias.domain.algorithm_catalogue import find_service
from tests.api.task_center import SMOKE, TaskCenter, batch_body, task_center
from tests.api.video_center import unique
from tests.support import Server


@pytest.fixture
def tc(server: Server) -> Iterator[TaskCenter]:
    with task_center(server) as center:
        yield center


def _batches(tc: TaskCenter, prefix: str) -> tuple[list[str], list[str], list[str]]:
    """Three batch tasks named ``prefix-0..2`` (created in that order) with 1, 3 and 2 members;
    the first and last over group A, the second over group B. Returns (ids, groups, names)."""
    sources = tc.sources(4)
    group_a, group_b = tc.group(sources[:2]), tc.group(sources[1:4])
    layout = [(group_a, sources[:1]), (group_b, []), (group_a, sources[:2])]
    ids = [
        tc.create_batch(batch_body([(g, listed)], name=f"{prefix}-{i}"))["id"]
        for i, (g, listed) in enumerate(layout)
    ]
    names = [tc.vc.show_group(g)["video_group_name"] for g in (group_a, group_b)]
    return ids, [group_a, group_b], names


def test_list_batch_tasks_items_and_counts(tc: TaskCenter) -> None:
    # given three batch tasks, the middle one stopped except for one member
    prefix = unique("lbc")
    ids, _, group_names = _batches(tc, prefix)
    tc.batch_action(ids[1], "stop")
    tc.action(tc.ids(batch_id=ids[1])[0], "start")
    smoke = find_service(SMOKE)
    assert smoke is not None
    # when they are listed (newest first by default)
    listing = tc.list_batches(type_like="batch_task_name", name_like=prefix)
    # then each item describes its batch task, with lower-case state counts
    assert listing["count"] == 3
    items = listing["batch_task_list"]
    assert [i["id"] for i in items] == ids[::-1]
    by_id = {i["id"]: i for i in items}
    assert by_id[ids[1]]["batch_task_status_info"] == {"stopped": 2, "starting": 1}
    assert by_id[ids[2]]["batch_task_status_info"] == {"pending": 2}
    assert [by_id[i]["num_task"] for i in ids] == [1, 3, 2]
    assert by_id[ids[1]]["video_group_name"] == group_names[1]
    first = by_id[ids[0]]
    assert (first["batch_task_name"], first["alg_name"], first["type"]) == (
        f"{prefix}-0",
        smoke.title_zh,
        "0",
    )
    assert isinstance(first["created_at"], int)
    assert first["company"]


def test_list_batch_tasks_pages_and_sorts(tc: TaskCenter) -> None:
    # given three batch tasks of 1, 3 and 2 members
    prefix = unique("lbp")
    ids, _, _ = _batches(tc, prefix)

    def listed(**params: Any) -> list[str]:
        body = tc.list_batches(type_like="batch_task_name", name_like=prefix, **params)
        return [item["id"] for item in body["batch_task_list"]]

    # when / then they sort by creation time or size, either way
    assert listed(order_by="asc") == ids
    assert listed(sort_name="created_at", order_by="desc") == ids[::-1]
    assert listed(sort_name="task_count", order_by="asc") == [ids[0], ids[2], ids[1]]
    assert listed(sort_name="task_count", order_by="desc") == [ids[1], ids[2], ids[0]]
    # and pages count every match; is_paged=false lists them all
    page = tc.list_batches(name_like=prefix, page_size=5, page_num=2)
    assert (page["count"], page["batch_task_list"]) == (3, [])
    assert listed(page_size=5, page_num=1, order_by="asc") == ids
    assert listed(is_paged="false", order_by="asc") == ids


def test_list_batch_tasks_filters(tc: TaskCenter) -> None:
    # given three batch tasks over groups A (first, last) and B (middle); the middle stopped
    prefix = unique("lbf")
    ids, groups, group_names = _batches(tc, prefix)
    tc.batch_action(ids[1], "stop")
    smoke = find_service(SMOKE)
    assert smoke is not None

    def listed(**params: Any) -> list[str]:
        body = tc.list_batches(is_paged="false", order_by="asc", **params)
        return [item["id"] for item in body["batch_task_list"] if item["id"] in ids]

    # when / then each filter narrows the list
    assert listed(name_like=prefix) == ids
    assert listed(name_like=f"{prefix}-1") == [ids[1]]
    assert listed(name_like=prefix, video_group=group_names[0]) == [ids[0], ids[2]]
    assert listed(name_like=prefix, video_group=groups[1]) == [ids[1]]
    assert listed(name_like=prefix, video_group=",".join(group_names)) == ids
    assert listed(name_like=prefix, task_state="stopped") == [ids[1]]
    assert listed(name_like=prefix, task_state="pending") == [ids[0], ids[2]]
    assert listed(name_like=prefix, task_state="running") == []
    assert listed(name_like=prefix, title=smoke.title_zh) == ids
    assert listed(name_like=prefix, title="no-such-title") == []
    assert listed(name_like=prefix, manufacturer="VIAS") == ids
    assert listed(name_like=prefix, manufacturer="other-vendor") == []
    assert listed(type_like="publish_service_name", name_like="smoke-and-fire") == ids
    assert listed(type_like="publish_service_name", name_like="flowcount") == []


@pytest.mark.parametrize(
    "params",
    [
        {"task_state": "RUNNING"},
        {"sort_name": "name"},
        {"order_by": "up"},
        {"page_size": 4},
        {"page_size": 201},
        {"page_num": 0},
        {"type_like": "alg_name"},
        {"manufacturer": "x"},
        {"title": "bad title!"},
        {"name_like": "x" * 101},
    ],
    ids=lambda p: "-".join(f"{k}={str(v)[:8]}" for k, v in p.items()),
)
def test_list_batch_tasks_refuses_invalid_parameters(
    tc: TaskCenter, params: dict[str, Any]
) -> None:
    # given / when ListBatchTasks gets an invalid parameter; then 400 names it
    assert tc.list_batches(expect=400, **params)["params"] == [next(iter(params))]
