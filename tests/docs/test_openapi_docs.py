"""Every operation of ``/openapi.json`` has a summary, a description and, when it takes a
body, an example; the examples of the create and update operations are accepted by a real
server (their placeholder ids swapped for real ones)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from openvias.api.openapi_docs import (
    EXAMPLE_GROUP_ID,
    EXAMPLE_SOURCE_ID,
    EXAMPLE_TEMPLATE_ID,
    OPERATIONS,
)
from tests.support import ADMIN_PASSWORD, Server, running_server


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with running_server("sqlite") as running:
        yield running


@pytest.fixture(scope="module")
def document(server: Server) -> dict[str, Any]:
    response = httpx.get(f"{server.base_url}/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def _operations(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        operation["operationId"]: operation
        for operations in document["paths"].values()
        for operation in operations.values()
    }


def _example(document: dict[str, Any], operation_id: str, **ids: str) -> Any:
    body = _operations(document)[operation_id]["requestBody"]["content"]["application/json"]
    text = json.dumps(body["example"])
    for placeholder, real in ids.items():
        text = text.replace(placeholder, real)
    return json.loads(text)


def test_every_operation_has_a_summary_a_description_and_a_body_example(
    document: dict[str, Any],
) -> None:
    missing = []
    for operation_id, operation in _operations(document).items():
        if not operation.get("summary") or not operation.get("description"):
            missing.append(f"{operation_id}: summary or description")
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if body is not None and "example" not in body:
            missing.append(f"{operation_id}: request example")
    assert not missing, missing
    # and the table names no operation the server does not have
    assert set(OPERATIONS) <= set(_operations(document))


def test_the_create_and_update_examples_are_accepted(
    server: Server, document: dict[str, Any]
) -> None:
    def example(operation_id: str) -> Any:
        return _example(document, operation_id, **ids)

    ids: dict[str, str] = {}
    base = f"/v2/{server.project_id}"
    with server.client() as client:

        def call(method: str, path: str, operation_id: str, expect: int = 200) -> Any:
            response = client.request(method, base + path, json=example(operation_id))
            assert response.status_code == expect, (operation_id, response.text)
            return response.json()

        token = _example(document, "create_token_v3_auth_tokens_post")
        # The example names a user of its own ("alice"): schemathesis replays it with wrong
        # passwords, which must not lock out the admin the other tests sign in as.
        token["auth"]["identity"]["password"]["user"].update(name="admin", password=ADMIN_PASSWORD)
        assert httpx.post(f"{server.base_url}/v3/auth/tokens", json=token).status_code == 201

        source = call("POST", "/source", "CreateVideoSource")["video_source_id"]
        ids[EXAMPLE_SOURCE_ID] = source
        call("PUT", f"/source/{source}", "UpdateVideoSource")
        group = call("POST", "/video-group", "CreateVideoGroup")["video_group_id"]
        ids[EXAMPLE_GROUP_ID] = group
        call("PUT", f"/video-group/{group}", "UpdateVideoGroup")

        (task,) = call("POST", "/services/c-smoke-and-fire-cloud/tasks", "CreateTask")["tasks"]
        call("PUT", f"/tasks/{task['id']}", "UpdateTask")
        call("PUT", f"/services/c-smoke-and-fire-cloud/tasks/{task['id']}", "VasUpdateTask")
        client.delete(f"{base}/tasks/{task['id']}").raise_for_status()  # frees the source

        batch = call("POST", "/batch-tasks", "CreateBatchTask")["id"]
        call("PUT", f"/batch-tasks/{batch}", "UpdateBatchTask")
        saved = {**example("CreateBatchTask"), "name": "fire-saved", "is_saved_as_template": True}
        client.delete(f"{base}/batch-tasks/{batch}").raise_for_status()
        saved_batch = client.post(f"{base}/batch-tasks", json=saved)
        assert saved_batch.status_code == 200, saved_batch.text
        templates = client.get(f"{base}/templates").json()["templates"]
        ids[EXAMPLE_TEMPLATE_ID] = templates[0]["id"]
        client.delete(f"{base}/batch-tasks/{saved_batch.json()['id']}").raise_for_status()
        call(
            "POST",
            f"/templates/{ids[EXAMPLE_TEMPLATE_ID]}/batch-tasks",
            "CreateBatchTaskFromTemplate",
        )

        call("PUT", "/events/rules", "UpdateEventRules")
        services = client.get(f"{base}/algorithm/services/user").json()
        edge = next(s for s in services["service_list"] if s["deploy_type"] == "edge")
        call("POST", f"/algorithm/{edge['alg_id']}/deploy", "DeployAlgorithm")
        call("POST", "/edge-pools", "CreateEdgePool", expect=201)
