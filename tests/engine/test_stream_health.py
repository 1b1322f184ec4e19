"""Per-stream health through a real ``openvias serve`` and a real RTSP camera (GStreamer):
a running camera is healthy at about the sampling rate; a camera that goes away is
ABNORMAL with its reconnects counting up; back, it is RUNNING and healthy again; a killed
stream process counts as a restart. The task's ``status`` (ShowTaskInfo) sums it up."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.task_center import TaskCenter, task_body, task_center
from tests.api.video_center import URL_CONFIG
from tests.engine.clips import write_clip
from tests.engine.test_lifecycle import ENGINE_ENV, wait_for
from tests.rtsp_support import running_rtsp_server
from tests.support import Server, running_server, stream_pids

#: Seconds between samples (VIAS takes whole seconds): the expected rate is 1 per second.
INTERVAL = 1


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_clip(tmp_path_factory.mktemp("health") / "cam.mp4", 6, flame=False)


@pytest.fixture(scope="module")
def health_server(backend: str) -> Iterator[Server]:
    env = {**ENGINE_ENV, "OPENVIAS_ALLOW_PRIVATE_TARGETS": "true"}
    with running_server(backend, **env) as server:
        yield server


@pytest.fixture
def tc(health_server: Server) -> Iterator[TaskCenter]:
    with task_center(health_server) as center:
        yield center


def stream(tc: TaskCenter, task_id: str) -> Any:
    answer = tc.client.get(f"{tc.base}/tasks/{task_id}/stream")
    assert answer.status_code == 200, answer.text
    return answer.json()


def healthy(tc: TaskCenter, task_id: str) -> Any:
    """The stream's health once it runs and analyses at least 3/4 of the expected rate."""
    health = stream(tc, task_id)
    ok = (
        health["state"] == "RUNNING"
        and health["source_state"] == "running"
        and not health["stale"]
        and health["connection_quality"] not in (None, "unusable")
        and (health["analysed_per_second"] or 0) >= 0.75 * health["expected_per_second"]
    )
    return health if ok else None


def status(tc: TaskCenter, task_id: str) -> str:
    return str(tc.show(task_id)["status"])


def status_saying(tc: TaskCenter, task_id: str, *words: str) -> str | None:
    text = status(tc, task_id)
    return text if all(word in text for word in words) else None


def test_a_camera_that_goes_away_and_returns(tc: TaskCenter, clip: Path) -> None:
    with running_rtsp_server({"cam": clip}) as camera:
        source = tc.vc.create_source(type_config=URL_CONFIG.format(url=camera.url("cam")))
        config = {"common": {"video_sampling_interval": INTERVAL}}
        task_id = tc.create_ids(task_body([source], config=config))[0]

        running = wait_for(lambda: healthy(tc, task_id), timeout=60, what="a healthy stream")
        assert running["expected_per_second"] == 1 / INTERVAL
        assert running["decoded_per_second"] >= running["analysed_per_second"]
        assert running["lag_seconds"] is not None
        assert running["lag_seconds"] >= 0
        assert all(running["stage_ms"][stage] > 0 for stage in ("decode", "convert", "analyse"))
        assert running["node"]
        assert running["reconnects_last_hour"] == 0
        assert running["restarts_last_hour"] == 0
        assert running["last_sample_at"].endswith("Z")
        assert running["position_seconds"] is None  # a live stream has no position
        listed = tc.client.get(f"{tc.base}/streams").json()["streams"]
        assert task_id in [item["task_id"] for item in listed]
        summary = wait_for(
            lambda: status_saying(tc, task_id, "stream healthy", "of 1.0 samples/s", "lag "),
            what="a healthy stream in the task's status",
        )
        assert "reconnect" not in summary
        assert camera.url("cam") not in summary
        assert len(summary) <= 200

        camera.stop()
        gone = wait_for(
            lambda: (h := stream(tc, task_id))["state"] == "ABNORMAL" and h, what="ABNORMAL"
        )
        assert gone["source_state"] == "abnormal"
        assert gone["connection_quality"] == "unusable"
        assert gone["reconnects_last_hour"] >= 1
        wait_for(
            lambda: stream(tc, task_id)["reconnects_last_hour"] >= 2,
            what="the reconnects to count up",
        )
        abnormal = wait_for(
            lambda: status_saying(tc, task_id, "stream ABNORMAL", "reconnects in the last hour"),
            what="ABNORMAL in the task's status",
        )
        assert "samples/s" not in abnormal

        camera.start()
        back = wait_for(lambda: healthy(tc, task_id), timeout=60, what="healthy again")
        assert back["reconnects_last_hour"] >= 2
        assert back["restarts_last_hour"] == 0
        # Two reconnects or more in the last hour: fair at best (docs/observability.md).
        back_words = ("stream healthy (fair)", "stream DEGRADED (poor)")
        recovered = wait_for(
            lambda: (text := status(tc, task_id)) and any(w in text for w in back_words) and text,
            what="the task's status back from ABNORMAL",
        )
        assert "ABNORMAL" not in recovered
        assert "of 1.0 samples/s" in recovered
        assert "reconnects in the last hour" in recovered

        pids = wait_for(lambda: stream_pids(tc.server.process.pid), what="a stream process")
        os.kill(pids[0], signal.SIGKILL)
        restarted = wait_for(
            lambda: (h := healthy(tc, task_id)) and h["restarts_last_hour"] == 1 and h,
            timeout=60,
            what="running again after a restart",
        )
        assert restarted["reconnects_last_hour"] >= 2
        wait_for(
            lambda: status_saying(tc, task_id, "samples/s", "1 restart in the last hour"),
            what="the restart in the task's status",
        )
        tc.action(task_id, "stop")
        stopped = stream(tc, task_id)
        assert stopped["state"] == "STOPPED"
        assert stopped["analysed_per_second"] is None
        assert stopped["stale"] is False
        assert "stream" not in status(tc, task_id)
