"""The Overview summary (openvias extension): ``GET /v2/{project_id}/overview`` counts what
the console's first page shows, each count equal to the ``total`` of the list call it
stands for; another project's data is not counted; ``tz`` says when the user's day begins.

Tasks and alarms are stored directly (states the API would take minutes to reach); the
failed delivery goes through the delivery worker's own write path (``record``)."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from openvias.domain.clock import now_ms
from openvias.store.models import Delivery, Task
from openvias.store.repositories.deliveries import AttemptResult, enqueue_deliveries, record
from tests.api.event_support import INTRUSION, SMOKE, alarm, on_db, seed
from tests.api.identity_support import assert_error
from tests.api.video_center import other_project, unique
from tests.support import Server

TASK_STATES = {"RUNNING": 3, "FAILED": 7, "STOPPED": 2, "ABNORMAL": 1}
WEBHOOK = {"webhook": {"url": "https://alarms.example.com/hook"}}
DAY = 86_400


def _tasks(project_id: str, created: int) -> list[dict[str, Any]]:
    rows = []
    for state, n in TASK_STATES.items():
        for i in range(n):
            rows.append(
                {
                    "id": unique("t").replace("-", "")[:32].ljust(32, "0"),
                    "project_id": project_id,
                    "name": f"{state.lower()}-{i}",
                    "service_name": SMOKE,
                    "service_version": "1.0",
                    "input_type": "vis",
                    "input": {},
                    "state": state,
                    "desired_state": "stopped",
                    "created_at": created + i,
                    "updated_at": created + i,
                }
            )
    return rows


def _seed_project(project: Server) -> None:
    """Tasks in four states; alarms now, a day ago, ten days ago, of two services, one
    reviewed; a webhook delivery per alarm, one of them dead after a failed attempt."""
    pid = project.project_id
    task_rows = _tasks(pid, now_ms())
    task = task_rows[0]["id"]
    now = int(time.time())
    alarms = [
        alarm(pid, task, 1_000, timestamp=now - 60),
        alarm(pid, task, 2_000, timestamp=now - 120),
        alarm(pid, task, 3_000, timestamp=now - DAY - 60),
        alarm(pid, task, 4_000, timestamp=now - 10 * DAY),
        alarm(pid, task, 5_000, timestamp=now - 30, service_name=INTRUSION, event_type=196609),
    ]

    async def store(session: AsyncSession) -> None:
        await session.execute(insert(Task), task_rows)
        for a in alarms:
            # due in an hour: the server's delivery worker leaves them alone meanwhile
            await enqueue_deliveries(session, a, WEBHOOK, now_ms() + 3_600_000)

    seed(project, *[(a, now_ms()) for a in alarms])
    on_db(project, store)
    with project.client() as client:
        reviewed = client.put(
            f"/v2/{pid}/events/{alarms[1].message_id}/review",
            json={"result": "approved", "comment": ""},
        )
        assert reviewed.status_code == 200, reviewed.text

    async def fail_one(session: AsyncSession) -> None:
        doomed = alarms[0].message_id
        await session.execute(
            update(Delivery).where(Delivery.event_id == doomed).values(locked_by="w1")
        )
        delivery_id = await session.scalar(
            Delivery.__table__.select()
            .with_only_columns(Delivery.id)
            .where(Delivery.event_id == doomed)
        )
        started = now_ms() - 5_000
        await record(
            session,
            [
                AttemptResult(
                    delivery_id=int(delivery_id or 0),
                    attempts_before=0,
                    started_at=started,
                    duration_ms=12,
                    outcome="dead",
                    status_code=410,
                    detail="HTTP 410: Gone",
                    next_attempt_at=0,
                    finished_at=started + 12,
                )
            ],
            "w1",
        )

    on_db(project, fail_one)


@pytest.fixture(scope="module")
def project(server: Server) -> Server:
    seeded = other_project(server, "overview")
    _seed_project(seeded)
    # Another project holds the same data: none of it may count.
    _seed_project(other_project(server, "noise"))
    return seeded


def _get(project: Server, path: str, **params: Any) -> Any:
    with project.client() as client:
        response = client.get(f"/v2/{project.project_id}{path}", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_counts_equal_the_list_endpoints(project: Server) -> None:
    overview = _get(project, "/overview", tz="Asia/Shanghai")
    assert set(overview) == {"tasks", "alarms", "deliveries"}

    tasks = overview["tasks"]
    assert tasks["total"] == _get(project, "/tasks", page_size=5)["total"] == 13
    by_state = {row["state"]: row for row in tasks["by_state"]}
    assert {state: row["total"] for state, row in by_state.items()} == TASK_STATES
    for state, row in by_state.items():
        listed = _get(project, "/tasks", task_state=state, page_size=5)
        assert row["total"] == listed["total"]
        # names only where the Overview asks for attention: the newest five
        expected = [t["name"] for t in listed["tasks"]] if state in {"FAILED", "ABNORMAL"} else []
        assert row["names"] == expected
    assert by_state["FAILED"]["names"] == [f"failed-{i}" for i in (6, 5, 4, 3, 2)]

    alarms = overview["alarms"]
    today, week = alarms["today_start"], alarms["week_start"]

    def events(**params: Any) -> int:
        return int(_get(project, "/events", limit=1, **params)["total"])

    assert alarms["today"] == events(start_time=today)
    assert alarms["week"] == events(start_time=week)
    assert alarms["pending_review"] == events(start_time=week, review_state="pending")
    assert alarms["week"] >= 3  # the four recent alarms, the day-old one maybe last week
    for row in alarms["per_service"]:
        name = row["service_name"]
        assert row["today"] == events(start_time=today, service_name=name)
        assert row["week"] == events(start_time=week, service_name=name)
    assert {row["service_name"] for row in alarms["per_service"]} == {SMOKE, INTRUSION}

    summary = _get(project, "/deliveries", limit=1)["summary"]
    assert overview["deliveries"] == summary
    assert (summary["dead"], summary["pending"]) == (1, 4)
    assert summary["last_error"] == "HTTP 410: Gone"


@pytest.mark.parametrize("tz", ["UTC", "Asia/Shanghai", "America/Los_Angeles"])
def test_today_and_week_begin_at_the_users_midnight(project: Server, tz: str) -> None:
    alarms = _get(project, "/overview", tz=tz)["alarms"]
    zone = ZoneInfo(tz)
    today = datetime.fromtimestamp(alarms["today_start"], zone)
    week = datetime.fromtimestamp(alarms["week_start"], zone)
    assert today.date() == datetime.now(zone).date()
    assert (today.hour, today.minute, week.hour, week.minute) == (0, 0, 0, 0)
    assert week.weekday() == 0
    assert 0 <= (today.date() - week.date()).days < 7


def test_an_unknown_time_zone_is_a_vias_400(project: Server) -> None:
    for tz in ("Mars/Olympus_Mons", "../etc/passwd", ""):
        with project.client() as client:
            response = client.get(f"/v2/{project.project_id}/overview", params={"tz": tz})
        body = assert_error(response, 400)
        assert body["error_code"] == "VIAS.00010001"


def test_another_projects_token_sees_only_its_own(project: Server, server: Server) -> None:
    empty = other_project(server, "empty")
    overview = _get(empty, "/overview")
    assert overview["tasks"] == {"total": 0, "by_state": []}
    assert (overview["alarms"]["week"], overview["alarms"]["per_service"]) == (0, [])
    assert (overview["deliveries"]["dead"], overview["deliveries"]["last_error"]) == (0, None)
    with empty.client() as client:
        response = client.get(f"/v2/{project.project_id}/overview")
    assert response.status_code in (401, 403), response.text
