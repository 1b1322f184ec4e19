"""Values that could be stored but not written out again, or not sent on as HTTP headers,
are refused at the write with a 400 that names the field, and change nothing; OBS object
keys follow one rule on sources and task inputs alike."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.api.task_center import SMOKE, batch_body, task_body
from tests.api.video_center import source_body, unique
from tests.support import Server

HOOK = {"url": "http://127.0.0.1:9/hook", "headers": {"X-Tok": "abc"}}
STREAM_CONFIG = "<type_config><url_address>rtsp://127.0.0.1:9/live</url_address></type_config>"
OBS_CONFIG = "<type_config><bucket>bucket-1</bucket><path>{path}</path></type_config>"
COMMON = {"fire_detection_sw": 1}


def deep(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"a": value}
    return value


def post_raw(server: Server, method: str, path: str, raw: str) -> Any:
    with server.client() as http:
        return http.request(
            method,
            f"/v2/{server.project_id}{path}",
            content=raw.encode("ascii"),
            headers={"Content-Type": "application/json"},
        )


def send(server: Server, method: str, path: str, body: Any) -> Any:
    # ensure_ascii: a lone surrogate goes as the \ud800 escape a client would send.
    return post_raw(server, method, path, json.dumps(body, ensure_ascii=True, allow_nan=True))


@pytest.fixture(scope="module")
def objects(server: Server) -> dict[str, str]:
    with server.client() as http:
        base = f"/v2/{server.project_id}"
        source = http.post(f"{base}/source", json=source_body(type_config=STREAM_CONFIG))
        source_id = source.json()["video_source_id"]
        group = http.post(
            f"{base}/video-group",
            json={
                "access_type": "cloud",
                "video_group_name": unique("g"),
                "video_source_ids": [source_id],
            },
        ).json()["video_group_id"]
        task = http.post(
            f"{base}/services/{SMOKE}/tasks", json=task_body([source_id], output={"webhook": HOOK})
        ).json()["tasks"][0]["id"]
        batch = http.post(
            f"{base}/batch-tasks", json=batch_body([(group, [source_id])], output={"webhook": HOOK})
        ).json()["id"]
    return {"source": source_id, "group": group, "task": task, "batch": batch}


Case = Callable[[dict[str, str]], tuple[str, str, Any]]


def _task(objects: dict[str, str], **overrides: Any) -> dict[str, Any]:
    return task_body([objects["source"]], **{"output": {"webhook": HOOK}, **overrides})


def _webhook(**headers: str) -> dict[str, Any]:
    return {"webhook": {**HOOK, "headers": headers}}


def _vas(**overrides: Any) -> dict[str, Any]:
    body = {
        "name": unique("vas"),
        "service_version": "3.0",
        "input": {"type": "url", "data": [{"url": "rtsp://127.0.0.1:9/cam"}]},
        "output": {"webhook": HOOK},
        "service_config": {"common": COMMON},
    }
    return {**body, **overrides}


TASKS = f"/services/{SMOKE}/tasks"
DEPLOY = {"stream_count": 1, "deploy_config": deep(40)}
CASES: dict[str, tuple[Case, str]] = {
    "surrogate in config.common": (
        lambda o: ("POST", TASKS, _task(o, config={"common": {**COMMON, "x": "\ud800"}})),
        "config.common",
    ),
    "surrogate as a config.common key": (
        lambda o: ("POST", TASKS, _task(o, config={"common": {**COMMON, "\udfff": 1}})),
        "config.common",
    ),
    "config.common 300 deep": (
        lambda o: ("POST", TASKS, _task(o, config={"common": {**COMMON, "x": deep(300)}})),
        "config.common",
    ),
    "config.common 33 deep": (
        lambda o: ("POST", TASKS, _task(o, config={"common": {**COMMON, "x": deep(32)}})),
        "config.common",
    ),
    "NaN in config.common": (
        lambda o: ("POST", TASKS, _task(o, config={"common": {**COMMON, "x": float("nan")}})),
        "config.common",
    ),
    "Infinity in config.common": (
        lambda o: ("POST", TASKS, _task(o, config={"common": {**COMMON, "x": float("inf")}})),
        "config.common",
    ),
    "2**64 in config.common": (
        lambda o: ("POST", TASKS, _task(o, config={"common": {**COMMON, "x": 2**64}})),
        "config.common",
    ),
    "surrogate in the description": (
        lambda o: ("POST", TASKS, _task(o, description="a\ud800")),
        "description",
    ),
    "non-ASCII header value": (
        lambda o: ("POST", TASKS, _task(o, output=_webhook(**{"X-Name": "Zoë"}))),
        "output.webhook.headers.X-Name",
    ),
    "surrogate header value": (
        lambda o: ("POST", TASKS, _task(o, output=_webhook(**{"X-Name": "\ud800"}))),
        "output.webhook.headers.X-Name",
    ),
    "CR LF in a header value": (
        lambda o: ("POST", TASKS, _task(o, output=_webhook(**{"X-Name": "a\r\nX-Evil: 1"}))),
        "output.webhook.headers.X-Name",
    ),
    "header name that is no token": (
        lambda o: ("POST", TASKS, _task(o, output=_webhook(**{"X Name": "a"}))),
        "output.webhook.headers",
    ),
    "non-ASCII header name": (
        lambda o: ("POST", TASKS, _task(o, output=_webhook(**{"Nämé": "a"}))),
        "output.webhook.headers",
    ),
    "header update of a task": (
        lambda o: (
            "PUT",
            f"/tasks/{o['task']}",
            {
                k: v
                for k, v in _task(o, output=_webhook(**{"X-Name": "é"})).items()
                if k != "service_version"
            },
        ),
        "output.webhook.headers.X-Name",
    ),
    "header update of a batch task": (
        lambda o: ("PUT", f"/batch-tasks/{o['batch']}", {"output": _webhook(**{"X-N": "é"})}),
        "output.webhook.headers.X-N",
    ),
    "deep config of a batch task": (
        lambda o: ("PUT", f"/batch-tasks/{o['batch']}", {"config": {"common": deep(40)}}),
        "config.common",
    ),
    "VAS create: surrogate in service_config.common": (
        lambda o: ("POST", TASKS, _vas(service_config={"common": {"x": "\ud800"}})),
        "service_config.common",
    ),
    "VAS create: non-ASCII header": (
        lambda o: ("POST", TASKS, _vas(output={"webhook": {**HOOK, "headers": {"A": "é"}}})),
        "output.webhook.headers.A",
    ),
    "VAS update: deep service_config.common": (
        lambda o: (
            "PUT",
            f"{TASKS}/{o['task']}",
            {"service_config": {"common": {"x": deep(300)}}},
        ),
        "service_config.common",
    ),
    "surrogate in a group description": (
        lambda o: (
            "PUT",
            f"/video-group/{o['group']}",
            {"video_source_ids": [o["source"]], "description": "\ud800"},
        ),
        "description",
    ),
    "surrogate in a source's type_config": (
        lambda o: (
            "PUT",
            f"/source/{o['source']}",
            {"type_config": STREAM_CONFIG + "<!--\ud800-->", "video_source_name": ""},
        ),
        "type_config",
    ),
    "deep deploy_config": (
        lambda o: (
            "POST",
            "/algorithm/{alg}/deploy",
            {"stream_count": 1, "deploy_config": deep(40)},
        ),
        "deploy_config",
    ),
    "'..' in an obs input path": (
        lambda o: (
            "POST",
            TASKS,
            task_body(
                [],
                input={"type": "obs", "data": [{"bucket": "bucket-1", "path": "in/../x.mp4"}]},
                output={"webhook": HOOK},
            ),
        ),
        "input.data.path",
    ),
    "'.' segment in an obs output path": (
        lambda o: (
            "POST",
            TASKS,
            _task(o, output={"obs": {"bucket": "bucket-1", "path": "alarms/./x"}}),
        ),
        "output.obs.path",
    ),
}


def _state(server: Server) -> str:
    """What every write could have changed, as one comparable text."""
    with server.client() as http:
        base = f"/v2/{server.project_id}"
        parts = [
            http.get(f"{base}/tasks", params={"page_size": 1000}).text,
            http.get(f"{base}/batch-tasks").text,
            http.get(f"{base}/video-group/groups").text,
            http.get(f"{base}/source/sources").text,
            http.get(f"{base}/algorithm/services/user").text,
        ]
    return "\n".join(parts)


@pytest.mark.parametrize("case", sorted(CASES))
def test_unwritable_values_are_refused_and_change_nothing(
    server: Server, objects: dict[str, str], case: str
) -> None:
    build, field = CASES[case]
    method, path, body = build(objects)
    if "{alg}" in path:
        with server.client() as http:
            services = http.get(f"/v2/{server.project_id}/algorithm/services/user").json()
        path = path.format(alg=services["service_list"][0]["service_id"])
    before = _state(server)
    answer = send(server, method, path, body)
    assert answer.status_code == 400, answer.text
    error = answer.json()
    named = error.get("params") or [error.get("error_msg", "")]
    assert any(field in str(name) for name in named), error
    assert _state(server) == before


@pytest.mark.parametrize(
    ("path", "accepted"),
    [("videos/a.mp4", True), ("/videos/a.mp4", True), ("videos/../a.mp4", False)],
)
def test_obs_source_paths_follow_the_object_key_rule(
    server: Server, path: str, accepted: bool
) -> None:
    body = source_body(type="obs", type_config=OBS_CONFIG.format(path=path))
    answer = send(server, "POST", "/source", body)
    if accepted:
        assert answer.status_code == 200, answer.text
    else:
        assert answer.status_code == 400, answer.text
        assert answer.json()["params"] == ["type_config"]
        assert "'..'" in answer.json()["detail"]
