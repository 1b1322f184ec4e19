"""The event center, an openvias extension: ``GET /v2/{project_id}/events`` lists the stored
alarms (VIAS envelope without the image, plus batch_id, video_source_id, service_name,
created_at, aggregation and review fields), ``GET /v2/{project_id}/events/{event_id}``
shows one with its image, ``PUT .../review`` reviews it and ``DELETE`` deletes it.
Aggregation is in ``test_event_aggregation.py``.

Alarms are stored the way the engine stores them: ``insert_alarm`` on the server's own
database."""

from __future__ import annotations

import base64
import re
import time
from dataclasses import dataclass, replace
from typing import Any

import cv2
import numpy as np
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from openvias.domain.alarms import Alarm, alarm_message_id
from openvias.store.repositories.deliveries import enqueue_deliveries
from tests.api.event_support import (
    CREATED,
    EXTRA_KEYS,
    INTRUSION,
    SMOKE,
    T0,
    Events,
    alarm,
    jpeg,
    on_db,
    seed,
    stored_rows,
    wire,
)
from tests.api.identity_support import assert_error
from tests.api.video_center import other_project, unique
from tests.support import Server

UPPER_UUID = re.compile(r"^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$")


@dataclass
class Seeded:
    """A fresh project holding five alarms of two tasks (stored oldest first)."""

    server: Server
    task_a: str
    task_b: str
    alarms: list[tuple[Alarm, int]]

    def get(self, path: str = "", **params: Any) -> Any:
        with self.server.client() as client:
            response = client.get(f"/v2/{self.server.project_id}/events{path}", params=params)
        assert response.status_code == 200, response.text
        return response.json()

    def ids(self, **params: Any) -> list[str]:
        return [event["message_id"] for event in self.get(**params)["events"]]

    def newest_first(self, *indexes: int) -> list[str]:
        return [self.alarms[i][0].message_id for i in sorted(indexes, reverse=True)]


@pytest.fixture(scope="module")
def seeded(server: Server) -> Seeded:
    project = other_project(server)
    pid = project.project_id
    task_a, task_b = unique("ta").replace("-", ""), unique("tb").replace("-", "")
    source_b = "5f0c7f3e-0d6a-4f55-9a43-0f6f2a1b9c11"
    intrusion = {
        "service_name": INTRUSION,
        "event_type": 196609,
        "video_source_id": source_b,
        "stream_id": source_b,
        "batch_id": "b" * 32,
        "event_set": [
            {
                "start_position": "in",
                "end_position": "in",
                "bounding_box": {"x": 1, "y": 2, "w": 3, "h": 4},
                "category": 0,
            }
        ],
    }
    alarms = [
        (alarm(pid, task_a, 0), CREATED),
        (alarm(pid, task_a, 10_000), CREATED + 1),
        (alarm(pid, task_b, 15_000, **intrusion), CREATED + 2),
        (alarm(pid, task_a, 20_000), CREATED + 3),
        (alarm(pid, task_b, 30_000, **intrusion), CREATED + 4),
    ]
    assert seed(server, *alarms) == [True] * 5
    return Seeded(project, task_a, task_b, alarms)


def test_list_is_the_envelope_without_image_plus_openvias_fields(seeded: Seeded) -> None:
    listed = seeded.get()
    assert list(listed) == ["total", "events"]
    assert listed["total"] == 5
    # newest stored first; each item the envelope (no image) then the openvias fields
    expected = [wire(a, created, image=False) for a, created in reversed(seeded.alarms)]
    assert listed["events"] == expected
    for event in listed["events"]:
        assert list(event) == [
            "event_type",
            "task_id",
            "stream_id",
            "timestamp",
            "message_id",
            "data",
            *EXTRA_KEYS,
        ]
        assert UPPER_UUID.match(event["message_id"])


def test_list_filters(seeded: Seeded) -> None:
    a, b = seeded.task_a, seeded.task_b
    assert seeded.ids(task_id=a) == seeded.newest_first(0, 1, 3)
    assert seeded.ids(task_id=b) == seeded.newest_first(2, 4)
    assert seeded.ids(video_source_id="5f0c7f3e-0d6a-4f55-9a43-0f6f2a1b9c11") == (
        seeded.newest_first(2, 4)
    )
    assert seeded.ids(service_name=SMOKE) == seeded.newest_first(0, 1, 3)
    assert seeded.ids(service_name=INTRUSION) == seeded.newest_first(2, 4)
    assert seeded.ids(service_name="c-flowcount-cloud") == []
    assert seeded.ids(event_type=196609) == seeded.newest_first(2, 4)
    assert seeded.ids(event_type=393216, task_id=b) == []
    # the time range is on the alarm timestamp (seconds), both ends included
    assert seeded.ids(start_time=T0 + 10, end_time=T0 + 20) == seeded.newest_first(1, 2, 3)
    assert seeded.ids(start_time=T0 + 11) == seeded.newest_first(2, 3, 4)
    assert seeded.ids(end_time=T0 + 9) == seeded.newest_first(0)
    assert seeded.ids(start_time=T0 + 15, end_time=T0 + 15, task_id=b) == seeded.newest_first(2)
    # an empty range is no error
    assert seeded.get(start_time=T0 + 20, end_time=T0 + 10) == {"total": 0, "events": []}


def test_list_pages(seeded: Seeded) -> None:
    everything = seeded.newest_first(0, 1, 2, 3, 4)
    assert seeded.ids() == everything  # default limit 10
    pages = [seeded.get(offset=offset, limit=2) for offset in (0, 2, 4, 6)]
    assert [page["total"] for page in pages] == [5, 5, 5, 5]
    assert [e["message_id"] for page in pages for e in page["events"]] == everything
    assert pages[-1]["events"] == []
    filtered = seeded.get(task_id=seeded.task_a, offset=1, limit=1)
    assert filtered["total"] == 3
    assert [e["message_id"] for e in filtered["events"]] == seeded.newest_first(1)
    assert seeded.get(limit=1000)["total"] == 5


def test_show_is_the_full_envelope_with_the_image(seeded: Seeded) -> None:
    for stored, created in (seeded.alarms[0], seeded.alarms[4]):
        shown = seeded.get(f"/{stored.message_id}")
        assert shown == wire(stored, created, image=True)
        assert list(shown) == [
            "event_type",
            "task_id",
            "stream_id",
            "timestamp",
            "message_id",
            "image_base64",
            "data",
            *EXTRA_KEYS,
        ]
        image = base64.b64decode(shown["image_base64"], validate=True)
        assert image == stored.jpeg
        decoded = cv2.imdecode(np.frombuffer(image, np.uint8), cv2.IMREAD_COLOR)
        assert decoded is not None
        assert decoded.shape == (48, 64, 3)
    # the id is also found written in lower case
    stored, created = seeded.alarms[1]
    assert seeded.get(f"/{stored.message_id.lower()}") == wire(stored, created, image=True)


def test_storing_an_alarm_twice_keeps_the_first(seeded: Seeded) -> None:
    pid = seeded.server.project_id
    task = unique("td").replace("-", "")
    first = alarm(pid, task, 5_000)
    # when the engine raises the same alarm again (e.g. after a resume), in the same
    # transaction and in a later one, with other content
    again = replace(first, jpeg=jpeg(7), event_set=[{"state": 2}], timestamp=T0 + 999)
    assert seed(seeded.server, (first, CREATED + 10), (first, CREATED + 11)) == [True, False]
    assert seed(seeded.server, (again, CREATED + 12)) == [False]
    # then it is stored once, as first raised
    listed = seeded.get(task_id=task)
    assert listed["total"] == 1
    assert seeded.get(f"/{first.message_id}") == wire(first, CREATED + 10, image=True)
    # and the id is the one the task, run and position determine
    assert first.message_id == alarm_message_id(task, 1, 5_000)
    assert UPPER_UUID.match(first.message_id)


def test_count_messages_keep_their_extra_data(seeded: Seeded) -> None:
    """A flow-count message carries ``data.interval`` next to ``event_set`` (as the webhook,
    DIS and OBS deliver it); the event center shows it too, listed and shown."""
    pid = seeded.server.project_id
    task = unique("tf").replace("-", "")
    counts = alarm(
        pid, task, 4_000,
        service_name="c-flowcount-cloud", event_type=131073, jpeg=b"",
        event_set=[{"line": [[0, 1], [2, 3]], "line_id": "L1", "side1_count": 2,
                    "side2_count": 0, "side1_name": "in", "side2_name": "out"}],
        data_extra={"interval": 2, "openvias_note": {"k": [1]}},
    )  # fmt: skip
    assert seed(seeded.server, (counts, CREATED + 20)) == [True]
    listed = seeded.get(task_id=task)["events"]
    assert [e["data"] for e in listed] == [
        {"interval": 2, "openvias_note": {"k": [1]}, "event_set": counts.event_set}
    ]
    assert listed == [wire(counts, CREATED + 20, image=False)]
    assert seeded.get(f"/{counts.message_id}") == wire(counts, CREATED + 20, image=True)


def test_other_projects_see_nothing(server: Server, seeded: Seeded) -> None:
    stored, _ = seeded.alarms[0]
    with server.client() as client:  # the default project
        base = f"/v2/{server.project_id}/events"
        listed = client.get(base, params={"task_id": seeded.task_a})
        assert listed.status_code == 200, listed.text
        assert listed.json() == {"total": 0, "events": []}
        body = assert_error(client.get(f"{base}/{stored.message_id}"), 404)
        assert body["params"] == ["event_id"]
        # and its token may not use the other project's paths
        foreign = f"/v2/{seeded.server.project_id}/events"
        assert_error(client.get(foreign), 403)
        assert_error(client.get(f"{foreign}/{stored.message_id}"), 403)
        # nor review, delete or see the secondaries of its events, nor touch its rules
        review = {"result": "rejected", "comment": "not yours"}
        for path in (base, foreign):
            status = 404 if path == base else 403
            for response in (
                client.put(f"{path}/{stored.message_id}/review", json=review),
                client.delete(f"{path}/{stored.message_id}"),
                client.get(f"{path}/{stored.message_id}/secondary"),
            ):
                body = assert_error(response, status)
                if status == 404:
                    assert body["params"] == ["event_id"]
        assert_error(client.get(f"{foreign}/rules"), 403)
        assert_error(client.put(f"{foreign}/rules", json={"aggregation_enabled": True}), 403)
    with server.client(token="") as anonymous:
        assert_error(anonymous.get(f"/v2/{seeded.server.project_id}/events"), 401)
        assert_error(
            anonymous.delete(f"/v2/{seeded.server.project_id}/events/{stored.message_id}"), 401
        )
    # the event is untouched, and the other project's rules are the defaults still
    assert seeded.get(f"/{stored.message_id}") == wire(stored, CREATED, image=True)
    assert seeded.get("/rules") == {"aggregation_enabled": False, "aggregation_minutes": 10}


def test_unknown_event_is_404(seeded: Seeded) -> None:
    with seeded.server.client() as client:
        missing = alarm_message_id("0" * 32, 9, 9)
        response = client.get(f"/v2/{seeded.server.project_id}/events/{missing}")
    body = assert_error(response, 404)
    assert body["error_code"] == "VIAS.00010002"
    assert body["params"] == ["event_id"]


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("offset", "-1"),
        ("offset", "x"),
        ("limit", "0"),
        ("limit", "1001"),
        ("task_id", "NOT_LOWER"),
        ("task_id", "a" * 37),
        ("video_source_id", "x"),
        ("service_name", "c-unknown-cloud"),
        ("event_type", "-1"),
        ("event_type", "fire"),
        ("start_time", "-1"),
        ("start_time", "yesterday"),
        ("end_time", str(2**63)),
        ("review_state", "maybe"),
        ("review_state", "APPROVED"),
        ("include_secondary", "maybe"),
    ],
)
def test_bad_parameters_are_400_naming_them(seeded: Seeded, param: str, value: str) -> None:
    with seeded.server.client() as client:
        response = client.get(f"/v2/{seeded.server.project_id}/events", params={param: value})
    body = assert_error(response, 400)
    assert body["error_code"] == "VIAS.00010001"
    assert body["params"] == [param]


@pytest.mark.parametrize("event_id", ["not-a-uuid", "82C02174-4FEB-11EA-9357-407D0FAD91FCX"])
def test_bad_event_id_is_400(seeded: Seeded, event_id: str) -> None:
    with seeded.server.client() as client:
        response = client.get(f"/v2/{seeded.server.project_id}/events/{event_id}")
    body = assert_error(response, 400)
    assert body["params"] == ["event_id"]


# -- review and delete --------------------------------------------------------------


@pytest.fixture(scope="module")
def scratch(server: Server) -> Events:
    """A fresh project for the tests that change events (aggregation off)."""
    return Events(other_project(server))


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def test_review_round_trip(scratch: Events) -> None:
    pid, task = scratch.server.project_id, unique("tr").replace("-", "")
    first, second = alarm(pid, task, 0), alarm(pid, task, 1_000)
    assert seed(scratch.server, (first, CREATED), (second, CREATED + 1)) == [True, True]
    event_id = first.message_id
    assert scratch.ids(task_id=task, review_state="pending") == [second.message_id, event_id]

    before = now_ms()
    reviewed = scratch.put(f"/{event_id}/review", {"result": "approved", "comment": "fire!"})
    after = now_ms()
    assert before <= reviewed["reviewed_at"] <= after
    review = {
        "review_state": "approved",
        "review_comment": "fire!",
        "reviewed_by": "admin",  # the caller's user name
        "reviewed_at": reviewed["reviewed_at"],
    }
    # the answer is the event without its image; showing it has the review too
    assert reviewed == wire(first, CREATED, image=False, **review)
    assert scratch.get(f"/{event_id}") == wire(first, CREATED, image=True, **review)
    assert scratch.ids(task_id=task, review_state="approved") == [event_id]
    assert scratch.ids(task_id=task, review_state="pending") == [second.message_id]

    # a new review replaces the last (lower-case id, no comment: the comment is cleared)
    again = scratch.put(f"/{event_id.lower()}/review", {"result": "rejected"})
    assert again["review_state"] == "rejected"
    assert again["review_comment"] == ""
    assert again["reviewed_at"] >= reviewed["reviewed_at"]
    assert scratch.ids(task_id=task, review_state="rejected") == [event_id]
    assert scratch.ids(task_id=task, review_state="approved") == []
    # the longest comment, counted in characters; unknown fields are ignored
    longest = "\u706b" * 1024
    done = scratch.put(
        f"/{second.message_id}/review", {"result": "approved", "comment": longest, "x": 1}
    )
    assert done["review_comment"] == longest
    assert scratch.get(f"/{second.message_id}")["review_comment"] == longest


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({}, "result"),
        ({"comment": "no result"}, "result"),
        ({"result": "pending"}, "result"),
        ({"result": "APPROVED"}, "result"),
        ({"result": None}, "result"),
        ({"result": "approved", "comment": "x" * 1025}, "comment"),
        ({"result": "approved", "comment": 7}, "comment"),
        ({"result": "approved", "comment": None}, "comment"),
        (["approved"], "body"),
    ],
)
def test_bad_review_is_400_naming_the_field(scratch: Events, body: Any, param: str) -> None:
    pid, task = scratch.server.project_id, unique("tv").replace("-", "")
    stored = alarm(pid, task, 0)
    assert seed(scratch.server, (stored, CREATED)) == [True]
    response = scratch.call("PUT", f"/{stored.message_id}/review", json=body)
    error = assert_error(response, 400)
    assert error["error_code"] == "VIAS.00010001"
    assert error["params"] == [param]
    assert scratch.get(f"/{stored.message_id}")["review_state"] == "pending"


def test_review_or_delete_of_unknown_or_malformed_ids(scratch: Events) -> None:
    missing = alarm_message_id("0" * 32, 9, 9)
    review = {"result": "approved"}
    for response in (
        scratch.call("PUT", f"/{missing}/review", json=review),
        scratch.call("DELETE", f"/{missing}"),
        scratch.call("GET", f"/{missing}/secondary"),
    ):
        body = assert_error(response, 404)
        assert body["error_code"] == "VIAS.00010002"
        assert body["params"] == ["event_id"]
    for response in (
        scratch.call("PUT", "/not-a-uuid/review", json=review),
        scratch.call("DELETE", "/not-a-uuid"),
        scratch.call("GET", "/not-a-uuid/secondary"),
    ):
        assert assert_error(response, 400)["params"] == ["event_id"]


def test_delete_takes_the_image_and_deliveries(scratch: Events) -> None:
    pid, task = scratch.server.project_id, unique("tx").replace("-", "")
    doomed, kept = alarm(pid, task, 0), alarm(pid, task, 1_000)
    assert seed(scratch.server, (doomed, CREATED), (kept, CREATED + 1)) == [True, True]
    # a delivery that cannot succeed (nothing listens on port 9): it stays pending
    output = {"webhook": {"url": "http://127.0.0.1:9/alarms"}}

    async def enqueue(session: AsyncSession) -> int:
        return await enqueue_deliveries(session, doomed, output, now_ms() + 3_600_000)

    assert on_db(scratch.server, enqueue) == 1
    assert stored_rows(scratch.server, [doomed.message_id]) == (1, 1)

    scratch.delete(doomed.message_id.lower())
    assert_error(scratch.call("GET", f"/{doomed.message_id}"), 404)
    assert scratch.ids(task_id=task) == [kept.message_id]
    assert stored_rows(scratch.server, [doomed.message_id]) == (0, 0)
    assert stored_rows(scratch.server, [kept.message_id]) == (1, 0)
    # deleted is gone: a second delete is 404
    body = assert_error(scratch.call("DELETE", f"/{doomed.message_id}"), 404)
    assert body["params"] == ["event_id"]
    # and the engine storing it again (same message_id) stores it anew
    assert seed(scratch.server, (replace(doomed, jpeg=jpeg(9)), CREATED + 2)) == [True]
