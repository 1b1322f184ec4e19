"""Live tasks through the API, against a real RTSP server (GStreamer): running, stopping
within 2 s, the camera going away and coming back, a killed stream process, and server
restarts (SIGTERM and SIGKILL) with tasks running."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from openvias.engine.stream_process import STREAM_NICENESS
from tests.api.task_center import TaskCenter, task_body, task_center
from tests.api.video_center import URL_CONFIG
from tests.engine.clips import write_clip
from tests.engine.test_lifecycle import ENGINE_ENV, wait_for
from tests.rtsp_support import RtspServer, running_rtsp_server
from tests.support import Server, running_server, stream_pids


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_clip(tmp_path_factory.mktemp("live") / "cam.mp4", 6, flame=False)


@pytest.fixture(scope="module")
def camera(clip: Path) -> Iterator[RtspServer]:
    with running_rtsp_server({"cam": clip}) as rtsp:
        yield rtsp


@pytest.fixture(scope="module")
def live_server(backend: str) -> Iterator[Server]:
    # The camera is on loopback, which the video-source address policy refuses.
    env = {**ENGINE_ENV, "OPENVIAS_ALLOW_PRIVATE_TARGETS": "true"}
    with running_server(backend, **env) as server:
        yield server


@pytest.fixture
def tc(live_server: Server) -> Iterator[TaskCenter]:
    with task_center(live_server) as center:
        yield center


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def live_task(tc: TaskCenter, url: str) -> str:
    source = tc.vc.create_source(type_config=URL_CONFIG.format(url=url))
    task_id = tc.create_ids(task_body([source]))[0]
    wait_for(lambda: tc.state(task_id) == "RUNNING", what="the live task to run")
    return task_id


def test_stop_ends_the_stream_within_two_seconds(tc: TaskCenter, camera: RtspServer) -> None:
    task_id = live_task(tc, camera.url("cam"))
    pids = wait_for(lambda: stream_pids(tc.server.process.pid), what="a stream process")
    tc.action(task_id, "stop")
    stopped_at = time.monotonic()
    wait_for(lambda: not any(alive(pid) for pid in pids), timeout=5, what="the stream to end")
    assert time.monotonic() - stopped_at < 2.0
    assert tc.state(task_id) == "STOPPED"
    # ... and start brings it back.
    tc.action(task_id, "start")
    wait_for(lambda: tc.state(task_id) == "RUNNING", timeout=10, what="the task to run again")
    tc.action(task_id, "stop")


def test_a_camera_that_goes_away_makes_the_task_abnormal_until_it_returns(
    tc: TaskCenter, clip: Path
) -> None:
    with running_rtsp_server({"cam": clip}) as flaky:
        task_id = live_task(tc, flaky.url("cam"))
        flaky.stop()
        wait_for(lambda: tc.state(task_id) == "ABNORMAL", timeout=30, what="ABNORMAL")
        error = tc.show(task_id)["error"]
        assert error["code"] == "VIAS.00090501", error
        flaky.start()
        wait_for(lambda: tc.state(task_id) == "RUNNING", timeout=45, what="RUNNING again")
        assert "error" not in tc.show(task_id) or not tc.show(task_id)["error"]
        tc.action(task_id, "stop")


def test_a_stream_process_runs_nicer_than_its_server(tc: TaskCenter, camera: RtspServer) -> None:
    task_id = live_task(tc, camera.url("cam"))
    server_pid = tc.server.process.pid
    server_niceness = os.getpriority(os.PRIO_PROCESS, server_pid)

    def nicer_streams() -> list[int]:
        return [
            pid
            for pid in stream_pids(server_pid)
            if os.getpriority(os.PRIO_PROCESS, pid) == server_niceness + STREAM_NICENESS
        ]

    wait_for(nicer_streams, what="a stream process, niced")
    assert os.getpriority(os.PRIO_PROCESS, server_pid) == server_niceness
    tc.action(task_id, "stop")


def test_a_killed_stream_process_is_restarted(tc: TaskCenter, camera: RtspServer) -> None:
    task_id = live_task(tc, camera.url("cam"))
    first = wait_for(lambda: stream_pids(tc.server.process.pid), what="a stream process")
    os.kill(first[0], signal.SIGKILL)
    wait_for(
        lambda: [pid for pid in stream_pids(tc.server.process.pid) if pid not in first],
        timeout=20,
        what="a new stream process",
    )
    wait_for(lambda: tc.state(task_id) == "RUNNING", timeout=20, what="RUNNING again")
    assert tc.server.process.poll() is None  # the server never went down
    tc.action(task_id, "stop")


@pytest.mark.parametrize("kill", [False, True], ids=["sigterm", "sigkill"])
def test_running_tasks_resume_after_a_server_restart(
    live_server: Server, camera: RtspServer, kill: bool
) -> None:
    with task_center(live_server) as tc:
        task_id = live_task(tc, camera.url("cam"))
        before = wait_for(lambda: stream_pids(live_server.process.pid), what="a stream process")
    live_server.restart(kill=kill)
    # The old server's stream processes end with it (their stdin closes) ...
    wait_for(lambda: not any(alive(pid) for pid in before), timeout=10, what="old streams gone")
    # ... and the new server takes the task back at once (its lease names this node).
    with task_center(live_server) as tc:
        wait_for(
            lambda: stream_pids(live_server.process.pid), timeout=15, what="the stream to resume"
        )
        wait_for(lambda: tc.state(task_id) == "RUNNING", timeout=20, what="RUNNING again")
        tc.action(task_id, "stop")
