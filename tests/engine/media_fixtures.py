"""Synthetic clips with known content for the media tests, encoded with PyAV's own encoders.

Picture ``i`` shows ``i`` in binary in its top half (eight 40-pixel columns, light = 1) and
a diagonal gradient moving 4 pixels per picture in its bottom half, so inter frames really
predict from their references and a wrongly decoded picture reads as a wrong index.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import av
import numpy as np
from av.video.stream import VideoStream

from openvias.algorithms.base import Frame, Sample

WIDTH, HEIGHT, FPS = 320, 240, 25
BITS = 8

#: The eight containers VIAS accepts and a codec each that PyAV's wheel can encode.
CONTAINER_CODECS = {
    "mp4": "libx264",
    "mov": "libx264",
    "m4v": "libx264",
    "mkv": "libx264",
    "avi": "mpeg4",
    "wmv": "wmv2",
    "mpg": "mpeg2video",
    "mpeg": "mpeg1video",
}


def picture(index: int, width: int = WIDTH, height: int = HEIGHT) -> Frame:
    image = np.zeros((height, width, 3), np.uint8)
    half, column = height // 2, width // BITS
    for bit in range(BITS):
        image[:half, bit * column : (bit + 1) * column] = 235 if (index >> bit) & 1 else 16
    ramp = (np.arange(width)[None, :] + np.arange(height - half)[:, None] + 4 * index) % 64 * 4
    image[half:, :, 0] = ramp
    image[half:, :, 1] = 255 - ramp
    image[half:, :, 2] = (ramp * 3) % 256
    return image


def picture_index(frame: Frame) -> int:
    """The index :func:`picture` drew into ``frame`` (read from the column centres)."""
    half, column = frame.shape[0] // 2, frame.shape[1] // BITS
    index = 0
    for bit in range(BITS):
        centre = frame[
            half // 4 : 3 * half // 4, bit * column + column // 4 : (bit + 1) * column - column // 4
        ]
        if float(centre.mean()) > 128:
            index |= 1 << bit
    return index


def write_clip(
    path: Path,
    *,
    seconds: float,
    gop: int,
    codec: str | None = None,
    bframes: int | None = None,
    x264_defaults: bool = False,
    width: int = WIDTH,
    height: int = HEIGHT,
) -> Path:
    """``seconds`` of :func:`picture` at 25 fps, a key frame every ``gop`` pictures.

    H.264 is encoded with fixed key frames (no scene cuts) and ``bframes`` B-frames placed
    without adaptation, or with x264's defaults (preset medium, 3 adaptive B-frames,
    B-pyramid, scene cuts) and only the maximum GOP set when ``x264_defaults``.
    """
    codec = codec or CONTAINER_CODECS[path.suffix.lstrip(".")]
    with av.open(str(path), "w") as container:
        # add_stream() is typed by codec-name literal; any of ours makes a video stream.
        stream = cast(VideoStream, container.add_stream(codec, rate=FPS))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.gop_size = gop
        if codec == "libx264" and not x264_defaults:
            params = f"keyint={gop}:min-keyint={gop}:scenecut=0"
            if bframes is not None:
                params += f":bframes={bframes}:b-adapt=0"
            stream.options = {"x264-params": params, "preset": "veryfast"}
        for index in range(round(seconds * FPS)):
            frame = av.VideoFrame.from_ndarray(picture(index, width, height), format="bgr24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def write_hls(directory: Path, clip: Path) -> Path:
    """A VOD HLS playlist with 1 s MPEG-TS segments of ``clip`` (H.264), no re-encode."""
    directory.mkdir(parents=True, exist_ok=True)
    playlist = directory / "index.m3u8"
    options = {
        "hls_time": "1",
        "hls_playlist_type": "vod",
        "hls_segment_filename": str(directory / "segment%03d.ts"),
    }
    with av.open(str(clip)) as source, av.open(str(playlist), "w", "hls", options) as out:
        video = source.streams.video[0]
        copy = out.add_stream_from_template(video)
        for packet in source.demux(video):
            if packet.dts is not None:
                packet.stream = copy
                out.mux(packet)
    return playlist


def decoded_pictures(path: Path) -> dict[float, Frame]:
    """Every picture of ``path`` by its time from the start, decoded plainly with PyAV."""
    pictures: dict[float, Frame] = {}
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        origin = _origin(stream)
        for frame in container.decode(stream):
            if frame.time is not None:
                key = round(frame.time - origin, 4)
                pictures[key] = cast(Frame, frame.to_ndarray(format="bgr24"))
    return pictures


def reference_bursts(path: Path, interval: float, burst: int) -> Iterator[Sample]:
    """``bursts()`` of ``benchmarks/fire_accuracy.py``: full decode, same sampling rule."""
    pictures = decoded_pictures(path)
    due, frames, stamps = 0.0, list[Frame](), list[float]()
    for t, picture_ in sorted(pictures.items()):
        if frames or t + 1e-6 >= due:
            if not frames:
                due += interval
            frames.append(picture_)
            stamps.append(t)
            if len(frames) == burst:
                yield Sample(tuple(frames), tuple(stamps))
                frames, stamps = [], []
    if frames:
        yield Sample(tuple(frames), tuple(stamps))


def _origin(stream: VideoStream) -> float:
    if stream.start_time is None or stream.time_base is None:
        return 0.0
    return float(stream.start_time * stream.time_base)


def write_random_bytes(path: Path, size: int = 200_000) -> Path:
    path.write_bytes(np.random.default_rng(7).integers(0, 256, size, np.uint8).tobytes())
    return path


def write_truncated(source: Path, path: Path, keep: float) -> Path:
    data = source.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def write_garbage_after(source: Path, path: Path, keep_bytes: int) -> Path:
    """The first ``keep_bytes`` of ``source`` (its header) followed by random bytes."""
    data = source.read_bytes()
    path.write_bytes(data[:keep_bytes] + os.urandom(len(data) - keep_bytes))
    return path


def write_damaged_middle(source: Path, path: Path) -> Path:
    """``source`` with a tenth of its bytes, a third of the way in, overwritten."""
    data = bytearray(source.read_bytes())
    start, size = len(data) // 3, len(data) // 10
    data[start : start + size] = np.random.default_rng(3).integers(0, 256, size, np.uint8).tobytes()
    path.write_bytes(bytes(data))
    return path
