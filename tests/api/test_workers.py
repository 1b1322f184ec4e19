"""``GET /v2/{project_id}/workers`` (an openvias extension): every registered worker with
its slots and heartbeat, and among the tasks it runs only those of the caller's project."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.api.worker_support import Fleet, make_fleet
from tests.support import Server


@pytest.fixture(scope="module")
def fleet(server: Server) -> Fleet:
    return make_fleet(server)


@pytest.fixture(scope="module")
def http(server: Server) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client


def workers_of(http: httpx.Client, project_id: str) -> dict[str, dict[str, Any]]:
    answer = http.get(f"/v2/{project_id}/workers")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["count"] == len(body["workers"])
    return {w["id"]: w for w in body["workers"]}


def test_a_project_sees_every_worker_and_only_its_tasks(
    server: Server, http: httpx.Client, fleet: Fleet
) -> None:
    mine = workers_of(http, server.project_id)
    busy, idle = mine[fleet.busy], mine[fleet.idle]
    assert (busy["pool"], busy["live"], busy["draining"]) == ("default", True, False)
    assert (busy["host"], busy["pid"], busy["version"]) == ("host-1", 7, "0.test")
    assert (busy["slots"], busy["slots_used"], busy["slots_free"]) == (4, 2, 2)
    assert 1_000 <= busy["heartbeat_age_ms"] < 60_000
    assert [t["task_id"] for t in busy["tasks"]] == [fleet.own_task]
    (lease,) = busy["tasks"]
    assert 2_000 <= lease["lease_age_ms"] < 13_000
    assert 0 < lease["lease_expires_in_ms"] <= 13_000
    assert (idle["pool"], idle["live"], idle["draining"], idle["tasks"]) == (
        "edge-a",
        False,
        True,
        [],
    )

    with server.client(fleet.tenant.token) as other:
        theirs = workers_of(other, fleet.tenant.project_id)
    assert [t["task_id"] for t in theirs[fleet.busy]["tasks"]] == [fleet.foreign_task]
    assert theirs[fleet.busy]["slots_used"] == 2  # workers are shared: the same numbers


def test_the_listing_needs_a_token_of_the_project(
    server: Server, http: httpx.Client, fleet: Fleet
) -> None:
    assert httpx.get(f"{server.base_url}/v2/{server.project_id}/workers").status_code == 401
    answer = http.get(f"/v2/{fleet.tenant.project_id}/workers")
    assert answer.status_code == 403, answer.text
