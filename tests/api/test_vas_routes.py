"""The VAS legacy routes over plain HTTP: the shared create path (VIAS or VAS, told apart by
the body, then by the signature), validation (400 in the VIAS error format), service scoping
(404), and how tasks of either API look through the other."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests import spec
from tests.api.identity_support import assert_error
from tests.api.vas_support import (
    COMMON,
    HOOK,
    SMOKE,
    STREAM,
    WEEKLY,
    Keys,
    access_keys,
    assert_vas,
    signed_post,
    vas_body,
)
from tests.api.video_center import video_center
from tests.support import Server

FLOW = "c-flowcount-cloud"
URL_INPUT = {"type": "url", "data": [{"url": STREAM}]}


@pytest.fixture(scope="module")
def http(server: Server) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client


@pytest.fixture(scope="module")
def keys(server: Server) -> Keys:
    return access_keys(server)


@pytest.fixture(scope="module")
def pool_id(server: Server, http: httpx.Client) -> str:
    """An edge pool of the project: a task's ``edge_pool_id`` must name one."""
    body = {"name": f"vas-{uuid.uuid4().hex[:10]}", "nodes": ["node-1"]}
    response = http.post(f"/v2/{server.project_id}/edge-pools", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def name() -> str:
    return f"t-{uuid.uuid4().hex[:10]}"


def tasks(server: Server, service: str = SMOKE) -> str:
    return f"/v2/{server.project_id}/services/{service}/tasks"


def plain_body(**overrides: Any) -> dict[str, Any]:
    """A body both APIs accept: no key of either one alone."""
    body: dict[str, Any] = {
        "name": name(),
        "service_version": "3.0",
        "input": URL_INPUT,
        "output": {"webhook": HOOK},
    }
    body.update(overrides)
    return body


def is_vias_answer(response: httpx.Response) -> bool:
    assert response.status_code in (200, 201), response.text
    if response.status_code == 200:
        spec.assert_response("CreateTask", response.json())
        return True
    assert_vas("CreateTasks", response.json(), 201)
    return False


def create(http: httpx.Client, server: Server, body: dict[str, Any]) -> str:
    response = http.post(tasks(server), json=body)
    assert response.status_code == 201, response.text
    assert_vas("CreateTasks", response.json(), 201)
    (item,) = response.json()
    return str(item["id"])


def show(http: httpx.Client, server: Server, task_id: str, service: str = SMOKE) -> Any:
    response = http.get(f"{tasks(server, service)}/{task_id}")
    assert response.status_code == 200, response.text
    assert_vas("ShowTask", response.json(), 200)
    return response.json()


def params_of(response: httpx.Response, status: int = 400) -> list[str]:
    body = assert_error(response, status)
    spec.assert_error(body)
    return list(body["params"])  # type: ignore[call-overload]


# -- one path, two operations ------------------------------------------------------------


def test_each_operation_is_answered_in_its_own_shape(server: Server, http: httpx.Client) -> None:
    vias = http.post(tasks(server), json=plain_body(config={"common": {}}))
    assert vias.status_code == 200, vias.text
    assert list(vias.json()) == ["tasks"]
    vas = http.post(tasks(server), json=vas_body(name()))
    assert vas.status_code == 201, vas.text
    assert isinstance(vas.json(), list)
    assert not is_vias_answer(vas)


def test_a_body_both_accept_follows_the_signature(
    server: Server, http: httpx.Client, keys: Keys
) -> None:
    assert is_vias_answer(http.post(tasks(server), json=plain_body()))
    assert not is_vias_answer(signed_post(server, keys, tasks(server), plain_body()))


VAS_MARKERS = {
    "service_config": {"service_config": {"common": COMMON}},
    "timing": {"timing": WEEKLY},
    "edge_pool_id": {"edge_pool_id": "ab" * 16},
    "vis": {"input": {"type": "vis", "data": [{"stream_name": "stream-1"}]}},
    "edgecamera": {"input": {"type": "edgecamera", "data": [{"id": "cam-1"}]}},
    "edgerestful": {
        "input": {
            "type": "edgerestful",
            "data": [
                {
                    "url": "https://media.example/streams",
                    "certificate_check": False,
                    "rtsp_path_in_response": "data/url",
                }
            ],
        }
    },
    "hosting": {"output": {"hosting": {"data_category": ["alarm"]}}},
    "localpath": {"output": {"localpath": {"mount_source_path": "/mnt/results"}}},
}


@pytest.mark.parametrize("marker", sorted(VAS_MARKERS))
def test_vas_keys_make_it_vas_even_with_a_token(
    server: Server, http: httpx.Client, marker: str, pool_id: str
) -> None:
    body = plain_body(**VAS_MARKERS[marker])
    if marker == "edge_pool_id":
        body["edge_pool_id"] = pool_id
    assert not is_vias_answer(http.post(tasks(server), json=body))


VIAS_MARKERS = {
    "config": {"config": {"common": {"fire_detection_sw": 1}}},
    "schedule": {"schedule": {**WEEKLY, "periods": [WEEKLY["periods"]]}},
    "is_saved_as_template": {"is_saved_as_template": False},
    "restful": {
        "input": {
            "type": "restful",
            "data": [{"url": "https://media.example/s", "rtsp_path_in_response": "data/url"}],
        }
    },
    "event_center": {"output": {"webhook": HOOK, "event_center": True}},
}


@pytest.mark.parametrize("marker", sorted(VIAS_MARKERS))
def test_vias_keys_make_it_vias_even_when_signed(server: Server, keys: Keys, marker: str) -> None:
    body = plain_body(**VIAS_MARKERS[marker])
    assert is_vias_answer(signed_post(server, keys, tasks(server), body))


def test_a_video_source_input_makes_it_vias(server: Server, keys: Keys) -> None:
    with video_center(server) as vc:
        source_id = vc.create_source()
    body = plain_body(input={"type": "video_source", "data": [{"video_source_id": source_id}]})
    assert is_vias_answer(signed_post(server, keys, tasks(server), body))


def test_the_body_is_validated_by_the_chosen_model(server: Server, http: httpx.Client) -> None:
    # VAS keys, VIAS-only input type: refused by the VAS model
    body = vas_body(name(), input={"type": "video_source", "data": [{"video_source_id": "abcd"}]})
    assert params_of(http.post(tasks(server), json=body)) == ["input.type"]
    # VIAS keys, VAS-only field value: refused by the VIAS model
    body = plain_body(config={"common": {}}, service_version="x")
    assert params_of(http.post(tasks(server), json=body)) == ["service_version"]
    body = plain_body(config={"common": {}})
    del body["name"]
    assert params_of(http.post(tasks(server), json=body)) == ["name"]
    assert params_of(http.post(tasks(server), json=[1])) == ["body"]
    for odd in ({}, [], 1, None):  # not a type name: no marker, then the model refuses it
        body = plain_body(input={"type": odd, "data": [{}]}, output={"webhook": None})
        assert params_of(http.post(tasks(server), json=body)) == ["input.type"]
    assert params_of(http.post(tasks(server), content=b"{", headers=JSON)) == ["body"]


JSON = {"Content-Type": "application/json"}


# -- validation of VAS bodies ------------------------------------------------------------

DAILY_FREQUENCY = {
    "type": "daily",
    "timezone": "-03:30",
    "frequency": {"interval": 30, "duration": 10, "begin_at": "06:00:00"},
}
BAD_CREATES: dict[str, tuple[dict[str, Any], str]] = {
    "name-pattern": ({"name": "bad name!"}, "name"),
    "name-newline": ({"name": "cam\n"}, "name"),
    "version": ({"service_version": "3"}, "service_version"),
    "edge-pool": ({"edge_pool_id": "pool"}, "edge_pool_id"),
    "order": ({"resource_order_id": "order-1"}, "resource_order_id"),
    "input-type": ({"input": {"type": "rtmp", "data": [{}]}}, "input.type"),
    "input-no-url": ({"input": {"type": "url", "data": [{}]}}, "input"),
    "input-bad-url": ({"input": {"type": "url", "data": [{"url": "x"}]}}, "input.data.url"),
    "input-no-data": ({"input": {"type": "url", "data": []}}, "input.data"),
    "vcn-missing": (
        {"input": {"type": "vcn", "data": [{"device_id": f"{'1' * 20}#{'a' * 32}"}]}},
        "input",
    ),
    "obs-path-newline": (
        {"input": {"type": "obs", "data": [{"bucket": "bucket1", "path": "in/a.mp4\n"}]}},
        "input.data.path",
    ),
    "output-empty": ({"output": {}}, "output"),
    "webhook-headers": (
        {"output": {"webhook": {"url": HOOK["url"], "headers": {}}}},
        "output.webhook.headers",
    ),
    "localpath": (
        {"output": {"localpath": {"mount_source_path": "relative"}}},
        "output.localpath.mount_source_path",
    ),
    "service-config-empty": ({"service_config": {}}, "service_config"),
    "service-config-value": (
        {"service_config": {"common": {"video_sampling_interval": 99}}},
        "service_config.common.video_sampling_interval",
    ),
    "timing-type": ({"timing": {**WEEKLY, "type": "hourly"}}, "timing.type"),
    "timing-zone": ({"timing": {**WEEKLY, "timezone": "Asia/Shanghai"}}, "timing.timezone"),
    "timing-clock": (
        {"timing": {**WEEKLY, "periods": [{"begin_at": "08:00", "end_at": "18:00:00"}]}},
        "timing.periods.begin_at",
    ),
    "timing-hour": (
        {"timing": {**WEEKLY, "periods": [{"begin_at": "25:00:00", "end_at": "26:00:00"}]}},
        "timing.periods.begin_at",
    ),
    "timing-no-days": ({"timing": {**WEEKLY, "days_of_week": None}}, "timing"),
    "timing-repeated-day": ({"timing": {**WEEKLY, "days_of_week": [1, 1]}}, "timing.days_of_week"),
    "timing-both": (
        {"timing": {**WEEKLY, "frequency": DAILY_FREQUENCY["frequency"]}},
        "timing",
    ),
    "timing-once-clock": ({"timing": {**WEEKLY, "type": "once"}}, "timing"),
    "frequency-interval": (
        {"timing": {**DAILY_FREQUENCY, "frequency": {"interval": 1, "duration": 10}}},
        "timing.frequency.interval",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_CREATES))
def test_bad_vas_bodies_are_400(server: Server, http: httpx.Client, case: str) -> None:
    overrides, param = BAD_CREATES[case]
    before = http.get(tasks(server), params={"limit": 1}).json()["count"]
    assert params_of(http.post(tasks(server), json=vas_body(name(), **overrides))) == [param]
    assert http.get(tasks(server), params={"limit": 1}).json()["count"] == before


def test_good_timings_are_kept_as_given(server: Server, http: httpx.Client) -> None:
    once = {
        "type": "once",
        "timezone": "+00:00",
        "periods": [{"begin_at": "2030-01-02T08:00:00", "end_at": "2030-01-02T09:00:00"}],
    }
    monthly = {**DAILY_FREQUENCY, "type": "monthly", "days_of_month": [1, 15]}
    for timing in (DAILY_FREQUENCY, once, monthly):
        task_id = create(http, server, vas_body(name(), timing=timing))
        assert show(http, server, task_id)["timing"] == timing


# -- scoping: unknown services, unknown and foreign tasks ---------------------------------


def test_unknown_service_or_version_is_404(server: Server, http: httpx.Client) -> None:
    unknown = tasks(server, "no-such-service")
    assert params_of(http.post(unknown, json=vas_body(name())), 404) == ["service_name"]
    assert params_of(http.get(unknown), 404) == ["service_name"]
    assert params_of(http.get(f"{unknown}/{uuid.uuid4().hex}"), 404) == ["service_name"]
    body = vas_body(name(), service_version="9.9")
    assert params_of(http.post(tasks(server), json=body), 404) == ["service_version"]
    # the VIAS CreateTask keeps its own answer for an unknown service
    vias = plain_body(config={"common": {}})
    assert params_of(http.post(unknown, json=vias), 400) == ["service_name"]
    # a VAS service name must match the VAS pattern
    assert params_of(http.get(tasks(server, "Bad_Name"))) == ["service_name"]


def test_unknown_and_foreign_tasks_are_404(server: Server, http: httpx.Client) -> None:
    task_id = create(http, server, vas_body(name()))
    for service, tid in ((FLOW, task_id), (SMOKE, uuid.uuid4().hex)):
        path = f"{tasks(server, service)}/{tid}"
        for method, suffix, body in (
            ("GET", "", None),
            ("PUT", "", {"description": "x"}),
            ("POST", "/start", None),
            ("POST", "/stop", None),
            ("DELETE", "", None),
        ):
            response = http.request(method, path + suffix, json=body)
            assert params_of(response, 404) == ["task_id"], (service, method, suffix)
    # the task is untouched, and not listed under the other service
    assert show(http, server, task_id)["state"] == "PENDING"
    listed = http.get(tasks(server, FLOW), params={"id_like": task_id}).json()
    assert listed == {"count": 0, "tasks": []}
    assert params_of(http.get(f"{tasks(server)}/NOT-AN-ID")) == ["task_id"]


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("state", "pending"),
        ("state", "SCHEDULING"),
        ("order", "name"),
        ("order", "created_at:desc"),
        ("limit", "0"),
        ("limit", "1001"),
        ("offset", "-1"),
        ("offset", "100001"),
        ("name_like", "a b"),
        ("id_like", "ABC"),
        ("service_version", "3"),
        ("created_since", "-1"),
        ("created_until", "soon"),
    ],
)
def test_bad_list_queries_are_400(
    server: Server, http: httpx.Client, param: str, value: str
) -> None:
    assert params_of(http.get(tasks(server), params={param: value})) == [param]


def test_list_filters(server: Server, http: httpx.Client) -> None:
    prefix = f"flt{uuid.uuid4().hex[:6]}"
    first = create(http, server, vas_body(f"{prefix}-a"))
    second = create(http, server, vas_body(f"{prefix}-b"))
    assert http.post(f"{tasks(server)}/{second}/stop").status_code == 202
    created = show(http, server, first)["created_at"]
    assert created.endswith("Z")

    def ids(**params: Any) -> list[str]:
        response = http.get(tasks(server), params={"name_like": prefix, **params})
        assert response.status_code == 200, response.text
        assert_vas("ListTasksDetails", response.json(), 200)
        return [task["id"] for task in response.json()["tasks"]]

    assert ids() == [second, first]  # created_at:DESC by default
    assert ids(state="STOPPED") == [second]
    assert ids(state="PENDING") == [first]
    assert ids(id_like=first[:10]) == [first]
    assert ids(service_version="1.0") == []
    assert ids(service_version="3.0", order="created_at:ASC") == [first, second]
    assert ids(created_since=9_000_000_000_000) == []
    assert ids(created_until=0) == []


# -- update, commands ---------------------------------------------------------------------


def test_update_changes_only_what_is_given(
    server: Server, http: httpx.Client, pool_id: str
) -> None:
    task_id = create(http, server, vas_body(name(), edge_pool_id=pool_id))
    path = f"{tasks(server)}/{task_id}"
    before = show(http, server, task_id)
    response = http.put(path, json={"description": "changed"})
    assert response.status_code == 200, response.text
    assert_vas("UpdateTask", response.json(), 200)
    after = response.json()
    assert after["description"] == "changed"
    for key in ("name", "input", "output", "timing", "service_config", "state", "edge_pool_id"):
        assert after[key] == before[key], key
    # a timing VAS cannot store as a VIAS schedule is kept as given, in both views
    restful = VAS_MARKERS["edgerestful"]["input"]
    response = http.put(path, json={"timing": DAILY_FREQUENCY, "input": restful})
    assert response.status_code == 200, response.text
    assert response.json()["timing"] == DAILY_FREQUENCY
    assert response.json()["input"] == restful
    assert response.json()["edge_pool_id"] == pool_id
    vias = http.get(f"/v2/{server.project_id}/tasks/{task_id}").json()
    assert vias["schedule"] == DAILY_FREQUENCY
    assert vias["input"]["type"] == "restful"
    # bad updates are 400 and change nothing
    two = {"type": "url", "data": [{"url": STREAM}, {"url": STREAM}]}
    assert params_of(http.put(path, json={"input": two})) == ["input"]
    assert params_of(http.put(path, json={"name": "no spaces"})) == ["name"]
    bad_config = {"service_config": {"common": {"video_sampling_interval": 0}}}
    assert params_of(http.put(path, json=bad_config)) == [
        "service_config.common.video_sampling_interval"
    ]
    assert show(http, server, task_id)["timing"] == DAILY_FREQUENCY


def test_start_stop_delete_answer_202_without_a_body(server: Server, http: httpx.Client) -> None:
    task_id = create(http, server, vas_body(name()))
    path = f"{tasks(server)}/{task_id}"
    for suffix, state in (("/stop", "STOPPED"), ("/stop", "STOPPED"), ("/start", "STARTING")):
        response = http.post(path + suffix)
        assert (response.status_code, response.content) == (202, b""), response.text
        assert show(http, server, task_id)["state"] == state
    response = http.delete(path)
    assert (response.status_code, response.content) == (202, b"")
    assert params_of(http.delete(path), 404) == ["task_id"]


def test_one_task_per_input_entry(server: Server, http: httpx.Client) -> None:
    urls = ["rtsp://127.0.0.1:8554/a", "rtsp://127.0.0.1:8554/b"]
    body = vas_body(name(), input={"type": "url", "data": [{"url": u} for u in urls]})
    response = http.post(tasks(server), json=body)
    assert response.status_code == 201, response.text
    assert_vas("CreateTasks", response.json(), 201)
    shown = [show(http, server, item["id"])["input"]["data"] for item in response.json()]
    assert shown == [[{"url": u}] for u in urls]


def test_hosting_output_is_shown_in_display_form(server: Server, http: httpx.Client) -> None:
    output = {"hosting": {"data_category": ["alarm"]}, "dis": {"stream_name": "dis-1"}}
    task_id = create(http, server, vas_body(name(), output=output))
    shown = show(http, server, task_id)
    assert shown["output"] == {"dis": {"stream_name": "dis-1"}, **_hosted()}
    assert shown["hosting_result"] == {"status": "NOT_GENERATED"}
    listed = http.get(tasks(server), params={"id_like": task_id}).json()["tasks"][0]
    assert "hosting_result" not in listed


def _hosted() -> dict[str, Any]:
    return {"hosting": {"data_category": ["alarm"], "obs": []}}


# -- VIAS tasks through VAS, and the rest ----------------------------------------------------


def test_vias_tasks_are_seen_through_vas(server: Server, http: httpx.Client) -> None:
    with video_center(server) as vc:
        source_id = vc.create_source()
        stream = vc.show_source(source_id)["stream_path"]
    per_day = {
        "type": "weekly",
        "timezone": "GMT+08:00",
        "days_of_week": [1, 2],
        "periods": [
            [{"begin_at": "08:00:00", "end_at": "12:00:00"}],
            [{"begin_at": "09:00:00", "end_at": "12:00:00"}],
        ],
    }
    same = {**per_day, "periods": [[{"begin_at": "08:00:00", "end_at": "12:00:00"}]]}
    shown = []
    for schedule in (per_day, same):
        body = plain_body(
            input={"type": "video_source", "data": [{"video_source_id": source_id}]},
            config={"common": {"fire_detection_sw": 0}},
            schedule=schedule,
        )
        response = http.post(tasks(server), json=body)
        assert response.status_code == 200, response.text
        shown.append(show(http, server, response.json()["tasks"][0]["id"]))
    assert shown[0]["input"] == {"type": "url", "data": [{"url": stream}]}
    assert shown[0]["service_config"] == {"common": {"fire_detection_sw": 0}}
    assert shown[0]["state"] == "PENDING"
    # different windows per day cannot be VAS timing; the same windows every day can
    assert "timing" not in shown[0]
    assert shown[0]["timing_status"] == "ACTIVATED"
    assert shown[1]["timing"] == {
        "type": "weekly",
        "timezone": "+08:00",
        "days_of_week": [1, 2],
        "periods": [{"begin_at": "08:00:00", "end_at": "12:00:00"}],
    }
    # a video_source task cannot switch to a VAS input
    path = f"{tasks(server)}/{shown[0]['id']}"
    assert params_of(http.put(path, json={"input": URL_INPUT})) == ["input.type"]


def test_credentials_are_required(server: Server) -> None:
    with httpx.Client(base_url=server.base_url, timeout=30) as anonymous:
        assert_error(anonymous.get(tasks(server)), 401)
        assert_error(anonymous.post(tasks(server), json=vas_body(name())), 401)
        assert_error(anonymous.post(f"{tasks(server)}/{uuid.uuid4().hex}/start"), 401)


def test_openapi_documents_both_create_shapes(server: Server, http: httpx.Client) -> None:
    document = http.get("/openapi.json").json()
    path = document["paths"]["/v2/{project_id}/services/{service_name}/tasks"]
    create_op = path["post"]
    schema = create_op["requestBody"]["content"]["application/json"]["schema"]
    assert schema["anyOf"] == [
        {"$ref": "#/components/schemas/TaskCreate"},
        {"$ref": "#/components/schemas/VasTaskCreate"},
    ]
    responses = create_op["responses"]
    assert responses["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/TasksCreated"
    }
    assert responses["201"]["content"]["application/json"]["schema"]["type"] == "array"
    assert "SDK-HMAC-SHA256" in create_op["description"]
    assert path["get"]["operationId"] == "ListTasksDetails"
    one = document["paths"]["/v2/{project_id}/services/{service_name}/tasks/{task_id}"]
    assert sorted(one) == ["delete", "get", "put"]
    start = document["paths"]["/v2/{project_id}/services/{service_name}/tasks/{task_id}/start"]
    assert "content" not in start["post"]["responses"]["202"]
