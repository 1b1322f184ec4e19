"""The embedded engine through the API: real server, real video files, real stream processes.

A started task is claimed, analysed in its own process and ends SUCCEEDED (files) with its
alarms stored as events; a corrupt file ends FAILED with a clear error; a stream process
that dies is restarted; a server restart resumes what was running.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.task_center import TaskCenter, task_body, task_center
from tests.api.video_center import URL_CONFIG
from tests.engine.clips import write_clip
from tests.support import Server, free_port, running_server

ENGINE_ENV = {"OPENVIAS_ENGINE_SLOTS": "4"}


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("videos")
    write_clip(folder / "flame.mp4", 8, flame=True)
    write_clip(folder / "plain.mp4", 8, flame=False)
    (folder / "corrupt.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + os.urandom(20_000))
    return folder


@pytest.fixture(scope="module")
def engine_server(backend: str, videos: Path) -> Iterator[Server]:
    with running_server(backend, OPENVIAS_FILE_ROOTS=str(videos), **ENGINE_ENV) as server:
        yield server


@pytest.fixture
def tc(engine_server: Server) -> Iterator[TaskCenter]:
    with task_center(engine_server) as center:
        yield center


def wait_for(check: Callable[[], Any], timeout: float = 30, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def file_task(tc: TaskCenter, path: Path, **common: Any) -> str:
    source = tc.vc.create_source(type_config=URL_CONFIG.format(url=path.as_uri()))
    config = {"common": {"fire_detection_sw": 1, "smoke_detection_sw": 1, **common}}
    return tc.create_ids(task_body([source], config=config))[0]


def events(server: Server, task_id: str) -> list[dict[str, Any]]:
    with server.client() as client:
        response = client.get(
            f"/v2/{server.project_id}/events", params={"task_id": task_id, "limit": 100}
        )
    assert response.status_code == 200, response.text
    return list(response.json()["events"])


def settled(tc: TaskCenter, task_id: str) -> Callable[[], str | None]:
    def check() -> str | None:
        state = tc.state(task_id)
        return state if state in ("SUCCEEDED", "FAILED") else None

    return check


def test_a_flame_clip_alarms_and_the_task_succeeds(tc: TaskCenter, videos: Path) -> None:
    task_id = file_task(tc, videos / "flame.mp4", render_result_sw=1)
    assert wait_for(settled(tc, task_id), what="the file task to end") == "SUCCEEDED"
    found = events(tc.server, task_id)
    assert len(found) >= 1
    fire = [e for e in found if any(s["state"] == 1 for s in e["data"]["event_set"])]
    assert fire, found
    first = fire[0]
    assert first["event_type"] == 393216
    assert first["message_id"] == first["message_id"].upper()
    box = first["data"]["event_set"][0]["bounding_box"]
    assert 200 < box["x"] + box["w"] / 2 < 440, box  # the flame burns around x = 320
    # One alarm per onset: an 8 s flame is not one alarm per sample.
    assert len(fire) <= 2, fire


def test_a_plain_clip_raises_nothing(tc: TaskCenter, videos: Path) -> None:
    task_id = file_task(tc, videos / "plain.mp4")
    assert wait_for(settled(tc, task_id), what="the file task to end") == "SUCCEEDED"
    assert events(tc.server, task_id) == []


def test_a_corrupt_file_fails_with_a_clear_error(tc: TaskCenter, videos: Path) -> None:
    task_id = file_task(tc, videos / "corrupt.mp4")
    assert wait_for(settled(tc, task_id), what="the task to fail") == "FAILED"
    error = tc.show(task_id)["error"]
    assert error["code"].startswith("VIAS.0009"), error
    assert error["message"]
    assert "Traceback" not in error["message"]


def test_a_file_outside_the_allowed_folders_is_refused(tc: TaskCenter, tmp_path: Path) -> None:
    outside = write_clip(tmp_path / "outside.mp4", 2, flame=False)
    task_id = file_task(tc, outside)
    assert wait_for(settled(tc, task_id), what="the task to fail") == "FAILED"
    assert "OPENVIAS_FILE_ROOTS" in tc.show(task_id)["error"]["message"]


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """moto's S3 server on loopback, standing in for OBS."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _answers(endpoint), timeout=30, what="moto's S3 server")
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=10)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code < 500
    except httpx.HTTPError:
        return False


def test_an_obs_object_is_analysed(backend: str, videos: Path, s3_endpoint: str) -> None:
    import boto3

    s3 = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="test-ak",
        aws_secret_access_key="test-sk",
    )
    s3.create_bucket(Bucket="cams")
    s3.upload_file(str(videos / "flame.mp4"), "cams", "site-1/flame.mp4")
    env = {
        **ENGINE_ENV,
        "OPENVIAS_OBS_ENDPOINT": s3_endpoint,
        "OPENVIAS_OBS_ACCESS_KEY_ID": "test-ak",
        "OPENVIAS_OBS_SECRET_ACCESS_KEY": "test-sk",
    }
    with running_server(backend, **env) as server, task_center(server) as tc:
        config = "<type_config><bucket>cams</bucket><path>site-1/flame.mp4</path></type_config>"
        source = tc.vc.create_source(type="obs", type_config=config)
        task_id = tc.create_ids(task_body([source]))[0]
        assert wait_for(settled(tc, task_id), what="the OBS task to end") == "SUCCEEDED"
        assert events(server, task_id)


def _window(start: datetime, minutes: int) -> dict[str, Any]:
    end = start + timedelta(minutes=minutes)
    return {
        "type": "weekly",
        "timezone": "+00:00",
        "days_of_week": [1, 2, 3, 4, 5, 6, 7],
        "periods": [[{"begin_at": start.strftime("%H:%M:00"), "end_at": end.strftime("%H:%M:00")}]],
    }


def test_a_task_outside_its_window_waits_in_scheduling(tc: TaskCenter, videos: Path) -> None:
    later = datetime.now(UTC) + timedelta(hours=2)
    source = tc.vc.create_source(type_config=URL_CONFIG.format(url=(videos / "flame.mp4").as_uri()))
    waiting = tc.create_ids(task_body([source], schedule=_window(later, 30)))[0]
    now = datetime.now(UTC) - timedelta(minutes=2)
    inside = tc.create_ids(task_body([source], schedule=_window(now, 30)))[0]
    wait_for(lambda: scheduling(tc, waiting), what="SCHEDULING outside the window")
    assert wait_for(settled(tc, inside), what="the task inside its window to run") == "SUCCEEDED"
    assert events(tc.server, waiting) == []
    assert scheduling(tc, waiting)
    # ShowTaskInfo's state pattern lacks SCHEDULING: it shows PENDING and says why.
    shown = tc.show(waiting)
    assert shown["state"] == "PENDING"
    assert shown["status"].startswith("SCHEDULING")


def scheduling(tc: TaskCenter, task_id: str) -> bool:
    listed = tc.list_tasks(task_state="SCHEDULING", page_size=1000)["tasks"]
    return task_id in {task["id"] for task in listed}
