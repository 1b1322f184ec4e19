"""Webhook delivery end to end: alarms stored as the engine stores them on a real
``openvias serve``'s database, delivered by its delivery worker to a real HTTP receiver on
loopback, and watched through ``/v2/{project_id}/deliveries``."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.task_center import task_body, task_center
from tests.sinks.delivery_support import (
    alarms,
    deliveries,
    new_task_id,
    seed,
    settled,
    wait_deliveries,
    webhook,
)
from tests.sinks.receiver import Receiver, running_receiver
from tests.support import Server, running_server

SECRET = "whsec_" + base64.b64encode(b"openvias-test-signing-key-32byte").decode()
MAX_ATTEMPTS = 4
ENV = {
    "OPENVIAS_ALLOW_PRIVATE_TARGETS": "true",
    "OPENVIAS_WEBHOOK_SIGNING_SECRET": SECRET,
    "OPENVIAS_DELIVERY_MAX_ATTEMPTS": str(MAX_ATTEMPTS),
    "OPENVIAS_DELIVERY_BACKOFF_FIRST_SECONDS": "0.05",
    "OPENVIAS_DELIVERY_BACKOFF_MAX_SECONDS": "0.2",
    "OPENVIAS_WEBHOOK_TIMEOUT_SECONDS": "1",
    # 4 in flight per target (a quarter of the concurrency).
    "OPENVIAS_DELIVERY_CONCURRENCY": "16",
}


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


@pytest.fixture(scope="module")
def server(backend: str) -> Iterator[Server]:
    with running_server(backend, **ENV) as running:
        yield running


def outcomes(delivery: dict[str, Any]) -> list[tuple[str, int | None]]:
    return [(a["outcome"], a["status_code"]) for a in delivery["history"]]


def test_delivered_with_the_envelope_headers_and_signature(
    server: Server, receiver: Receiver
) -> None:
    task = new_task_id()
    [alarm] = alarms(server, task, 1)
    url = receiver.script(f"/ok/{task}")
    seed(server, [alarm], webhook(url, **{"X-Token": "s3cret", "Host": "evil.example"}))

    [got] = receiver.wait(lambda r: len(r) == 1, f"/ok/{task}")
    assert got.json() == alarm.envelope()
    assert got.headers["content-type"] == "application/json"
    assert got.headers["x-token"] == "s3cret"
    assert got.headers["host"] == f"127.0.0.1:{receiver.port}"  # a task cannot set Host
    assert got.headers["x-openvias-delivery-id"] == alarm.message_id
    assert got.headers["webhook-id"] == alarm.message_id
    timestamp = got.headers["webhook-timestamp"]
    assert abs(int(timestamp) - time.time()) < 60
    key = base64.b64decode(SECRET.removeprefix("whsec_"))
    signed = f"{alarm.message_id}.{timestamp}.".encode() + got.body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert got.headers["webhook-signature"] == f"v1,{expected}"

    body = wait_deliveries(server, settled, task_id=task)
    [delivery] = body["deliveries"]
    assert delivery["state"] == "delivered"
    assert delivery["event_id"] == alarm.message_id
    assert delivery["sink"] == "webhook"
    assert delivery["target"]["url"] == url
    assert delivery["attempts"] == 1
    assert delivery["delivered_at"] >= delivery["created_at"]
    assert outcomes(delivery) == [("delivered", 200)]
    assert body["summary"] == {
        "pending": 0,
        "delivered": 1,
        "dead": 0,
        "last_error": None,
        "last_error_at": None,
        "last_error_delivery_id": None,
    }
    with server.client() as client:
        shown = client.get(f"/v2/{server.project_id}/deliveries/{delivery['id']}")
    assert shown.status_code == 200
    assert shown.json() == delivery
    by_event = deliveries(server, event_id=alarm.message_id.lower())
    assert [d["id"] for d in by_event["deliveries"]] == [delivery["id"]]


def test_server_errors_are_retried_until_delivered(server: Server, receiver: Receiver) -> None:
    task = new_task_id()
    [alarm] = alarms(server, task, 1)
    seed(server, [alarm], webhook(receiver.script(f"/flaky/{task}", 500, 503)))

    body = wait_deliveries(server, settled, task_id=task)
    [delivery] = body["deliveries"]
    assert delivery["state"] == "delivered"
    assert delivery["attempts"] == 3
    assert outcomes(delivery) == [("retry", 500), ("retry", 503), ("delivered", 200)]
    assert [a["attempt"] for a in delivery["history"]] == [1, 2, 3]
    assert delivery["last_error"].startswith("HTTP 503")
    got = receiver.received(f"/flaky/{task}")
    assert [r.message_id for r in got] == [alarm.message_id] * 3
    assert {r.headers["x-openvias-delivery-id"] for r in got} == {alarm.message_id}
    assert body["summary"]["last_error"].startswith("HTTP 503")


def test_a_client_error_is_dead_at_once(server: Server, receiver: Receiver) -> None:
    task = new_task_id()
    [alarm] = alarms(server, task, 1)
    seed(server, [alarm], webhook(receiver.script(f"/gone/{task}", then=404)))

    body = wait_deliveries(server, settled, task_id=task)
    [delivery] = body["deliveries"]
    assert delivery["state"] == "dead"
    assert delivery["attempts"] == 1
    assert outcomes(delivery) == [("dead", 404)]
    assert delivery["last_error"].startswith("HTTP 404")
    assert len(receiver.received(f"/gone/{task}")) == 1


def test_failing_deliveries_show_on_the_task(server: Server, receiver: Receiver) -> None:
    with task_center(server) as tc:
        [task] = tc.create_ids(task_body(tc.sources(1)))
        assert "DELIVERY_FAILING" not in tc.show(task)["status"]
        [alarm] = alarms(server, task, 1)
        seed(server, [alarm], webhook(receiver.script(f"/refused/{task}", then=403)))
        wait_deliveries(server, settled, task_id=task)
        status = tc.show(task)["status"]
    assert status.startswith("DELIVERY_FAILING: alarm deliveries 1 dead, last error: HTTP 403")
    assert "/v2/{project_id}/deliveries?task_id=" in status


def test_dead_letter_after_max_attempts_then_retry_through_the_api(
    server: Server, receiver: Receiver
) -> None:
    task = new_task_id()
    failing, fine = alarms(server, task, 2)
    seed(server, [failing], webhook(receiver.script(f"/down/{task}", then=503)))
    seed(server, [fine], webhook(receiver.script(f"/up/{task}")))

    body = wait_deliveries(server, settled, task_id=task)
    dead = next(d for d in body["deliveries"] if d["event_id"] == failing.message_id)
    done = next(d for d in body["deliveries"] if d["event_id"] == fine.message_id)
    assert dead["state"] == "dead"
    assert dead["attempts"] == MAX_ATTEMPTS
    assert outcomes(dead) == [("retry", 503)] * (MAX_ATTEMPTS - 1) + [("dead", 503)]
    assert f"gave up after {MAX_ATTEMPTS} attempts" in dead["last_error"]
    summary = body["summary"]
    assert (summary["pending"], summary["delivered"], summary["dead"]) == (0, 1, 1)
    assert summary["last_error_delivery_id"] == dead["id"]
    assert deliveries(server, task_id=task, state="dead")["total"] == 1
    assert deliveries(server, task_id=task, sink="obs")["total"] == 0

    pid = server.project_id
    with server.client() as client:
        not_dead = client.post(f"/v2/{pid}/deliveries/{done['id']}/retry")
        assert not_dead.status_code == 409, not_dead.text
        assert not_dead.json()["error_code"] == "VIAS.00090409"
        assert not_dead.json()["params"] == ["delivery_id"]
        missing = client.post(f"/v2/{pid}/deliveries/999999999/retry")
        assert missing.status_code == 404
        assert missing.json()["error_code"] == "VIAS.00010002"

        receiver.script(f"/down/{task}")  # the receiver is back
        retried = client.post(f"/v2/{pid}/deliveries/{dead['id']}/retry")
    assert retried.status_code == 200, retried.text
    assert retried.json()["state"] in ("pending", "delivered")

    body = wait_deliveries(server, settled, task_id=task)
    again = next(d for d in body["deliveries"] if d["id"] == dead["id"])
    assert again["state"] == "delivered"
    assert again["attempts"] == 1
    assert [a["attempt"] for a in again["history"]] == list(range(1, MAX_ATTEMPTS + 2))
    assert again["history"][-1]["outcome"] == "delivered"


def test_a_dead_receiver_does_not_delay_a_healthy_one(server: Server, receiver: Receiver) -> None:
    """200 alarms for a receiver that never answers in time (1 s timeout), then 20 for a
    healthy one: the healthy ones get through while most of the backlog waits untried."""
    slow_task, fast_task = new_task_id(), new_task_id()
    slow = receiver.script(f"/hang/{slow_task}", delay=3.0)
    seed(server, alarms(server, slow_task, 200), webhook(slow))
    wait_deliveries(server, lambda b: b["summary"]["last_error"] is not None, task_id=slow_task)

    seed(server, alarms(server, fast_task, 20), webhook(receiver.script(f"/fast/{fast_task}")))
    wait_deliveries(server, settled, task_id=fast_task)
    backlog = deliveries(server, task_id=slow_task, state="pending", limit=1000)
    untried = [d for d in backlog["deliveries"] if d["attempts"] == 0]
    assert len(untried) >= 150, backlog["summary"]
    assert "no answer within 1 s" in backlog["summary"]["last_error"]
    receiver.script(f"/hang/{slow_task}", then=410)  # let the backlog die quickly


def test_the_routes_are_project_scoped(server: Server) -> None:
    other = "0" * 32
    with server.client() as client:
        assert client.get(f"/v2/{other}/deliveries").status_code == 403
        assert client.post(f"/v2/{other}/deliveries/1/retry").status_code == 403
        bad = client.get(f"/v2/{server.project_id}/deliveries", params={"state": "lost"})
        assert bad.status_code == 400
        assert bad.json()["params"] == ["state"]
    with server.client(token="") as anonymous:
        assert anonymous.get(f"/v2/{server.project_id}/deliveries").status_code == 401


@pytest.fixture(scope="module")
def guarded(backend: str) -> Iterator[Server]:
    """A server with the SSRF guard on (private targets not allowed, the default)."""
    env = {k: v for k, v in ENV.items() if k != "OPENVIAS_ALLOW_PRIVATE_TARGETS"}
    with running_server(backend, **env) as running:
        yield running


def test_private_targets_are_refused(guarded: Server, receiver: Receiver) -> None:
    task = new_task_id()
    loopback, named, ftp = alarms(guarded, task, 3)
    seed(guarded, [loopback], webhook(receiver.script(f"/ssrf/{task}")))
    seed(guarded, [named], webhook(f"http://localhost:{receiver.port}/ssrf/{task}"))
    seed(guarded, [ftp], webhook(f"ftp://127.0.0.1:{receiver.port}/ssrf"))

    body = wait_deliveries(guarded, settled, task_id=task)
    by_event = {d["event_id"]: d for d in body["deliveries"]}
    for alarm in (loopback, named, ftp):
        delivery = by_event[alarm.message_id]
        assert delivery["state"] == "dead", delivery
        assert outcomes(delivery) == [("dead", None)]
    assert "127.0.0.1, a loopback address" in by_event[loopback.message_id]["last_error"]
    assert "OPENVIAS_ALLOW_PRIVATE_TARGETS" in by_event[loopback.message_id]["last_error"]
    assert "localhost resolves to" in by_event[named.message_id]["last_error"]
    assert "only http and https" in by_event[ftp.message_id]["last_error"]
    assert receiver.received(f"/ssrf/{task}") == []
