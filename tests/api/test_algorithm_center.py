"""Algorithm Center over HTTP: ListUserServices, ShowServiceDetail, Deploy/StopDeployAlgorithm.

Every 200 body is checked against the operation's schema in Huawei's definitions, every
failure against ``ErrorResponse``. Deploy/stop run in a project of their own, so that the
shared ``default`` project keeps every service running for the other tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from xml.etree import ElementTree

import httpx
import pytest

from openvias.domain.algorithm_catalogue import CATALOGUE, SERVICES, config_json_schema
from tests import spec
from tests.api.identity_support import create_tenant
from tests.support import Server

SMOKE = CATALOGUE["c-smoke-and-fire-cloud"]
FLOW = CATALOGUE["c-flowcount-edge"]
UNKNOWN_UUID4 = "9b0c6f5e-1d2a-4c3b-8e4f-5a6b7c8d9e0f"


class Algorithms:
    def __init__(self, client: httpx.Client, project_id: str) -> None:
        self.client = client
        self.base = f"/v2/{project_id}/algorithm"

    def call(self, operation: str, method: str, path: str, expect: int = 200, **kw: Any) -> Any:
        response = self.client.request(method, self.base + path, **kw)
        assert response.status_code == expect, (operation, response.text)
        assert response.headers["content-type"].startswith("application/json")
        body = response.json()
        if expect == 200:
            spec.assert_response(operation, body)
        else:
            spec.assert_error(body)
        return body

    def list(self, expect: int = 200, **params: Any) -> Any:
        return self.call("ListUserServices", "GET", "/services/user", expect, params=params)

    def show(self, service_id: str, expect: int = 200) -> Any:
        return self.call("ShowServiceDetail", "GET", f"/services/{service_id}", expect)

    def deploy(self, alg_id: str, body: Any, expect: int = 200) -> Any:
        return self.call("DeployAlgorithm", "POST", f"/{alg_id}/deploy", expect, json=body)

    def stop(self, alg_id: str, expect: int = 200) -> Any:
        return self.call("StopDeployAlgorithm", "PUT", f"/{alg_id}/deploy/stop", expect)


@pytest.fixture(scope="module")
def default_project(server: Server) -> Iterator[Algorithms]:
    with server.client() as client:
        yield Algorithms(client, server.project_id)


@pytest.fixture(scope="module")
def own_project(server: Server) -> Iterator[Algorithms]:
    """A project of its own; each test leaves every service of it running."""
    tenant = create_tenant(server)
    with server.client(tenant.token) as client:
        yield Algorithms(client, tenant.project_id)


def names(body: dict[str, Any]) -> list[str]:
    return [item["service_name"] for item in body["service_list"]]


def test_list_holds_the_catalogue_running(default_project: Algorithms) -> None:
    body = default_project.list()
    assert body["total"] == body["count"] == len(SERVICES)
    assert set(names(body)) == {s.service_name for s in SERVICES}
    smoke = next(i for i in body["service_list"] if i["service_name"] == SMOKE.service_name)
    assert (smoke["alg_id"], smoke["service_id"]) == (SMOKE.alg_id, SMOKE.service_id)
    assert smoke["alg_status"] == "service_running"
    assert smoke["function_version"] == smoke["alg_version"] == "3.0"
    assert (smoke["deploy_type"], smoke["request_mode"]) == ("cloud", "async")


def test_list_filters_sorts_and_pages(default_project: Algorithms) -> None:
    assert sorted(names(default_project.list(name_like="smoke"))) == [
        "c-smoke-and-fire-cloud",
        "c-smoke-and-fire-edge",
    ]
    assert len(names(default_project.list(name_like="烟火"))) == 2
    assert names(default_project.list(name_like="Intrusion Detection", is_paged="false")) != []
    assert default_project.list(alg_status="service_stopped")["total"] == 0
    both = default_project.list(alg_status=["service_stopped", "service_running"])
    assert both["total"] == len(SERVICES)
    first = default_project.list(is_paged="true", page_size=5, page_num=1)
    second = default_project.list(is_paged="true", page_size=5, page_num=2)
    assert (first["count"], second["count"], first["total"]) == (5, 1, 6)
    assert not set(names(first)) & set(names(second))
    assert default_project.list(is_paged="true", page_size=5, page_num=3)["count"] == 0
    created = [i["created_at"] for i in default_project.list(order_by="asc")["service_list"]]
    assert created == sorted(created)
    created = [i["created_at"] for i in default_project.list()["service_list"]]
    assert created == sorted(created, reverse=True)
    assert default_project.list(sort_name="function_version")["total"] == 6


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page_size": 4}, "page_size"),
        ({"page_size": 201}, "page_size"),
        ({"page_num": 0}, "page_num"),
        ({"page_num": 10001}, "page_num"),
        ({"order_by": "xdescx"}, "order_by"),
        ({"sort_name": "name"}, "sort_name"),
        ({"alg_status": "running"}, "alg_status"),
        ({"is_paged": "maybe"}, "is_paged"),
    ],
)
def test_list_refuses_bad_query(
    default_project: Algorithms, params: dict[str, Any], field: str
) -> None:
    body = default_project.list(expect=400, **params)
    assert body["error_code"] == "VIAS.00010001"
    assert body["params"] == [field]


def test_show_every_service(default_project: Algorithms, server: Server) -> None:
    for service in SERVICES:
        body = default_project.show(service.service_id)
        assert body["service_name"] == body["api"] == service.service_name
        assert body["alg_id"] == service.alg_id
        assert body["alg_name"] == service.title_zh
        assert body["alg_status"] == "service_running"
        assert "3.0" in body["alg_versions"]
        assert body["config_schema"] == config_json_schema(service)
        constraints = body["deployment_constraints"]
        root = ElementTree.fromstring(constraints["task_config"])
        params = [p.get("name") for p in root.iterfind("./config/common/param")]
        assert {"image_compression_ratio", "target_roi"} <= set(params)
        ElementTree.fromstring(constraints["service_config"])
        urls = {(a["request_type"], a["request_url"]) for a in body["service_api_list"]}
        create = f"/v2/{server.project_id}/services/{service.service_name}/tasks"
        assert ("POST", create) in urls
        assert "pool_id" not in body


def test_show_smoke_and_fire_config_template(default_project: Algorithms) -> None:
    body = default_project.show(SMOKE.service_id)
    root = ElementTree.fromstring(body["deployment_constraints"]["task_config"])
    param = root.find("./config/common/param[@name='video_sampling_interval']")
    assert param is not None
    assert (param.get("min"), param.get("max"), param.get("default")) == ("1", "10", "1")
    schema = body["config_schema"]["properties"]
    assert schema["fire_detection_sw"]["default"] == 1


def test_show_unknown_and_malformed_ids(default_project: Algorithms) -> None:
    missing = default_project.show(UNKNOWN_UUID4, expect=404)
    assert (missing["error_code"], missing["params"]) == ("VIAS.00010002", ["service_id"])
    malformed = default_project.show("not-a-uuid", expect=400)
    assert (malformed["error_code"], malformed["params"]) == ("VIAS.00010001", ["service_id"])
    upper = default_project.show(SMOKE.service_id.upper(), expect=400)
    assert upper["params"] == ["service_id"]


def test_stop_then_deploy(own_project: Algorithms) -> None:
    assert own_project.stop(SMOKE.alg_id) == {"alg_id": SMOKE.alg_id}
    assert own_project.stop(SMOKE.alg_id) == {"alg_id": SMOKE.alg_id}  # idempotent
    stopped = own_project.list(alg_status="service_stopped")
    assert names(stopped) == [SMOKE.service_name]
    assert own_project.list(alg_status="service_running")["total"] == len(SERVICES) - 1
    assert own_project.show(SMOKE.service_id)["alg_status"] == "service_stopped"

    deployed = own_project.deploy(
        SMOKE.alg_id,
        {"stream_count": 4, "pool_id": "pool_1-a", "deploy_config": {"sub_scene": "common"}},
    )
    assert deployed == {"alg_name": SMOKE.title_zh}
    detail = own_project.show(SMOKE.service_id)
    assert detail["alg_status"] == "service_running"
    assert detail["pool_id"] == "pool_1-a"
    assert own_project.list(alg_status="service_stopped")["total"] == 0


def test_deploy_a_running_service_and_huawei_example(own_project: Algorithms) -> None:
    example = spec.operation("DeployAlgorithm")[2]["x-request-examples-1"]
    body = {**example, "pool_id": "ed9f128bf7d04f5683f0efabcdefa255"}
    assert own_project.deploy(FLOW.alg_id, body) == {"alg_name": FLOW.title_zh}
    assert own_project.deploy(FLOW.alg_id, {"stream_count": 10000, "envs": {"A": "b"}})
    assert "pool_id" not in own_project.show(FLOW.service_id)


def test_projects_do_not_share_state(own_project: Algorithms, default_project: Algorithms) -> None:
    own_project.stop(FLOW.alg_id)
    assert own_project.show(FLOW.service_id)["alg_status"] == "service_stopped"
    assert default_project.show(FLOW.service_id)["alg_status"] == "service_running"
    own_project.deploy(FLOW.alg_id, {"stream_count": 1})


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "stream_count"),
        ({"stream_count": 0}, "stream_count"),
        ({"stream_count": 10001}, "stream_count"),
        ({"stream_count": True}, "stream_count"),
        ({"stream_count": "1"}, "stream_count"),
        ({"stream_count": 1.5}, "stream_count"),
        ({"stream_count": 1, "pool_id": "a/b"}, "pool_id"),
        ({"stream_count": 1, "pool_id": "x" * 65}, "pool_id"),
        ({"stream_count": 1, "envs": {"A": 1}}, "envs.A"),
        ({"stream_count": 1, "envs": ["A"]}, "envs"),
        ({"stream_count": 1, "deploy_config": "x"}, "deploy_config"),
        ([1], "body"),
    ],
)
def test_deploy_refuses_bad_bodies(own_project: Algorithms, body: Any, field: str) -> None:
    own_project.stop(SMOKE.alg_id)
    answer = own_project.deploy(SMOKE.alg_id, body, expect=400)
    assert answer["error_code"] == "VIAS.00010001"
    assert answer["params"] == [field]
    assert own_project.show(SMOKE.service_id)["alg_status"] == "service_stopped"
    own_project.deploy(SMOKE.alg_id, {"stream_count": 1})


def test_deploy_and_stop_unknown_or_malformed_alg(own_project: Algorithms) -> None:
    for answer in (
        own_project.deploy(UNKNOWN_UUID4, {"stream_count": 1}, expect=404),
        own_project.stop(UNKNOWN_UUID4, expect=404),
    ):
        assert (answer["error_code"], answer["params"]) == ("VIAS.00010002", ["alg_id"])
    # a service id is not an algorithm id
    own_project.stop(SMOKE.service_id, expect=404)
    malformed = own_project.stop("068ed4d8-077e-3ec9-aa19-bc0000e925", expect=400)
    assert malformed["params"] == ["alg_id"]


def test_deploy_without_body(own_project: Algorithms) -> None:
    response = own_project.client.post(f"{own_project.base}/{SMOKE.alg_id}/deploy")
    assert response.status_code == 400, response.text
    spec.assert_error(response.json())


def test_other_projects_are_forbidden(own_project: Algorithms, server: Server) -> None:
    client = own_project.client  # its tenant's token, not granted project "default"
    response = client.get(f"/v2/{server.project_id}/algorithm/services/user")
    assert response.status_code == 403, response.text
    response = client.put(f"/v2/{server.project_id}/algorithm/{SMOKE.alg_id}/deploy/stop")
    assert response.status_code == 403, response.text
    with server.client("bogus") as anonymous:
        response = anonymous.get(f"/v2/{server.project_id}/algorithm/services/user")
        assert response.status_code == 401, response.text
