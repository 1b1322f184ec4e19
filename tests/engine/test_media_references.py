"""A source never makes FFmpeg open another file: playlists and concat lists that name
local paths are refused, wherever they come from (issue 12, finding 1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from openvias.algorithms.base import Sample
from openvias.engine.address_guard import AddressGuard
from openvias.engine.media import MediaError, MediaReader, MediaSource
from tests.engine.address_guards import LOOPBACK_ALLOWED
from tests.engine.conftest import Clips
from tests.engine.hostile_servers import junk_then
from tests.engine.http_servers import serving


def hls_naming(segment: str) -> str:
    return f"#EXTM3U\n#EXT-X-TARGETDURATION:8\n#EXTINF:8,\n{segment}\n#EXT-X-ENDLIST\n"


def read(source: MediaSource, guard: AddressGuard | None) -> list[Sample]:
    samples: list[Sample] = []
    with MediaReader(source, interval=1.0, address_guard=guard) as reader:
        samples.extend(reader.samples())
    return samples


@pytest.mark.parametrize("guard", [None, LOOPBACK_ALLOWED], ids=["allowance", "policy"])
def test_a_downloaded_answer_is_never_read_as_a_playlist(
    clips: Clips, guard: AddressGuard | None
) -> None:
    # Given a server that answers FFmpeg with junk (so the reader downloads the file) and
    # the download with an HLS playlist naming a local file, at a URL ending in ".m3u8/"
    outside = clips.transport_stream.as_uri()
    samples: list[Sample] = []
    with junk_then(hls_naming(outside).encode()) as base_url:
        source = MediaSource.from_url(f"{base_url}/x.m3u8/")
        # When the reader opens it, then it fails, and no picture of the local file is read
        with pytest.raises(MediaError) as caught:
            samples.extend(read(source, guard))

    assert samples == []
    assert caught.value.reason == "corrupt"
    assert "is not a readable video" in caught.value.message


@pytest.mark.parametrize("name", ["index.m3u8", "list.ffconcat"])
def test_a_local_list_naming_other_files_is_refused(
    clips: Clips, tmp_path: Path, name: str
) -> None:
    # Given a playlist or concat list (inside the allowed folders) naming a file elsewhere
    outside = clips.transport_stream
    listing = tmp_path / name
    if name.endswith(".m3u8"):
        listing.write_text(hls_naming(outside.as_uri()))
    else:
        listing.write_text(f"ffconcat version 1.0\nfile '{outside}'\n")
    samples: list[Sample] = []
    # When it is read, as a path and as a file:// URL
    for address in (str(listing), listing.as_uri()):
        with pytest.raises(MediaError) as caught:
            samples.extend(read(MediaSource.from_url(address), None))
        # Then it is refused with the reason, and nothing is read
        assert caught.value.reason == "unsupported"
        assert "playlist or a list of other files" in caught.value.message
        assert not caught.value.transient
    assert samples == []


def test_an_http_playlist_cannot_name_a_local_segment(clips: Clips, tmp_path: Path) -> None:
    (tmp_path / "index.m3u8").write_text(hls_naming(clips.transport_stream.as_uri()))
    samples: list[Sample] = []
    with serving(tmp_path, ranges=True) as base_url, pytest.raises(MediaError):
        samples.extend(read(MediaSource.from_url(f"{base_url}/index.m3u8"), LOOPBACK_ALLOWED))
    assert samples == []
