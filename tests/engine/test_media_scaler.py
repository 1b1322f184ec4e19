"""The scaler choice of ``engine/media_scaler.py``: both of FFmpeg's horizontal scalers give
the same pixels, and the process keeps the one it measured faster."""

from __future__ import annotations

from collections.abc import Iterator
from ctypes import CDLL
from pathlib import Path
from typing import cast

import av
import numpy as np
import pytest
from av.video.frame import VideoFrame
from av.video.reformatter import VideoReformatter

from openvias.algorithms.base import Frame
from openvias.engine.media_scaler import (
    AV_CPU_FLAG_AVX2,
    AV_CPU_FLAG_SLOW_GATHER,
    busy_picture,
    choose_scaler,
    libavutil,
)
from tests.engine.clips import write_clip


@pytest.fixture
def library() -> Iterator[CDLL]:
    """libavutil, with the CPU flags this process had put back afterwards."""
    found = libavutil()
    if found is None:
        pytest.skip("PyAV's libavutil does not export av_get_cpu_flags here")
    before = found.av_get_cpu_flags()
    if not before & AV_CPU_FLAG_AVX2:
        pytest.skip("this CPU has no AVX2, so FFmpeg has no gather scaler to compare")
    yield found
    found.av_force_cpu_flags(before)


def _scaled(picture: VideoFrame, library: CDLL, flags: int) -> Frame:
    library.av_force_cpu_flags(flags)
    reformatter = VideoReformatter()  # built under these flags
    width, height = picture.width // 4, picture.height // 4
    small = reformatter.reformat(
        picture, width=width, height=height, format="bgr24", interpolation="AREA", threads=1
    )
    return cast(Frame, small.to_ndarray())


def test_both_scalers_give_the_same_pixels(library: CDLL, tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "flame.mp4", 2, flame=True)
    with av.open(str(clip)) as container:
        decoded = [frame for frame, _ in zip(container.decode(video=0), range(30), strict=False)]
    pictures = [*decoded[::10], busy_picture(0), busy_picture(3, size=(1920, 1080))]
    flags = library.av_get_cpu_flags() & ~AV_CPU_FLAG_SLOW_GATHER
    for picture in pictures:
        with_gathers = _scaled(picture, library, flags)
        without = _scaled(picture, library, flags | AV_CPU_FLAG_SLOW_GATHER)
        assert with_gathers.shape == (picture.height // 4, picture.width // 4, 3)
        assert with_gathers.std() > 1.0  # a picture, not a blank
        np.testing.assert_array_equal(with_gathers, without)


def test_the_process_keeps_the_scaler_it_measured_faster(library: CDLL) -> None:
    choice = choose_scaler()
    flags = library.av_get_cpu_flags()
    if choice.scaler == "ffmpeg":
        assert choice.gather_seconds is None  # FFmpeg had already ruled out the gathers
        assert flags & AV_CPU_FLAG_SLOW_GATHER
        return
    assert choice.gather_seconds is not None
    assert choice.no_gather_seconds is not None
    assert 0 < choice.gather_seconds < 0.1
    assert 0 < choice.no_gather_seconds < 0.1
    if choice.scaler == "no-gather":
        assert choice.no_gather_seconds < choice.gather_seconds
        assert flags & AV_CPU_FLAG_SLOW_GATHER
    else:
        assert choice.scaler == "gather"
        assert not flags & AV_CPU_FLAG_SLOW_GATHER
    assert choose_scaler() is choice  # once per process
