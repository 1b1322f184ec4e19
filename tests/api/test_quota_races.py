"""Quotas and limits hold under concurrent requests, on both backends: many creates fired at
once against a project five below its quota (or an order five below its ``max_tasks``) make
exactly five, and every other request gets the VIAS quota error. The rows that bring the
project near its quota are written straight into the server's database (a fresh project
each, so the counts are this test's)."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from openvias.services.video_groups import GROUP_QUOTA
from openvias.services.video_sources import SOURCE_QUOTA
from openvias.store.models import Task, VideoGroup, VideoSource
from tests.api.identity_support import Tenant, create_tenant
from tests.api.task_center import batch_body, task_body, task_center
from tests.api.test_task_orders import CONFIG, INTRUSION, create_order
from tests.api.video_center import URL_CONFIG, source_body, unique
from tests.support import Server

RACERS = 30
ROOM = 5
QUOTA_ERROR = "VIAS.00010047"
ORDER_ERROR = "VIAS.00010048"
LOOPBACK_CONFIG = URL_CONFIG.format(url="rtsp://127.0.0.1:8554/live")


def _race(server: Server, token: str, calls: Sequence[tuple[str, str, Any]]) -> list[Any]:
    """Send every (method, path, json body) at once, one thread and connection each; the
    (status, error code or None) of each answer."""
    barrier = threading.Barrier(len(calls))

    def send(call: tuple[str, str, Any]) -> tuple[int, str | None]:
        method, path, body = call
        with server.client(token) as client:
            client.get("/readyz")  # open the connection before the race starts
            barrier.wait(timeout=60)
            response = client.request(method, path, json=body)
            return response.status_code, response.json().get("error_code")

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(send, calls))


async def _in_database(server: Server, table: Table | None, rows: list[dict[str, Any]]) -> None:
    engine = create_async_engine(server.env["OPENVIAS_DATABASE_URL"])
    try:
        async with engine.begin() as connection:
            if table is not None:
                await connection.execute(insert(table), rows)
            if engine.dialect.name == "postgresql":  # what running servers' caches listen to
                await connection.execute(text("NOTIFY openvias_changes"))
    finally:
        await engine.dispose()


async def _count(server: Server, model: Any, project_id: str) -> int:
    engine = create_async_engine(server.env["OPENVIAS_DATABASE_URL"])
    try:
        async with engine.connect() as connection:
            stmt = select(func.count()).select_from(model).where(model.project_id == project_id)
            return int((await connection.execute(stmt)).scalar_one())
    finally:
        await engine.dispose()


def _fill(server: Server, model: Any, rows: list[dict[str, Any]]) -> None:
    asyncio.run(_in_database(server, model.__table__, rows))


def count(server: Server, model: Any, project_id: str) -> int:
    return asyncio.run(_count(server, model, project_id))


def _assert_exactly_room_made(answers: list[Any], error_code: str) -> None:
    tally = Counter(answers)
    assert tally == {(200, None): ROOM, (400, error_code): RACERS - ROOM}, tally


def test_parallel_group_creates_stop_at_the_quota(server: Server) -> None:
    # given a project five groups below its quota
    tenant = create_tenant(server)
    now = int(time.time() * 1000)
    rows = [
        {
            "id": str(uuid.uuid4()),
            "project_id": tenant.project_id,
            "name": f"pre-{i}",
            "description": "",
            "access_type": "cloud",
            "created_at": now,
            "updated_at": now,
        }
        for i in range(GROUP_QUOTA - ROOM)
    ]
    _fill(server, VideoGroup, rows)
    # when thirty CreateVideoGroup race
    path = f"/v2/{tenant.project_id}/video-group"
    bodies = [{"access_type": "cloud", "video_group_name": unique("g")[:20]} for _ in range(RACERS)]
    answers = _race(server, tenant.token, [("POST", path, body) for body in bodies])
    # then five are made, every other one gets the quota error, and the quota holds exactly
    _assert_exactly_room_made(answers, QUOTA_ERROR)
    assert count(server, VideoGroup, tenant.project_id) == GROUP_QUOTA


def test_parallel_source_creates_stop_at_the_quota(server: Server) -> None:
    # given a project five sources below its quota
    tenant = create_tenant(server)
    now = int(time.time() * 1000)
    rows = [
        {
            "id": str(uuid.uuid4()),
            "project_id": tenant.project_id,
            "name": f"pre-{i}",
            "access_type": "cloud",
            "type": "url",
            "type_config": LOOPBACK_CONFIG,
            "stream_path": "",
            "latitude": "",
            "longitude": "",
            "tags": [],
            "status": "offline",
            "created_at": now,
            "updated_at": now,
        }
        for i in range(SOURCE_QUOTA - ROOM)
    ]
    _fill(server, VideoSource, rows)
    # when thirty CreateVideoSource race
    path = f"/v2/{tenant.project_id}/source"
    calls = [("POST", path, source_body(type_config=LOOPBACK_CONFIG)) for _ in range(RACERS)]
    answers = _race(server, tenant.token, calls)
    # then five are made, every other one gets the quota error, and the quota holds exactly
    _assert_exactly_room_made(answers, QUOTA_ERROR)
    assert count(server, VideoSource, tenant.project_id) == SOURCE_QUOTA


def _order_project(server: Server) -> tuple[Tenant, str, str, str]:
    """A fresh project with one source in one group and an order for five running tasks."""
    tenant = create_tenant(server)
    order = create_order(server, tenant.project_id, INTRUSION, ROOM)
    with task_center(server, token=tenant.token, project_id=tenant.project_id) as tc:
        source = tc.vc.create_source(type_config=LOOPBACK_CONFIG)
        group = tc.group([source])
    return tenant, order, source, group


def test_parallel_task_creates_stop_at_the_order_limit(server: Server) -> None:
    # given an order for five running tasks, none running yet
    tenant, order, source, group = _order_project(server)
    base = f"/v2/{tenant.project_id}"
    # when thirty creates race, single tasks and batch tasks of one member each
    single = ("POST", f"{base}/services/{INTRUSION}/tasks")
    batch = ("POST", f"{base}/batch-tasks")
    calls = [
        (*single, task_body([source], config=CONFIG, resource_order_id=order))
        if i % 2
        else (
            *batch,
            batch_body(
                [(group, [source])], service_name=INTRUSION, config=CONFIG, resource_order_id=order
            ),
        )
        for i in range(RACERS)
    ]
    answers = _race(server, tenant.token, calls)
    # then five tasks are made and run under the order, every other create is refused
    _assert_exactly_room_made(answers, ORDER_ERROR)
    assert count(server, Task, tenant.project_id) == ROOM


def test_parallel_starts_stop_at_the_order_limit(server: Server) -> None:
    # given thirty stopped tasks under an order for five running tasks
    tenant, order, source, _ = _order_project(server)
    with task_center(server, token=tenant.token, project_id=tenant.project_id) as tc:
        stopped: list[str] = []
        while len(stopped) < RACERS:
            body = task_body([source] * ROOM, config=CONFIG, resource_order_id=order)
            made = tc.create_ids(body, service=INTRUSION)
            for task_id in made:
                tc.action(task_id, "stop")
            stopped += made
        # when thirty starts race
        base = f"/v2/{tenant.project_id}/tasks"
        calls = [("PUT", f"{base}/{task_id}/action/start", None) for task_id in stopped[:RACERS]]
        answers = _race(server, tenant.token, calls)
        # then five start and every other one is refused by the order
        _assert_exactly_room_made(answers, ORDER_ERROR)
        states = Counter(tc.state(task_id) for task_id in stopped)
        assert states == {"STARTING": ROOM, "STOPPED": len(stopped) - ROOM}, states
