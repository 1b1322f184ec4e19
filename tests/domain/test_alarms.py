"""The alarm value: deterministic message ids, event types, the VIAS envelope."""

from __future__ import annotations

import base64
import json
import re
import uuid

from openvias.domain.alarms import EVENT_TYPES, Alarm, alarm_message_id
from openvias.domain.algorithm_catalogue import CATALOGUE

UPPER_UUID = re.compile(r"^[0-9A-F]{8}-[0-9A-F]{4}-5[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$")
TASK = "2f268b9472a544e991eae3c5c3534f5b"


def _alarm(**changes: object) -> Alarm:
    fields: dict[str, object] = {
        "message_id": alarm_message_id(TASK, 1, 4000),
        "project_id": "p" * 32,
        "task_id": TASK,
        "batch_id": None,
        "video_source_id": "b664d367-3bf4-4d94-969f-b877d8c5d9ae",
        "stream_id": "b664d367-3bf4-4d94-969f-b877d8c5d9ae",
        "service_name": "c-smoke-and-fire-cloud",
        "event_type": 393216,
        "timestamp": 1558645124,
        "media_ms": 4000,
        "run": 1,
        "event_set": [{"state": 2, "bounding_box": {"x": 27, "y": 0, "w": 115, "h": 115}}],
        "jpeg": b"\xff\xd8\xff\xe0jpeg\xff\xd9",
        **changes,
    }
    return Alarm(**fields)  # type: ignore[arg-type]


def test_message_ids_are_deterministic_upper_case_uuids() -> None:
    first = alarm_message_id(TASK, 1, 4000)
    # the same task, run and position give the same id (a resume re-raises the same alarm)
    assert alarm_message_id(TASK, 1, 4000) == first == alarm_message_id(TASK, 1, 4000, 0)
    assert UPPER_UUID.match(first)
    assert uuid.UUID(first).version == 5
    # any other input gives another id
    others = {
        alarm_message_id(TASK, 2, 4000),
        alarm_message_id(TASK, 1, 4001),
        alarm_message_id(TASK, 1, 4000, 1),
        alarm_message_id("0" * 32, 1, 4000),
    }
    assert first not in others
    assert len(others) == 4


def test_message_ids_do_not_change_between_releases() -> None:
    # stored alarms keep their ids: the namespace and the name layout are fixed
    assert alarm_message_id(TASK, 1, 4000) == "80AE8921-5CAD-52EB-830D-F4298B2D9756"


def test_event_types_cover_the_alarm_raising_services_of_the_catalogue() -> None:
    assert EVENT_TYPES["c-smoke-and-fire-cloud"] == EVENT_TYPES["c-smoke-and-fire-edge"] == 393216
    assert EVENT_TYPES["c-intrusiondetection-cloud"] == 196609
    assert EVENT_TYPES["c-intrusiondetection-edge"] == 196609
    assert "c-flowcount-cloud" not in EVENT_TYPES
    expected = {name: s.event_type for name, s in CATALOGUE.items() if s.event_type is not None}
    assert expected == EVENT_TYPES


def test_envelope_is_exactly_the_vias_alarm() -> None:
    alarm = _alarm()
    envelope = alarm.envelope()
    assert list(envelope) == [
        "event_type",
        "task_id",
        "stream_id",
        "timestamp",
        "message_id",
        "image_base64",
        "data",
    ]
    assert envelope == {
        "event_type": 393216,
        "task_id": TASK,
        "stream_id": "b664d367-3bf4-4d94-969f-b877d8c5d9ae",
        "timestamp": 1558645124,
        "message_id": alarm.message_id,
        "image_base64": base64.b64encode(alarm.jpeg).decode("ascii"),
        "data": {"event_set": alarm.event_set},
    }
    assert base64.b64decode(envelope["image_base64"]) == alarm.jpeg
    json.dumps(envelope)  # JSON as it is


def test_envelope_without_image() -> None:
    alarm = _alarm()
    envelope = alarm.envelope(include_image=False)
    assert "image_base64" not in envelope
    assert list(envelope)[-1] == "data"
    # the envelope is a copy: changing it leaves the alarm as it was
    envelope["data"]["event_set"][0]["state"] = 1
    assert alarm.event_set[0]["state"] == 2
