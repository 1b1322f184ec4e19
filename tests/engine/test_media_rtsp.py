"""MediaReader against a real RTSP server (GStreamer's, ``tests/rtsp_server.py``).

These tests fail when the server cannot run here, unless OPENVIAS_SKIP_RTSP=1.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator

import pytest

from openvias.algorithms.base import Sample
from openvias.engine.media import MediaError, MediaReader, MediaSource
from tests.engine.address_guards import LOOPBACK_ALLOWED
from tests.engine.conftest import Clips
from tests.engine.media_fixtures import FPS, picture_index
from tests.rtsp_support import RtspServer, require_rtsp_server, running_rtsp_server

TRANSPORTS = ["tcp", "udp"]
LAP = 8 * FPS  # pictures in one lap of the looping clip


@pytest.fixture(scope="module")
def camera(clips: Clips) -> Iterator[RtspServer]:
    with running_rtsp_server({"cam": clips.gop_1s}) as server:
        yield server


@pytest.fixture
def flaky_camera(clips: Clips) -> Iterator[RtspServer]:
    """A camera of its own, for tests that stop and restart it."""
    with running_rtsp_server({"cam": clips.gop_1s}) as server:
        yield server


def reader_for(server: RtspServer, transport: str, read_timeout: float = 10.0) -> MediaReader:
    source = MediaSource.from_url(server.url("cam"), rtsp_transport=transport)
    return MediaReader(
        source, interval=1.0, read_timeout=read_timeout, address_guard=LOOPBACK_ALLOWED
    )


def first_samples(reader: MediaReader, count: int) -> list[Sample]:
    samples: list[Sample] = []
    for sample in reader.samples():
        samples.append(sample)
        if len(samples) == count:
            break
    return samples


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_samples_arrive_over(camera: RtspServer, transport: str) -> None:
    with reader_for(camera, transport) as reader:
        assert reader.live
        assert reader.duration is None
        samples = first_samples(reader, 3)
        mode = reader.mode

    # Time 0 is the first timed picture; once key frames are known to come every second,
    # the key frame nearest each instant is sampled (within half a GOP).
    times = [s.timestamp for s in samples]
    assert times[0] == 0.0
    assert [b - a for a, b in itertools.pairwise(times)] == pytest.approx([1.0, 1.0], abs=0.1)
    assert mode == "keyframe"
    for sample in samples:
        indices = [picture_index(frame) for frame in sample.frames]
        assert [(i - indices[0]) % LAP for i in indices] == [0, 1, 2]
    keys = [picture_index(s.key) for s in samples]
    for (a, b), (ta, tb) in zip(itertools.pairwise(keys), itertools.pairwise(times), strict=True):
        assert (b - a) % LAP == round((tb - ta) * FPS)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_camera_that_goes_away_and_comes_back(flaky_camera: RtspServer, transport: str) -> None:
    with reader_for(flaky_camera, transport, read_timeout=3.0) as reader:
        samples = reader.samples()
        next(samples)
        flaky_camera.stop()
        gone_at = time.monotonic()
        with pytest.raises(MediaError) as caught:
            for _ in samples:
                pass
        noticed_after = time.monotonic() - gone_at

    assert caught.value.reason in ("disconnected", "timeout")
    assert caught.value.transient
    assert noticed_after < 3.0 + 0.5

    flaky_camera.start()  # same port, as a rebooted camera
    with reader_for(flaky_camera, transport) as reader:
        assert len(first_samples(reader, 1)) == 1


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_hung_camera_times_out(camera: RtspServer, transport: str) -> None:
    with reader_for(camera, transport, read_timeout=1.5) as reader:
        samples = reader.samples()
        next(samples)
        camera.freeze()
        try:
            frozen_at = time.monotonic()
            with pytest.raises(MediaError) as caught:
                for _ in samples:
                    pass
            noticed_after = time.monotonic() - frozen_at
        finally:
            camera.thaw()

    assert caught.value.reason == "timeout"
    assert caught.value.transient
    # Up to a second of pictures was already buffered when the camera froze.
    assert noticed_after < 1.5 + 1.5


def test_close_from_another_thread_stops_a_read_from_a_hung_camera(camera: RtspServer) -> None:
    reader = reader_for(camera, "tcp", read_timeout=30.0)
    reader.open()
    received: list[Sample] = []
    failures: list[BaseException] = []

    def consume() -> None:
        try:
            for sample in reader.samples():
                received.append(sample)
        except BaseException as error:  # reported by the assertion below
            failures.append(error)

    consumer = threading.Thread(target=consume)
    consumer.start()
    try:
        deadline = time.monotonic() + 10
        while not received and time.monotonic() < deadline:
            time.sleep(0.05)
        camera.freeze()
        time.sleep(1.5)  # past the buffered pictures: the consumer now waits on the socket
        closed_at = time.monotonic()
        reader.close()
        consumer.join(timeout=5)
        stopped_after = time.monotonic() - closed_at
    finally:
        camera.thaw()

    assert received
    assert not consumer.is_alive()
    assert stopped_after < 2.0
    assert failures == []


def test_without_the_server_these_tests_fail_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tests.rtsp_support.SYSTEM_PYTHON", "/nonexistent/python3")
    monkeypatch.delenv("OPENVIAS_SKIP_RTSP", raising=False)
    with pytest.raises(pytest.fail.Exception, match="OPENVIAS_SKIP_RTSP=1"):
        require_rtsp_server()
