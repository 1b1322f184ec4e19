"""Repeated-event aggregation (openvias extension of the Event Center): the rules
``GET/PUT /v2/{project_id}/events/rules``; with aggregation on, an alarm of the same stream,
service and event type as a primary event at most ``aggregation_minutes`` older (alarm time,
window from the primary's) is stored as its secondary; listing shows primaries with their
``aggregated_count``; ``GET .../events/{id}/secondary`` lists a primary's secondaries;
deleting a primary deletes them, deleting a secondary uncounts it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from openvias.domain.alarms import Alarm
from openvias.store.db import create_engine, create_sessionmaker, transaction
from openvias.store.repositories.alarm_events import insert_alarm
from tests.api.event_support import (
    CREATED,
    INTRUSION,
    T0,
    Events,
    alarm,
    seed,
    stored_rows,
    wire,
)
from tests.api.identity_support import assert_error
from tests.api.video_center import other_project, unique
from tests.support import Server


@pytest.fixture(scope="module")
def events(server: Server) -> Events:
    """A fresh project; each test sets the rules it needs and uses streams of its own."""
    return Events(other_project(server))


def stream() -> str:
    return unique("s")


def at(events: Events, task: str, stream_id: str, second: int, **changes: Any) -> Alarm:
    """An alarm of ``stream_id`` at ``T0 + second`` (epoch seconds)."""
    return alarm(
        events.server.project_id,
        task,
        second * 1000,
        stream_id=stream_id,
        video_source_id=stream_id,
        timestamp=T0 + second,
        **changes,
    )


def test_rules_default_round_trip_and_keep_the_window(events: Events) -> None:
    fresh = Events(other_project(events.server))
    assert fresh.get("/rules") == {"aggregation_enabled": False, "aggregation_minutes": 10}
    assert fresh.rules(True, 1440) == {"aggregation_enabled": True, "aggregation_minutes": 1440}
    assert fresh.get("/rules") == {"aggregation_enabled": True, "aggregation_minutes": 1440}
    # aggregation_minutes left out keeps the current window; unknown fields are ignored
    off = fresh.put("/rules", {"aggregation_enabled": False, "other": 1})
    assert off == {"aggregation_enabled": False, "aggregation_minutes": 1440}
    assert fresh.rules(True, 1) == {"aggregation_enabled": True, "aggregation_minutes": 1}
    assert fresh.get("/rules") == {"aggregation_enabled": True, "aggregation_minutes": 1}
    # null keeps the window as well
    same = fresh.put("/rules", {"aggregation_enabled": True, "aggregation_minutes": None})
    assert same == {"aggregation_enabled": True, "aggregation_minutes": 1}
    # 390.0 is a JSON integer too
    both = {"aggregation_enabled": True, "aggregation_minutes": 390.0}
    assert fresh.put("/rules", both) == {"aggregation_enabled": True, "aggregation_minutes": 390}
    # the rules are no event: other methods are 405, with the allowed ones
    for method in ("DELETE", "POST"):
        response = fresh.call(method, "/rules")
        assert_error(response, 405)
        assert response.headers["Allow"] == "GET, HEAD, PUT"


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({}, "aggregation_enabled"),
        ({"aggregation_minutes": 5}, "aggregation_enabled"),
        ({"aggregation_enabled": "yes"}, "aggregation_enabled"),
        ({"aggregation_enabled": 1}, "aggregation_enabled"),
        ({"aggregation_enabled": None}, "aggregation_enabled"),
        ({"aggregation_enabled": True, "aggregation_minutes": 0}, "aggregation_minutes"),
        ({"aggregation_enabled": True, "aggregation_minutes": 1441}, "aggregation_minutes"),
        ({"aggregation_enabled": True, "aggregation_minutes": "5"}, "aggregation_minutes"),
        ({"aggregation_enabled": True, "aggregation_minutes": 1.5}, "aggregation_minutes"),
        ({"aggregation_enabled": True, "aggregation_minutes": True}, "aggregation_minutes"),
        ([True], "body"),
    ],
)
def test_bad_rules_are_400_naming_the_field(events: Events, body: Any, param: str) -> None:
    before = events.get("/rules")
    error = assert_error(events.call("PUT", "/rules", json=body), 400)
    assert error["error_code"] == "VIAS.00010001"
    assert error["params"] == [param]
    assert events.get("/rules") == before


def test_aggregation_off_stores_every_alarm_as_a_primary(events: Events) -> None:
    events.rules(False)
    task, s = unique("to").replace("-", ""), stream()
    alarms = [at(events, task, s, second) for second in (0, 1, 2)]
    assert seed(events.server, *[(a, CREATED + i) for i, a in enumerate(alarms)]) == [True] * 3
    listed = events.get(task_id=task)
    assert listed["total"] == 3
    assert listed["events"] == [
        wire(a, CREATED + i, image=False) for i, a in reversed(list(enumerate(alarms)))
    ]
    assert events.get(f"/{alarms[0].message_id}/secondary") == {"total": 0, "events": []}


def test_aggregation_window_keys_and_counts(events: Events) -> None:
    events.rules(True, 1)  # 60 s from each primary's alarm time
    task, s, other = unique("ta").replace("-", ""), stream(), stream()
    p1 = at(events, task, s, 0)
    s30, s59 = at(events, task, s, 30), at(events, task, s, 59)
    p2 = at(events, task, s, 60)  # the window is [0, 60): 60 starts a new primary
    s61 = at(events, task, s, 61)
    other_stream = at(events, task, other, 10)
    other_service = at(events, task, s, 20, service_name=INTRUSION, event_type=196609, event_set=[])
    stored = [p1, s30, other_stream, other_service, s59, p2, s61]
    created = {a.message_id: CREATED + i for i, a in enumerate(stored)}
    # some in one transaction, some in later ones
    assert seed(events.server, *[(a, created[a.message_id]) for a in stored[:3]]) == [True] * 3
    for a in stored[3:]:
        assert seed(events.server, (a, created[a.message_id])) == [True]

    def shown(a: Alarm, **changes: Any) -> dict[str, Any]:
        return wire(a, created[a.message_id], image=False, **changes)

    # primaries only, newest stored first, with their counts
    listed = events.get(task_id=task)
    assert listed == {
        "total": 4,
        "events": [
            shown(p2, aggregated_count=2),
            shown(other_service),
            shown(other_stream),
            shown(p1, aggregated_count=3),
        ],
    }
    # every event with include_secondary
    everything = events.get(task_id=task, include_secondary="true")
    assert everything["total"] == 7
    assert everything["events"] == [
        shown(s61, primary_id=p2.message_id),
        shown(p2, aggregated_count=2),
        shown(s59, primary_id=p1.message_id),
        shown(other_service),
        shown(other_stream),
        shown(s30, primary_id=p1.message_id),
        shown(p1, aggregated_count=3),
    ]
    assert events.ids(task_id=task, include_secondary="false") == events.ids(task_id=task)
    # a primary's secondaries, newest first and paged; a secondary has none
    assert events.get(f"/{p1.message_id}/secondary") == {
        "total": 2,
        "events": [shown(s59, primary_id=p1.message_id), shown(s30, primary_id=p1.message_id)],
    }
    page = events.get(f"/{p1.message_id.lower()}/secondary", offset=1, limit=1)
    assert page == {"total": 2, "events": [shown(s30, primary_id=p1.message_id)]}
    assert events.ids(f"/{p2.message_id}/secondary") == [s61.message_id]
    assert events.get(f"/{s30.message_id}/secondary") == {"total": 0, "events": []}
    # a secondary is shown on its own, naming its primary
    detail = events.get(f"/{s30.message_id}")
    assert detail == wire(s30, created[s30.message_id], image=True, primary_id=p1.message_id)

    # the engine storing an alarm again (same message_id) stores and counts nothing
    assert seed(events.server, (s30, CREATED + 99), (p1, CREATED + 99)) == [False, False]
    assert events.get(f"/{p1.message_id}")["aggregated_count"] == 3

    # an alarm before every open primary's time starts its own; turning aggregation off
    # keeps what was aggregated, and stores later alarms as primaries
    early = at(events, task, s, -1)
    assert seed(events.server, (early, CREATED + 100)) == [True]
    assert events.get(f"/{early.message_id}")["primary_id"] is None
    events.rules(False)
    late = at(events, task, s, 62)
    assert seed(events.server, (late, CREATED + 101)) == [True]
    assert events.get(f"/{late.message_id}")["primary_id"] is None
    assert events.get(f"/{p2.message_id}")["aggregated_count"] == 2
    # filters apply to primaries: p1 is found, its secondaries only with include_secondary
    window: dict[str, Any] = {"task_id": task, "start_time": T0 + 30, "end_time": T0 + 59}
    assert events.ids(**window) == []
    assert events.ids(**window, include_secondary="true") == [s59.message_id, s30.message_id]


def test_concurrent_first_alarms_make_one_primary(events: Events) -> None:
    """Alarms of one key stored at the same time by separate transactions (as several
    engine processes would): exactly one becomes the primary, counting all of them."""
    events.rules(True, 5)
    task, s = unique("tc").replace("-", ""), stream()
    alarms = [alarm(events.server.project_id, task, i, stream_id=s, timestamp=T0) for i in range(8)]

    async def store_all() -> list[bool]:
        engine = create_engine(events.server.env["OPENVIAS_DATABASE_URL"])
        sessions = create_sessionmaker(engine)

        async def store(a: Alarm, created: int) -> bool:
            async with transaction(sessions) as session:
                return await insert_alarm(session, a, created)

        try:
            return list(
                await asyncio.gather(*(store(a, CREATED + i) for i, a in enumerate(alarms)))
            )
        finally:
            await engine.dispose()

    assert asyncio.run(store_all()) == [True] * 8
    listed = events.get(task_id=task)
    assert listed["total"] == 1
    primary = listed["events"][0]
    assert primary["aggregated_count"] == 8
    secondaries = events.get(f"/{primary['message_id']}/secondary", limit=100)
    assert secondaries["total"] == 7
    assert {e["primary_id"] for e in secondaries["events"]} == {primary["message_id"]}


def test_delete_a_secondary_or_a_primary(events: Events) -> None:
    events.rules(True, 10)
    task, s = unique("td").replace("-", ""), stream()
    primary, *secondary = [at(events, task, s, second) for second in (0, 5, 6, 7)]
    stored = [(a, CREATED + i) for i, a in enumerate([primary, *secondary])]
    assert seed(events.server, *stored) == [True] * 4
    assert events.get(f"/{primary.message_id}")["aggregated_count"] == 4

    # deleting a secondary uncounts it from its primary
    events.delete(secondary[0].message_id)
    assert_error(events.call("GET", f"/{secondary[0].message_id}"), 404)
    assert events.get(f"/{primary.message_id}")["aggregated_count"] == 3
    assert events.ids(f"/{primary.message_id}/secondary") == [
        secondary[2].message_id,
        secondary[1].message_id,
    ]
    # deleting a primary deletes its secondaries, with their images
    ids = [primary.message_id, secondary[1].message_id, secondary[2].message_id]
    assert stored_rows(events.server, ids) == (3, 0)
    events.delete(primary.message_id)
    for event_id in ids:
        assert_error(events.call("GET", f"/{event_id}"), 404)
    assert events.get(task_id=task, include_secondary="true") == {"total": 0, "events": []}
    assert stored_rows(events.server, ids) == (0, 0)
    # the next alarm of the key, within the deleted primary's window, is a new primary
    after = at(events, task, s, 8)
    assert seed(events.server, (after, CREATED + 9)) == [True]
    assert events.get(f"/{after.message_id}")["primary_id"] is None
