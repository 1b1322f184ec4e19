"""MediaReader over loopback HTTP: streamed files, the download fallback, HLS, live feeds."""

from __future__ import annotations

import itertools
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from openvias.algorithms.base import Sample
from openvias.engine.media import MediaError, MediaReader, MediaSource
from openvias.engine.media_errors import redact_url
from tests.engine.address_guards import LOOPBACK_ALLOWED
from tests.engine.conftest import Clips
from tests.engine.http_servers import live_feed, serving
from tests.engine.media_fixtures import FPS, picture_index
from tests.support import free_port

ONE_BURST_A_SECOND = [0.0, 0.04, 0.08, 1.0, 1.04, 1.08, 2.0, 2.04, 2.08]
EIGHT_SECONDS = [round(second + offset, 3) for second in range(8) for offset in (0, 0.04, 0.08)]
#: 130 kB with the index at the end: too big for FFmpeg to seek back in its buffer.
NOT_FASTSTART = "gop_1s.mp4"


def guarded_reader(source: MediaSource, **options: Any) -> MediaReader:
    """A reader checking addresses with the real policy, loopback allowed."""
    return MediaReader(source, address_guard=LOOPBACK_ALLOWED, **options)


def stamps(samples: list[Sample]) -> list[float]:
    return [round(t, 3) for sample in samples for t in sample.timestamps]


def test_an_mp4_with_its_index_at_the_end_streams_from_a_server_with_ranges(
    clips: Clips,
) -> None:
    with (
        serving(clips.folder, ranges=True) as base_url,
        guarded_reader(MediaSource.from_url(f"{base_url}/{NOT_FASTSTART}"), interval=1.0) as reader,
    ):
        samples = list(reader.samples())

    assert not reader.downloaded
    assert stamps(samples) == EIGHT_SECONDS


def test_without_ranges_the_file_is_downloaded_first(
    clips: Clips, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with serving(clips.folder, ranges=False) as base_url:
        source = MediaSource.from_url(f"{base_url}/{NOT_FASTSTART}")
        with guarded_reader(source, interval=1.0) as reader:
            samples = list(reader.samples())
            (copy,) = tmp_path.glob("openvias-download-*")
            assert copy.suffix == ""  # a neutral name: nothing taken from the URL

    assert reader.downloaded
    assert stamps(samples) == EIGHT_SECONDS
    assert [picture_index(s.key) for s in samples] == [second * FPS for second in range(8)]
    assert not list(tmp_path.iterdir())  # the temporary copy is gone after close()


def test_the_download_is_capped(clips: Clips) -> None:
    with serving(clips.folder, ranges=False) as base_url:
        source = MediaSource.from_url(f"{base_url}/{NOT_FASTSTART}")
        with pytest.raises(MediaError) as caught:
            guarded_reader(source, interval=1.0, max_download_bytes=100_000).open()

    assert caught.value.reason == "unsupported"
    assert "download limit" in caught.value.message
    assert not caught.value.transient


def test_hls_over_http(clips: Clips) -> None:
    with serving(clips.folder, ranges=False) as base_url:
        source = MediaSource.from_url(f"{base_url}/hls/index.m3u8")
        with guarded_reader(source, interval=1.0) as reader:
            samples = list(reader.samples())

    assert not source.live
    assert not reader.live  # a VOD playlist is a file
    assert stamps(samples) == ONE_BURST_A_SECOND
    assert [picture_index(s.key) for s in samples] == [0, FPS, 2 * FPS]


def test_a_missing_url_is_not_found(clips: Clips) -> None:
    with serving(clips.folder, ranges=True) as base_url, pytest.raises(MediaError) as caught:
        guarded_reader(MediaSource.from_url(f"{base_url}/nothing.mp4"), interval=1.0).open()

    assert caught.value.reason == "not_found"


@pytest.mark.parametrize("scheme", ["http", "rtsp"])
def test_a_refused_connection_is_unreachable_and_transient(scheme: str) -> None:
    url = f"{scheme}://operator:s3cret@127.0.0.1:{free_port()}/cam?token=abc"
    with pytest.raises(MediaError) as caught:
        guarded_reader(MediaSource.from_url(url), interval=1.0, open_timeout=3).open()

    assert caught.value.reason == "unreachable"
    assert caught.value.transient
    assert "127.0.0.1" in caught.value.message
    assert "s3cret" not in caught.value.message
    assert "token" not in caught.value.message


def test_urls_lose_their_secrets_in_messages() -> None:
    assert redact_url("rtsp://admin:pw@10.0.0.5:554/live?sig=1#x") == "rtsp://10.0.0.5:554/live"
    assert redact_url("/videos/a.mp4") == "/videos/a.mp4"


@pytest.mark.parametrize(
    ("url", "live"),
    [
        ("rtsp://cam/1", True),
        ("RTMP://server/app/key", True),
        ("https://cdn/video.mp4", False),
        ("https://cdn/live/index.m3u8", False),
        ("file:///videos/a.mkv", False),
        ("/videos/a.avi", False),
    ],
)
def test_live_is_inferred_from_the_scheme(url: str, live: bool) -> None:
    assert MediaSource.from_url(url).live is live


def live_reader(url: str, read_timeout: float) -> MediaReader:
    source = MediaSource(url=url, live=True)
    return guarded_reader(source, interval=1.0, burst=2, read_timeout=read_timeout)


def test_a_live_feed_that_stalls_times_out(clips: Clips) -> None:
    data = clips.transport_stream.read_bytes()
    samples: list[Sample] = []
    with live_feed(data, then="stall") as url, live_reader(url, read_timeout=1.0) as reader:
        stream = reader.samples()
        samples.extend(itertools.islice(stream, 8))
        last = time.monotonic()
        with pytest.raises(MediaError) as caught:
            next(stream)
        waited = time.monotonic() - last

    assert len(samples) == 8
    assert caught.value.reason == "timeout"
    assert caught.value.transient
    assert waited < 3.0


def test_a_live_feed_that_ends_is_disconnected(clips: Clips) -> None:
    data = clips.transport_stream.read_bytes()
    with live_feed(data, then="close") as url, live_reader(url, read_timeout=5.0) as reader:
        samples: list[Sample] = []
        with pytest.raises(MediaError) as caught:
            samples.extend(reader.samples())

    assert len(samples) == 8
    assert caught.value.reason == "disconnected"
    assert caught.value.transient


def test_a_live_clock_that_goes_back_restarts_the_sampling_grid(clips: Clips) -> None:
    # The same 8 s twice: the second lap's timestamps start over, as when the encoder
    # behind a live HLS or RTMP server restarts.
    data = clips.transport_stream.read_bytes()
    with live_feed(data + data, then="close") as url, live_reader(url, read_timeout=5.0) as reader:
        samples: list[Sample] = []
        with pytest.raises(MediaError):
            samples.extend(reader.samples())

    expected = [float(second) for second in range(8)] * 2
    assert [round(s.timestamp, 2) for s in samples] == expected
    assert [picture_index(s.key) for s in samples] == [round(t * FPS) for t in expected]
    assert reader.mode == "keyframe"


def test_close_from_another_thread_interrupts_a_blocked_read(clips: Clips) -> None:
    data = clips.transport_stream.read_bytes()
    received: list[Sample] = []
    failures: list[BaseException] = []
    with live_feed(data, then="stall") as url:
        reader = live_reader(url, read_timeout=30.0)
        reader.open()

        def consume() -> None:
            try:
                for sample in reader.samples():
                    received.append(sample)
            except BaseException as error:  # the assertion below reports it
                failures.append(error)

        consumer = threading.Thread(target=consume)
        consumer.start()
        deadline = time.monotonic() + 10
        while len(received) < 8 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # the consumer is now blocked waiting for data that never comes

        closed_at = time.monotonic()
        reader.close()
        consumer.join(timeout=5)
        stopped_after = time.monotonic() - closed_at

    assert not consumer.is_alive()
    assert stopped_after < 2.0
    assert failures == []
    assert len(received) == 8
