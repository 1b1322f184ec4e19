"""O&M Center edge pools against a real server: the four operations checked against Huawei's
definitions, a pool's nodes from the workers registered under its name, tasks pinned to a
pool (an unknown pool refused, nothing stored), and a pool in use kept."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from openvias.domain.clock import now_ms
from openvias.store.models import EngineWorker, Task
from tests import spec
from tests.api.event_support import on_db
from tests.api.identity_support import create_tenant
from tests.api.vas_support import SMOKE, vas_body
from tests.support import Server


@pytest.fixture(scope="module")
def http(server: Server) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client


def pool_name() -> str:
    return f"pool-{uuid.uuid4().hex[:10]}"


def pools(server: Server) -> str:
    return f"/v2/{server.project_id}/edge-pools"


def create_pool(http: httpx.Client, server: Server, **overrides: Any) -> str:
    body = {"name": pool_name(), "nodes": ["node-a"], "description": "cameras", **overrides}
    response = http.post(pools(server), json=body)
    assert response.status_code == 201, response.text
    spec.assert_response("CreateEdgePool", response.json(), 201)
    return str(response.json()["id"])


def show(http: httpx.Client, server: Server, pool_id: str) -> dict[str, Any]:
    response = http.get(f"{pools(server)}/{pool_id}")
    assert response.status_code == 200, response.text
    spec.assert_response("ShowEdgePoolInfo", response.json())
    body: dict[str, Any] = response.json()
    return body


def listed(http: httpx.Client, server: Server, **params: Any) -> dict[str, Any]:
    response = http.get(pools(server), params=params)
    assert response.status_code == 200, response.text
    spec.assert_response("ListEdgePools", response.json())
    body: dict[str, Any] = response.json()
    return body


def refused(response: httpx.Response, status: int, code: str, param: str) -> None:
    assert response.status_code == status, response.text
    spec.assert_error(response.json())
    assert response.json()["error_code"] == code, response.text
    assert response.json()["params"] == [param], response.text


def register(server: Server, worker_id: str, pool: str, *, age_ms: int, **fields: Any) -> None:
    """A worker row as ``openvias worker`` registers it, last heard from ``age_ms`` ago."""
    now = now_ms()
    row = {"slots": 8, "used": 3, "host": "edge-host-1", "pid": 4242, "version": "test"}
    row.update(fields)

    async def add(session: AsyncSession) -> None:
        session.add(
            EngineWorker(
                id=worker_id, pool=pool, started_at=now - 60_000, heartbeat_at=now - age_ms, **row
            )
        )

    on_db(server, add)


def stored_pool_ids(server: Server, task_name: str) -> list[str | None]:
    async def read(session: AsyncSession) -> list[str | None]:
        rows = await session.scalars(select(Task.edge_pool_id).where(Task.name == task_name))
        return list(rows)

    return on_db(server, read)


def test_a_pool_shows_the_workers_of_its_name(server: Server, http: httpx.Client) -> None:
    name = pool_name()
    pool_id = create_pool(http, server, name=name, nodes=["named-only", "w-live"])
    assert len(pool_id) == 32
    before = show(http, server, pool_id)
    assert (before["name"], before["description"], before["state"]) == (name, "cameras", "Abnormal")
    assert before["project_id"] == server.project_id
    assert [(n["id"], n["state"]) for n in before["nodes"]] == [
        ("named-only", "FAIL"),
        ("w-live", "FAIL"),
    ]

    live, gone, leaving = (f"{name}-{k}" for k in ("w-live", "w-gone", "w-leaving"))
    register(server, live, name, age_ms=1_000)
    register(server, gone, name, age_ms=120_000, used=0)
    register(server, leaving, name, age_ms=500, draining=True)
    register(server, f"{name}-other", "default", age_ms=0)
    after = show(http, server, pool_id)
    assert after["state"] == "Running"
    nodes = {n["id"]: n for n in after["nodes"]}
    assert set(nodes) == {live, gone, leaving, "named-only", "w-live"}
    assert nodes[live]["state"] == "Running"
    assert (nodes[live]["slots"], nodes[live]["slots_used"], nodes[live]["slots_free"]) == (8, 3, 5)
    assert nodes[live]["name"] == "edge-host-1"
    assert 1_000 <= nodes[live]["heartbeat_age_ms"] < 120_000
    assert nodes[gone]["state"] == "FAIL"
    assert nodes[gone]["slots_free"] == 0
    assert nodes[leaving]["state"] == "Draining"
    assert nodes[leaving]["draining"] is True
    assert "heartbeat_age_ms" not in nodes["named-only"]


def test_list_filters_sorts_and_pages(server: Server, http: httpx.Client) -> None:
    tag = uuid.uuid4().hex[:6]
    names = [f"list-{tag}-{i}" for i in range(3)]
    ids = [create_pool(http, server, name=n) for n in names]
    register(server, f"{names[1]}-w", names[1], age_ms=0)

    def found(**params: Any) -> list[str]:
        return [
            p["id"] for p in listed(http, server, name_like=f"list-{tag}", **params)["edge_pools"]
        ]

    assert found() == ids[::-1]  # created_at, newest first
    assert found(order_by="asc", sort_name="updated_at") == ids
    assert found(state="Running") == [ids[1]]
    assert found(state="Abnormal") == [ids[2], ids[0]]
    page = listed(http, server, name_like=f"list-{tag}", is_paged="true", page_size=2, page_num=2)
    assert page["count"] == 3
    assert [p["id"] for p in page["edge_pools"]] == [ids[0]]
    item = next(p for p in listed(http, server)["edge_pools"] if p["id"] == ids[1])
    assert (item["name"], item["state"], item["workspace_id"]) == (names[1], "Running", "0")


def test_names_are_unique_across_projects(server: Server, http: httpx.Client) -> None:
    name = pool_name()
    create_pool(http, server, name=name)
    refused(
        http.post(pools(server), json={"name": name, "nodes": ["n"]}), 409, "VIAS.00010003", "name"
    )
    tenant = create_tenant(server)
    with server.client(tenant.token) as other:
        answer = other.post(
            f"/v2/{tenant.project_id}/edge-pools", json={"name": name, "nodes": ["n"]}
        )
        refused(answer, 409, "VIAS.00010003", "name")
    assert [p["name"] for p in listed(http, server, name_like=name)["edge_pools"]] == [name]


def test_tasks_run_on_a_pool_of_their_project(server: Server, http: httpx.Client) -> None:
    pool_id = create_pool(http, server)
    tasks = f"/v2/{server.project_id}/services/{SMOKE}/tasks"
    task_name = f"t-{uuid.uuid4().hex[:10]}"

    unknown = uuid.uuid4().hex
    refused(
        http.post(tasks, json=vas_body(task_name, edge_pool_id=unknown)),
        400,
        "VIAS.00010002",
        "edge_pool_id",
    )
    assert stored_pool_ids(server, task_name) == []
    tenant = create_tenant(server)
    with server.client(tenant.token) as other:
        foreign = f"/v2/{tenant.project_id}/services/{SMOKE}/tasks"
        answer = other.post(foreign, json=vas_body(task_name, edge_pool_id=pool_id))
        refused(answer, 400, "VIAS.00010002", "edge_pool_id")
    assert stored_pool_ids(server, task_name) == []

    created = http.post(tasks, json=vas_body(task_name, edge_pool_id=pool_id))
    assert created.status_code == 201, created.text
    (task,) = created.json()
    assert stored_pool_ids(server, task_name) == [pool_id]
    shown = http.get(f"{tasks}/{task['id']}")
    assert shown.json()["edge_pool_id"] == pool_id

    plain = f"t-{uuid.uuid4().hex[:10]}"
    assert http.post(tasks, json=vas_body(plain)).status_code == 201
    assert stored_pool_ids(server, plain) == [None]


def test_a_pool_in_use_is_kept(server: Server, http: httpx.Client) -> None:
    pool_id = create_pool(http, server)
    tasks = f"/v2/{server.project_id}/services/{SMOKE}/tasks"
    created = http.post(tasks, json=vas_body(f"t-{uuid.uuid4().hex[:10]}", edge_pool_id=pool_id))
    assert created.status_code == 201, created.text
    (task,) = created.json()

    refused(http.delete(f"{pools(server)}/{pool_id}"), 409, "VIAS.00010051", "id")
    assert show(http, server, pool_id)["id"] == pool_id

    assert http.delete(f"{tasks}/{task['id']}").status_code == 202  # VAS: accepted
    gone = http.delete(f"{pools(server)}/{pool_id}")
    assert gone.status_code == 204, gone.text
    assert gone.content == b""
    refused(http.get(f"{pools(server)}/{pool_id}"), 404, "VIAS.00010002", "id")
    refused(http.delete(f"{pools(server)}/{pool_id}"), 404, "VIAS.00010002", "id")


def test_another_projects_pool_is_not_found(server: Server, http: httpx.Client) -> None:
    pool_id = create_pool(http, server)
    tenant = create_tenant(server)
    with server.client(tenant.token) as other:
        base = f"/v2/{tenant.project_id}/edge-pools"
        refused(other.get(f"{base}/{pool_id}"), 404, "VIAS.00010002", "id")
        refused(other.delete(f"{base}/{pool_id}"), 404, "VIAS.00010002", "id")
        assert other.get(base).json() == {"count": 0, "edge_pools": []}
    assert show(http, server, pool_id)["id"] == pool_id
