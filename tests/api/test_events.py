"""The event center, an openvias extension: ``GET /v2/{project_id}/events`` lists the stored
alarms (VIAS envelope without the image, plus batch_id, video_source_id, service_name,
created_at) and ``GET /v2/{project_id}/events/{event_id}`` shows one with its image.

Until the engine lands, alarms are stored the way it stores them: ``insert_alarm`` on the
server's own database."""

from __future__ import annotations

import asyncio
import base64
import json
import re
from dataclasses import dataclass, replace
from typing import Any

import cv2
import numpy as np
import pytest

from openvias.domain.alarms import Alarm, alarm_message_id
from openvias.store.db import create_engine, create_sessionmaker, transaction
from openvias.store.repositories.alarm_events import insert_alarm
from tests.api.identity_support import assert_error
from tests.api.video_center import unique
from tests.support import ADMIN_PASSWORD, Server

UPPER_UUID = re.compile(r"^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$")
T0 = 1_700_000_000  # alarm times, epoch seconds
CREATED = 1_700_000_000_000  # storage times, epoch ms
SMOKE, INTRUSION = "c-smoke-and-fire-cloud", "c-intrusiondetection-edge"
EXTRA_KEYS = ["batch_id", "video_source_id", "service_name", "created_at"]


def jpeg(shade: int = 40) -> bytes:
    image = np.full((48, 64, 3), shade, dtype=np.uint8)
    cv2.rectangle(image, (8, 8), (40, 30), (0, 0, 255), -1)
    ok, encoded = cv2.imencode(".jpg", image)
    assert ok
    return encoded.tobytes()


def alarm(project_id: str, task_id: str, media_ms: int, **changes: Any) -> Alarm:
    fields: dict[str, Any] = {
        "message_id": alarm_message_id(task_id, 1, media_ms),
        "project_id": project_id,
        "task_id": task_id,
        "batch_id": None,
        "video_source_id": "b664d367-3bf4-4d94-969f-b877d8c5d9ae",
        "stream_id": "b664d367-3bf4-4d94-969f-b877d8c5d9ae",
        "service_name": SMOKE,
        "event_type": 393216,
        "timestamp": T0 + media_ms // 1000,
        "media_ms": media_ms,
        "run": 1,
        "event_set": [{"state": 1, "bounding_box": {"x": 8, "y": 8, "w": 33, "h": 23}}],
        "jpeg": jpeg(media_ms % 200),
        **changes,
    }
    return Alarm(**fields)


def seed(server: Server, *alarms: tuple[Alarm, int]) -> list[bool]:
    """Store (alarm, created_at ms) pairs in one transaction on the server's database."""

    async def store() -> list[bool]:
        engine = create_engine(server.env["OPENVIAS_DATABASE_URL"])
        try:
            async with transaction(create_sessionmaker(engine)) as session:
                return [await insert_alarm(session, a, created) for a, created in alarms]
        finally:
            await engine.dispose()

    return asyncio.run(store())


def other_project(server: Server) -> Server:
    """The same server, seen through an admin token scoped to a fresh project."""
    name = unique("ev")
    for args in (
        ("admin", "create-project", "--domain", "openvias", "--name", name),
        ("admin", "grant", "--user", "admin", "--project", name, "--domain", "openvias"),
    ):
        done = server.cli(*args)
        assert done.returncode == 0, done.stderr
        json.loads(done.stdout)
    token, project_id = server.login("admin", ADMIN_PASSWORD, "openvias", name)
    return replace(server, token=token, project_id=project_id)


def wire(a: Alarm, created_at: int, *, image: bool) -> dict[str, Any]:
    return {
        **a.envelope(include_image=image),
        "batch_id": a.batch_id,
        "video_source_id": a.video_source_id,
        "service_name": a.service_name,
        "created_at": created_at,
    }


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
    with server.client(token="") as anonymous:
        assert_error(anonymous.get(f"/v2/{seeded.server.project_id}/events"), 401)


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
