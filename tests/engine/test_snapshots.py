"""Snapshots of video sources through the API (``GET .../source/sources/{id}/snapshot``):
a real server, real snapshot processes, real clips and a real RTSP camera.

- Files give the picture at ``at`` (default 2 s; the start of a shorter file; past the
  end, the last picture), scaled to ``max_side``, with the source's full size in headers.
- Every guard of a task applies: the file roots, the video-source address policy (a
  refused address is never connected to), and the engine's error codes.
- A silent source ends in the time limit, its process killed; more requests than the
  server takes at once are refused with 429.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import httpx
import numpy as np
import pytest

from tests.api.video_center import URL_CONFIG, VideoCenter, other_project, video_center
from tests.engine.hostile_servers import listening
from tests.engine.media_fixtures import FPS, picture_index, write_clip, write_random_bytes
from tests.engine.test_lifecycle import wait_for
from tests.rtsp_support import running_rtsp_server
from tests.support import Server, running_server

pytestmark = pytest.mark.only_backend("sqlite")  # one row read; the rest is the engine's

WIDTH, HEIGHT = 640, 480
NOT_PULLABLE = "VIAS.00090507"
#: The allowing server's limits: a short time limit, one snapshot at a time, none waiting.
LIMITS = {
    "OPENVIAS_SNAPSHOT_TIMEOUT_SECONDS": "6",
    "OPENVIAS_SNAPSHOT_CONCURRENCY": "1",
    "OPENVIAS_SNAPSHOT_QUEUE": "0",
}


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("snapshot-videos")
    write_clip(folder / "scene.mp4", seconds=4, gop=FPS, width=WIDTH, height=HEIGHT)
    write_clip(folder / "short.mp4", seconds=1, gop=FPS, width=WIDTH, height=HEIGHT)
    write_random_bytes(folder / "corrupt.mp4")
    return folder


@pytest.fixture(scope="module")
def guarded(backend: str, videos: Path) -> Iterator[VideoCenter]:
    with (
        running_server(backend, OPENVIAS_FILE_ROOTS=str(videos)) as server,
        video_center(server) as vc,
    ):
        yield vc


@pytest.fixture(scope="module")
def allowing(backend: str, videos: Path) -> Iterator[VideoCenter]:
    env = {**LIMITS, "OPENVIAS_ALLOW_PRIVATE_TARGETS": "true"}
    with (
        running_server(backend, OPENVIAS_FILE_ROOTS=str(videos), **env) as server,
        video_center(server) as vc,
    ):
        yield vc


def url_source(vc: VideoCenter, url: str) -> str:
    return vc.create_source(type_config=URL_CONFIG.format(url=url))


def snapshot(vc: VideoCenter, source_id: str, **params: Any) -> httpx.Response:
    return vc.client.get(f"{vc.base}/source/sources/{source_id}/snapshot", params=params)


def picture_of(response: httpx.Response) -> np.ndarray[Any, Any]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["cache-control"] == "no-store"
    image = cv2.imdecode(np.frombuffer(response.content, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    return image


def source_size(response: httpx.Response) -> tuple[int, int]:
    headers = response.headers
    return int(headers["x-openvias-source-width"]), int(headers["x-openvias-source-height"])


def failure(vc: VideoCenter, source_id: str, status: int, **params: Any) -> dict[str, Any]:
    path = f"/source/sources/{source_id}/snapshot"
    body: dict[str, Any] = vc.fail("ShowVideoSourceSnapshot", "GET", path, status, params=params)
    return body


def snapshot_pids(server_pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if (
                parent == server_pid
                and b"openvias.engine.snapshot" in (entry / "cmdline").read_bytes()
            ):
                found.append(int(entry.name))
    return found


@dataclass
class Silent:
    port: int
    accepted: list[socket.socket] = field(default_factory=list)


@contextlib.contextmanager
def silent_server() -> Iterator[Silent]:
    """A loopback port that accepts connections and never says anything."""
    server = socket.create_server(("127.0.0.1", 0))
    silent = Silent(server.getsockname()[1])

    def serve() -> None:
        with contextlib.suppress(OSError):
            while True:
                silent.accepted.append(server.accept()[0])

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield silent
    finally:
        server.close()
        for client in silent.accepted:
            client.close()


def test_a_file_is_pictured_at_a_time_and_size(guarded: VideoCenter, videos: Path) -> None:
    source_id = url_source(guarded, (videos / "scene.mp4").as_uri())
    # By default: 2 s in, at full size (under the default max_side).
    response = snapshot(guarded, source_id)
    image = picture_of(response)
    assert image.shape[:2] == (HEIGHT, WIDTH)
    assert source_size(response) == (WIDTH, HEIGHT)
    assert response.headers["x-openvias-snapshot-at"] == "2"
    assert picture_index(image) == 2 * FPS
    # At 1 s, scaled to fit 320 pixels; the headers still give the source's size.
    response = snapshot(guarded, source_id, at=1, max_side=320)
    image = picture_of(response)
    assert image.shape[:2] == (240, 320)
    assert source_size(response) == (WIDTH, HEIGHT)
    assert picture_index(image) == FPS
    # Past the end: the last picture there is.
    response = snapshot(guarded, source_id, at=100)
    shown_at = float(response.headers["x-openvias-snapshot-at"])
    assert 3.5 <= shown_at < 4
    assert picture_index(picture_of(response)) == round(shown_at * FPS)
    # A clip shorter than the default time: its first picture.
    short_id = url_source(guarded, (videos / "short.mp4").as_uri())
    response = snapshot(guarded, short_id)
    assert picture_index(picture_of(response)) == 0
    assert response.headers["x-openvias-snapshot-at"] == "0"


def test_a_picture_is_kept_a_few_seconds(guarded: VideoCenter, videos: Path) -> None:
    clip = videos / "kept.mp4"
    clip.write_bytes((videos / "scene.mp4").read_bytes())
    source_id = url_source(guarded, clip.as_uri())
    first = snapshot(guarded, source_id, at=3)
    picture_of(first)
    clip.unlink()
    # The same picture again is answered from memory; another one needs the file.
    assert snapshot(guarded, source_id, at=3).content == first.content
    error = failure(guarded, source_id, 422, at=1)
    assert error["error_code"] == "VIAS.00090502"


def test_unreadable_sources_get_the_engine_codes(guarded: VideoCenter, videos: Path) -> None:
    corrupt = url_source(guarded, (videos / "corrupt.mp4").as_uri())
    assert failure(guarded, corrupt, 422)["error_code"] == "VIAS.00090503"
    missing = url_source(guarded, (videos / "missing.mp4").as_uri())
    assert failure(guarded, missing, 422)["error_code"] == "VIAS.00090502"
    outside = url_source(guarded, "file:///etc/hostname")
    error = failure(guarded, outside, 422)
    assert error["error_code"] == NOT_PULLABLE
    assert "OPENVIAS_FILE_ROOTS" in error["error_msg"]
    vcn = "<type>VCN</type><config><IP>10.0.0.1</IP><PORT>9000</PORT></config>"
    stored_only = guarded.create_source(type="vcn", type_config=vcn, access_type="edge")
    assert failure(guarded, stored_only, 422)["error_code"] == NOT_PULLABLE


def test_loopback_addresses_are_refused_without_a_connection(guarded: VideoCenter) -> None:
    for template in ("http://127.0.0.1:{port}/v.mp4", "rtsp://localhost:{port}/cam"):
        with listening("web") as target:
            source_id = url_source(guarded, template.format(port=target.port))
            error = failure(guarded, source_id, 422)
        assert target.accepted == 0
        assert error["error_code"] == NOT_PULLABLE
        assert error["error_msg"].startswith("refused by the video-source address policy")


def test_unknown_sources_and_other_projects_are_404(guarded: VideoCenter, videos: Path) -> None:
    source_id = url_source(guarded, (videos / "scene.mp4").as_uri())
    unknown = failure(guarded, "0" * 8 + "-0000-4000-8000-" + "0" * 12, 404)
    assert unknown["error_code"] == "VIAS.00010002"
    with video_center(other_project(guarded.server)) as theirs:
        assert failure(theirs, source_id, 404)["error_code"] == "VIAS.00010002"
    assert failure(guarded, source_id, 400, max_side=100)["params"] == ["max_side"]
    assert failure(guarded, source_id, 400, at=-1)["params"] == ["at"]


def test_a_live_camera_is_pictured(allowing: VideoCenter, videos: Path) -> None:
    with running_rtsp_server({"cam": videos / "scene.mp4"}) as camera:
        source_id = url_source(allowing, camera.url("cam"))
        response = snapshot(allowing, source_id, max_side=320)
        assert picture_of(response).shape[:2] == (240, 320)
    assert source_size(response) == (WIDTH, HEIGHT)
    assert "x-openvias-snapshot-at" not in response.headers


def test_a_silent_source_ends_in_the_time_limit(allowing: VideoCenter, videos: Path) -> None:
    server: Server = allowing.server
    with silent_server() as silent:
        silent_id = url_source(allowing, f"http://127.0.0.1:{silent.port}/v.mp4")
        answers: list[httpx.Response] = []
        waiting = threading.Thread(target=lambda: answers.append(snapshot(allowing, silent_id)))
        waiting.start()
        try:
            wait_for(lambda: silent.accepted, what="the snapshot to connect")
            # The one snapshot the server takes at once is busy: another one is refused.
            other_id = url_source(allowing, (videos / "scene.mp4").as_uri())
            busy = failure(allowing, other_id, 429)
            assert busy["error_code"] == "VIAS.00090429"
        finally:
            waiting.join()
    (answer,) = answers
    assert answer.status_code == 504, answer.text
    assert answer.json()["error_code"] == "VIAS.00090510"
    assert snapshot_pids(server.process.pid) == []
    # The slot is free again.
    picture_of(snapshot(allowing, other_id))
