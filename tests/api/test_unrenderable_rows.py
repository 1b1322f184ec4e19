"""Rows stored before the API refused what cannot be written out (lone surrogates, nesting
beyond the serialiser's depth) are shown repaired, never as a 500 of the whole list, and
the repair is logged once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from openvias.store.models import AlarmEvent, BatchTask, Delivery, Task, TaskTemplate
from tests.api.event_support import on_db
from tests.api.task_center import SMOKE, batch_body, task_body
from tests.api.video_center import source_body, unique
from tests.sinks.delivery_support import make_alarm, seed
from tests.support import Server, running_server

HOOK = {"url": "http://127.0.0.1:9/hook", "headers": {"X-Tok": "abc"}}
STREAM_CONFIG = "<type_config><url_address>rtsp://127.0.0.1:9/live</url_address></type_config>"
SURROGATE = "\ud800"
REPLACED = "\ufffd"


def deep(depth: int) -> Any:
    value: Any = "bottom"
    for _ in range(depth):
        value = {"a": value}
    return value


def depth_of(value: Any) -> int:
    depth = 0
    while isinstance(value, dict) and "a" in value:
        value, depth = value["a"], depth + 1
    return depth


@pytest.fixture(scope="module")
def legacy(backend: str) -> Iterator[tuple[Server, dict[str, str]]]:
    """A server holding one sound task and, stored as an older server let them in, a task,
    a batch, a template, a delivery and an event with unrenderable JSON."""
    with running_server(backend) as server, server.client() as http:
        base = f"/v2/{server.project_id}"

        def ok(method: str, path: str, body: Any = None) -> Any:
            answer = http.request(method, base + path, json=body)
            assert answer.status_code in (200, 201), answer.text
            return answer.json()

        source = ok("POST", "/source", source_body(type_config=STREAM_CONFIG))["video_source_id"]
        group = ok(
            "POST",
            "/video-group",
            {"access_type": "cloud", "video_group_name": unique("g"), "video_source_ids": [source]},
        )["video_group_id"]
        tasks = f"/services/{SMOKE}/tasks"
        sound = ok("POST", tasks, task_body([source], output={"webhook": HOOK}))["tasks"][0]["id"]
        bad_body = task_body([source], output={"webhook": HOOK}, is_saved_as_template=True)
        bad = ok("POST", tasks, bad_body)["tasks"][0]["id"]
        batch = ok("POST", "/batch-tasks", batch_body([(group, [source])]))["id"]
        template = ok("GET", "/templates")["templates"][0]["id"]
        event = make_alarm(server.project_id, bad, 1000)
        seed(server, [event], {"webhook": HOOK})
        bad_config = {"common": {"fire_detection_sw": 1, "note": SURROGATE, "deep": deep(300)}}
        bad_output = {"webhook": {**HOOK, "headers": {"X-Tok": SURROGATE}}}

        async def break_rows(session: AsyncSession) -> None:
            await session.execute(
                update(Task).where(Task.id == bad).values(config=bad_config, output=bad_output)
            )
            await session.execute(
                update(BatchTask).where(BatchTask.id == batch).values(config=bad_config)
            )
            template_body = {"config": bad_config, "output": bad_output, SURROGATE: 1}
            await session.execute(
                update(TaskTemplate).where(TaskTemplate.id == template).values(body=template_body)
            )
            await session.execute(
                update(Delivery)
                .where(Delivery.event_id == event.message_id)
                .values(target=bad_output["webhook"])
            )
            await session.execute(
                update(AlarmEvent)
                .where(AlarmEvent.id == event.message_id)
                .values(data={"event_set": [{"state": 1, "label": SURROGATE}]})
            )

        on_db(server, break_rows)
        yield (
            server,
            {
                "sound": sound,
                "bad": bad,
                "batch": batch,
                "template": template,
                "event": event.message_id,
            },
        )


def _get(server: Server, path: str, **params: Any) -> Any:
    with server.client() as http:
        answer = http.get(f"/v2/{server.project_id}{path}", params=params)
    assert answer.status_code == 200, f"{path}: {answer.text}"
    return answer.json()


def test_lists_show_every_row_and_the_bad_ones_repaired(
    legacy: tuple[Server, dict[str, str]],
) -> None:
    server, ids = legacy
    listed = {t["id"] for t in _get(server, "/tasks", page_size=1000)["tasks"]}
    assert {ids["sound"], ids["bad"]} <= listed
    details = _get(server, f"/services/{SMOKE}/tasks", limit=1000)["tasks"]
    assert {ids["sound"], ids["bad"]} <= {t["id"] for t in details}
    shown = next(t for t in details if t["id"] == ids["bad"])
    assert shown["service_config"]["common"]["note"] == REPLACED
    assert shown["output"]["webhook"]["headers"]["X-Tok"] == REPLACED

    info = _get(server, f"/tasks/{ids['bad']}")
    common = info["config"]["common"]
    assert common["note"] == REPLACED
    assert common["fire_detection_sw"] == 1
    assert 30 <= depth_of(common["deep"]) < 300  # cut short, not dropped whole
    assert _get(server, f"/tasks/{ids['sound']}")["config"]["common"]["fire_detection_sw"] == 1
    assert (
        _get(server, f"/services/{SMOKE}/tasks/{ids['bad']}")["service_config"]["common"]["note"]
        == REPLACED
    )

    batch = _get(server, "/tasks", batch_id=ids["batch"])["tasks"]
    assert batch
    member = _get(server, f"/tasks/{batch[0]['id']}")
    assert member["config"]["common"]["note"] == REPLACED

    templates = _get(server, "/templates")["templates"]
    assert [t["config"]["common"]["note"] for t in templates] == [REPLACED]
    assert _get(server, f"/templates/{ids['template']}")["output"]["webhook"]["headers"] == {
        "X-Tok": REPLACED
    }

    deliveries = _get(server, "/deliveries")["deliveries"]
    assert [d["target"]["headers"]["X-Tok"] for d in deliveries] == [REPLACED]
    assert _get(server, f"/deliveries/{deliveries[0]['id']}")["target"]["url"] == HOOK["url"]

    events = _get(server, "/events")["events"]
    assert [e["data"]["event_set"][0]["label"] for e in events] == [REPLACED]
    assert _get(server, f"/events/{ids['event']}")["data"]["event_set"][0]["label"] == REPLACED


def test_a_repair_is_logged_once(legacy: tuple[Server, dict[str, str]]) -> None:
    server, ids = legacy
    log = server.data_dir / "server.log"

    def warnings() -> int:
        text = log.read_bytes().decode("utf-8", "replace")
        return sum(
            1
            for line in text.splitlines()
            if f"task {ids['bad']} holds values that cannot be shown as stored" in line
            and "$.config" in line
        )

    _get(server, f"/tasks/{ids['bad']}")
    first = warnings()
    assert first >= 1
    for _ in range(3):
        _get(server, f"/tasks/{ids['bad']}")
    assert warnings() == first
