"""Video-source guards through the API: a real server, real stream processes (issue 12).

- With the address policy on (the default), a task whose camera is on loopback fails with
  the policy's message, the same whatever listens there, and nothing is connected to.
- With ``OPENVIAS_ALLOW_PRIVATE_TARGETS=true`` (loopback allowed), a remote answer or a
  local list still cannot make the engine read a file outside ``OPENVIAS_FILE_ROOTS``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import av
import pytest

from tests.api.task_center import TaskCenter, task_body, task_center
from tests.api.video_center import URL_CONFIG
from tests.engine.clips import write_clip
from tests.engine.hostile_servers import junk_then, listening
from tests.engine.http_servers import serving
from tests.engine.test_lifecycle import ENGINE_ENV, events, settled, wait_for
from tests.support import running_server

NOT_PULLABLE = "VIAS.00090507"


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The allowed folder (with a clip) and a folder outside it (with a flame clip as TS)."""
    roots = tmp_path_factory.mktemp("roots")
    outside = tmp_path_factory.mktemp("outside")
    write_clip(roots / "plain.mp4", 4, flame=False)
    flame = write_clip(outside / "flame.mp4", 8, flame=True)
    with av.open(str(flame)) as source, av.open(str(outside / "outside.ts"), "w") as target:
        video = source.streams.video[0]
        copy = target.add_stream_from_template(video)
        for packet in source.demux(video):
            if packet.dts is not None:
                packet.stream = copy
                target.mux(packet)
    return roots, outside


@pytest.fixture(scope="module")
def guarded(backend: str, folders: tuple[Path, Path]) -> Iterator[TaskCenter]:
    with (
        running_server(backend, OPENVIAS_FILE_ROOTS=str(folders[0]), **ENGINE_ENV) as server,
        task_center(server) as center,
    ):
        yield center


@pytest.fixture(scope="module")
def allowing(backend: str, folders: tuple[Path, Path]) -> Iterator[TaskCenter]:
    env = {**ENGINE_ENV, "OPENVIAS_ALLOW_PRIVATE_TARGETS": "true"}
    with (
        running_server(backend, OPENVIAS_FILE_ROOTS=str(folders[0]), **env) as server,
        task_center(server) as center,
    ):
        yield center


def url_task(tc: TaskCenter, url: str) -> str:
    source = tc.vc.create_source(type_config=URL_CONFIG.format(url=url))
    config = {"common": {"fire_detection_sw": 1, "smoke_detection_sw": 1}}
    return tc.create_ids(task_body([source], config=config))[0]


def failure(tc: TaskCenter, task_id: str) -> dict[str, str]:
    assert wait_for(settled(tc, task_id), what="the task to end") == "FAILED"
    return dict(tc.show(task_id)["error"])


def test_loopback_cameras_are_refused_whatever_listens(guarded: TaskCenter) -> None:
    messages = set()
    for kind in ("closed", "junk", "web"):
        for template in ("http://127.0.0.1:{port}/v.mp4", "rtsp://localhost:{port}/cam"):
            with listening(kind) as target:
                task_id = url_task(guarded, template.format(port=target.port))
                error = failure(guarded, task_id)
            assert target.accepted == 0
            assert error["code"] == NOT_PULLABLE
            messages.add(error["message"].replace("localhost", "127.0.0.1"))
    (message,) = messages
    assert message.startswith("refused by the video-source address policy: 127.0.0.1 resolves")
    assert "OPENVIAS_ALLOW_PRIVATE_TARGETS=true" in message


def test_a_downloaded_playlist_cannot_reach_outside_the_roots(
    allowing: TaskCenter, folders: tuple[Path, Path]
) -> None:
    # Given the allowance, a loopback server's file is analysed
    with serving(folders[0], ranges=True) as base_url:
        task_id = url_task(allowing, f"{base_url}/plain.mp4")
        assert wait_for(settled(allowing, task_id), what="the task to end") == "SUCCEEDED"
    # When a server answers FFmpeg with junk (so the engine downloads the URL) and the
    # download with a playlist naming a flame clip outside the allowed folder
    outside = (folders[1] / "outside.ts").as_uri()
    playlist = f"#EXTM3U\n#EXT-X-TARGETDURATION:8\n#EXTINF:8,\n{outside}\n#EXT-X-ENDLIST\n"
    with junk_then(playlist.encode()) as base_url:
        task_id = url_task(allowing, f"{base_url}/x.m3u8/")
        error = failure(allowing, task_id)
    # Then the task fails, and nothing of the outside clip was analysed
    assert "is not a readable video" in error["message"]
    assert events(allowing.server, task_id) == []


def test_a_local_playlist_cannot_reach_outside_the_roots(
    allowing: TaskCenter, folders: tuple[Path, Path]
) -> None:
    roots, outside = folders
    playlist = roots / "index.m3u8"
    segment = (outside / "outside.ts").as_uri()
    playlist.write_text(
        f"#EXTM3U\n#EXT-X-TARGETDURATION:8\n#EXTINF:8,\n{segment}\n#EXT-X-ENDLIST\n"
    )
    task_id = url_task(allowing, playlist.as_uri())
    error = failure(allowing, task_id)
    assert "playlist or a list of other files" in error["message"]
    assert events(allowing.server, task_id) == []
