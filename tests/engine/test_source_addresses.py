"""The video-source address policy (issue 12, finding 6).

Loopback only: refused addresses other than loopback (169.254.169.254) are refused by the
check, before any connection; the tests prove it by failing on any connect attempt.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import av
import pytest

from openvias.domain.network_policy import Address, public_or_camera_lan
from openvias.engine.address_guard import AddressGuard, AddressRefused
from openvias.engine.job import Report, StreamJob
from openvias.engine.media import VIDEO_SOURCE_GUARD, MediaError, MediaReader, MediaSource
from openvias.engine.pipeline import SOURCE_NOT_PULLABLE, Pipeline
from tests.engine.address_guards import resolving
from tests.engine.conftest import Clips
from tests.engine.hostile_servers import (
    Listener,
    junk_then,
    listening,
    redirecting,
    serving_tls,
)
from tests.engine.http_servers import serving
from tests.rtsp_support import running_rtsp_server

POLICY = "refused by the video-source address policy"
METADATA = "http://metadata.test/latest/meta-data/"


@pytest.fixture
def loopback_connects_only(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Python connections to anything but loopback fail the test (the guard proxy and the
    download connect with Python); yields the addresses connected to."""
    connected: list[str] = []
    real = socket.create_connection

    def create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        connected.append(address[0])
        if address[0] not in ("127.0.0.1", "::1"):
            pytest.fail(f"a connection to {address[0]} was attempted")
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", create_connection)
    return connected


@pytest.fixture
def no_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any connect, from Python or from FFmpeg (av.open), fails the test."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        pytest.fail("a connection was attempted")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(av, "open", refuse)


def refusal(url: str, guard: AddressGuard | None = VIDEO_SOURCE_GUARD) -> MediaError:
    with pytest.raises(MediaError) as caught:
        MediaReader(MediaSource.from_url(url), interval=1.0, address_guard=guard).open()
    assert caught.value.reason == "refused", caught.value
    assert not caught.value.transient
    return caught.value


@pytest.mark.usefixtures("no_connection")
@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "https://169.254.169.254/",
        "rtsp://169.254.169.254/cam",
        "rtmp://[fe80::1]/app/key",
        "http://[::ffff:169.254.169.254]/",
        "http://100.100.100.200/latest/meta-data/",
        "udp://239.1.2.3:1234",
        "rtsp://0.0.0.0/cam",
    ],
)
def test_metadata_link_local_multicast_and_unspecified_are_refused_before_connecting(
    url: str,
) -> None:
    error = refusal(url)
    assert POLICY in error.message
    assert "OPENVIAS_ALLOW_PRIVATE_TARGETS=true" in error.message


def test_the_check_uses_every_address_a_name_resolves_to(no_connection: None) -> None:
    guard = resolving({"camera.test": ["10.0.0.5", "169.254.169.254"]}, loopback=False)
    with pytest.raises(AddressRefused) as caught:
        guard.check("camera.test", 80)
    assert str(caught.value).startswith(f"{POLICY}: camera.test resolves to a link-local")


def test_private_lan_addresses_stay_allowed(no_connection: None) -> None:
    guard = resolving({"nvr.test": ["192.168.1.20", "fd00::20"]}, loopback=False)
    assert guard.check("nvr.test", 554) == ["192.168.1.20", "fd00::20"]
    assert VIDEO_SOURCE_GUARD.check("10.1.2.3", 554) == ["10.1.2.3"]
    assert VIDEO_SOURCE_GUARD.check("172.16.0.9", 554) == ["172.16.0.9"]


@pytest.mark.parametrize("listener", ["closed", "junk", "web"])
@pytest.mark.parametrize("template", ["http://{host}:{port}/v.mp4", "rtsp://{host}:{port}/cam"])
@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]", "127.1", "2130706433"])
def test_loopback_is_refused_the_same_way_whatever_listens(
    listener: Listener, template: str, host: str
) -> None:
    with listening(listener) as target:
        error = refusal(template.format(host=host, port=target.port))
    assert target.accepted == 0
    name = host.strip("[]")
    assert error.message == (
        f"{POLICY}: {name} resolves to a loopback address; set "
        "OPENVIAS_ALLOW_PRIVATE_TARGETS=true to allow loopback, link-local and other special "
        "addresses"
    )


def only_the_test_server(address: Address) -> str | None:
    """The real policy, except that 127.0.0.1 (the test's own server) is allowed."""
    return None if str(address) == "127.0.0.1" else public_or_camera_lan(address)


def camera_test_guard(**names: list[str]) -> AddressGuard:
    table = {"camera.test": ["127.0.0.1"], "metadata.test": ["169.254.169.254"], **names}
    return AddressGuard(
        policy=only_the_test_server, resolve=lambda host, port: table.get(host, [host])
    )


@pytest.mark.parametrize(
    ("location", "why"),
    [
        (METADATA, "metadata.test resolves to a link-local address"),
        ("https://metadata.test/x", "metadata.test resolves to a link-local address"),
        ("http://127.0.0.2:9/", "127.0.0.2 resolves to a loopback address"),
    ],
)
def test_every_redirect_is_checked(
    location: str, why: str, loopback_connects_only: list[str]
) -> None:
    with redirecting(location) as base_url:
        port = base_url.rsplit(":", 1)[1]
        error = refusal(f"http://camera.test:{port}/v.mp4", camera_test_guard())
    assert why in error.message
    assert set(loopback_connects_only) == {"127.0.0.1"}  # the redirecting server only


def test_the_download_fallback_checks_its_redirects(loopback_connects_only: list[str]) -> None:
    # FFmpeg gets junk, so the reader downloads; the download is redirected to metadata.
    with junk_then(b"", location=METADATA) as base_url:
        port = base_url.rsplit(":", 1)[1]
        error = refusal(f"http://camera.test:{port}/v.mp4", camera_test_guard())
    assert "metadata.test resolves to a link-local address" in error.message
    assert set(loopback_connects_only) == {"127.0.0.1"}


def test_hls_segments_are_checked(clips: Clips, loopback_connects_only: list[str]) -> None:
    playlist = clips.folder / "hls" / "index.m3u8"
    elsewhere = playlist.read_text().replace("segment", "http://metadata.test/segment")
    (clips.folder / "elsewhere.m3u8").write_text(elsewhere)
    with serving(clips.folder, ranges=True) as base_url:
        port = base_url.rsplit(":", 1)[1]
        error = refusal(f"http://camera.test:{port}/elsewhere.m3u8", camera_test_guard())
    assert "metadata.test resolves to a link-local address" in error.message
    assert set(loopback_connects_only) == {"127.0.0.1"}


def test_connections_go_to_the_checked_address(clips: Clips) -> None:
    # camera.test only resolves through the guard: FFmpeg never looks the name up itself
    # (no second lookup that DNS rebinding could answer differently).
    with serving(clips.folder, ranges=True) as base_url:
        port = base_url.rsplit(":", 1)[1]
        source = MediaSource.from_url(f"http://camera.test:{port}/gop_1s.mp4")
        with MediaReader(source, interval=1.0, address_guard=camera_test_guard()) as reader:
            assert len(list(reader.samples())) == 8
    with running_rtsp_server({"cam": clips.gop_1s}) as camera:
        url = camera.url("cam").replace("127.0.0.1", "camera.test")
        reader = MediaReader(
            MediaSource.from_url(url), interval=1.0, address_guard=camera_test_guard()
        )
        with reader:
            first = next(iter(reader.samples()))
    assert first.width == 320


def test_https_and_its_hls_segments_go_through_the_checked_address(
    clips: Clips, tmp_path: Path, loopback_connects_only: list[str]
) -> None:
    # TLS travels inside the guard's CONNECT tunnel, with the URL's name as server name.
    with serving_tls(clips.folder, "camera.test", tmp_path) as port:
        source = MediaSource.from_url(f"https://camera.test:{port}/hls/index.m3u8")
        with MediaReader(source, interval=1.0, address_guard=camera_test_guard()) as reader:
            assert len(list(reader.samples())) == 3
    assert len(loopback_connects_only) == 4  # the playlist and its three segments


def job(url: str, *, live: bool, allow_private_targets: bool) -> StreamJob:
    return StreamJob(
        task_id="t" * 32,
        project_id="p" * 32,
        service_name="c-smoke-and-fire-cloud",
        url=url,
        live=live,
        allow_private_targets=allow_private_targets,
    )


def test_a_refused_camera_fails_the_task_at_once(no_connection: None) -> None:
    # A live source is normally retried forever; a refused address never becomes allowed.
    reports: list[Report] = []
    final = Pipeline(
        job("rtsp://127.0.0.1:8554/cam", live=True, allow_private_targets=False),
        reports.append,
    ).run()
    assert final.kind == "failed"
    assert final.code == SOURCE_NOT_PULLABLE
    assert POLICY in str(final.message)
    assert [r.kind for r in reports] == ["failed"]


def test_the_allowance_reaches_the_reader(clips: Clips) -> None:
    with serving(clips.folder, ranges=True) as base_url:
        url = f"{base_url}/gop_1s.mp4"
        allowed = Pipeline(job(url, live=False, allow_private_targets=True), lambda r: None)
        refused = Pipeline(job(url, live=False, allow_private_targets=False), lambda r: None)
        assert allowed.run().kind == "finished"
        assert refused.run().code == SOURCE_NOT_PULLABLE
