"""Clips for the media tests, generated once per session (about 2 s on two cores)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
import pytest

from tests.engine.media_fixtures import CONTAINER_CODECS, write_clip, write_hls


@dataclass(frozen=True)
class Clips:
    folder: Path
    #: 3 s in each of the eight containers, a key frame every second.
    by_container: dict[str, Path]
    #: 8 s of H.264 with 3 B-frames (no adaptive placement), a key frame every 1 s / 2 s /
    #: 0.48 s (12 pictures: not a divisor of any interval used).
    gop_1s: Path
    gop_2s: Path
    gop_12_pictures: Path
    #: 8 s of H.264 with x264's default settings but a GOP of at most 25 pictures.
    x264_defaults: Path
    #: ``by_container["mp4"]`` as a VOD HLS playlist with 1 s segments.
    hls_playlist: Path
    #: ``gop_1s`` as MPEG-TS (the bytes a live HTTP feed sends).
    transport_stream: Path


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Clips:
    folder = tmp_path_factory.mktemp("media")
    by_container = {
        extension: write_clip(folder / f"clip.{extension}", seconds=3, gop=25)
        for extension in CONTAINER_CODECS
    }
    gop_1s = write_clip(folder / "gop_1s.mp4", seconds=8, gop=25, bframes=3)
    transport_stream = folder / "live.ts"
    _remux(gop_1s, transport_stream)
    return Clips(
        folder=folder,
        by_container=by_container,
        gop_1s=gop_1s,
        gop_2s=write_clip(folder / "gop_2s.mp4", seconds=8, gop=50, bframes=3),
        gop_12_pictures=write_clip(folder / "gop_12.mp4", seconds=8, gop=12, bframes=3),
        x264_defaults=write_clip(folder / "defaults.mp4", seconds=8, gop=25, x264_defaults=True),
        hls_playlist=write_hls(folder / "hls", by_container["mp4"]),
        transport_stream=transport_stream,
    )


def _remux(source: Path, target: Path) -> None:
    with av.open(str(source)) as inp, av.open(str(target), "w") as out:
        video = inp.streams.video[0]
        copy = out.add_stream_from_template(video)
        for packet in inp.demux(video):
            if packet.dts is not None:
                packet.stream = copy
                out.mux(packet)
