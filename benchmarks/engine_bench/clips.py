"""The synthetic camera-like clips: drawing, encoding and caching them."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, cast

import av
import cv2
import numpy as np
from tests.algorithms.synthetic import draw_flame

from engine_bench.common import CLIP_VERSION, CYCLE_S, CYCLES, FLAME_S, FPS
from openvias.algorithms.base import Frame


@dataclass(frozen=True, slots=True)
class ClipSpec:
    label: str
    width: int
    height: int
    gop: int
    kbps: int
    flame: bool = True  #: False: the same scene without the flame (nothing fire-coloured)

    @property
    def filename(self) -> str:
        return f"{self.label}-v{CLIP_VERSION}.mp4"


CLIPS = (
    ClipSpec("1080p25 gop25", 1920, 1080, 25, 4000),
    ClipSpec("1080p25 gop50", 1920, 1080, 50, 4000),
    ClipSpec("720p25 gop25", 1280, 720, 25, 2000),
    ClipSpec("720p25 gop50", 1280, 720, 50, 2000),
)
LIVE_CLIP = CLIPS[0]
#: Plain scenes for the comparison with keyframe-only decoding (``engine_bench.keyframes``).
PLAIN_CLIPS = (
    ClipSpec("720p25 plain gop25", 1280, 720, 25, 2000, flame=False),
    ClipSpec("1080p25 plain gop25", 1920, 1080, 25, 4000, flame=False),
)
ALL_CLIPS = CLIPS + PLAIN_CLIPS


class Scene:
    """A 1080p camera-like scene; picture ``i`` of a cycle is always the same."""

    WIDTH, HEIGHT = 1920, 1080
    SCALE = 3  #: the flame drawing is made for 360p

    def __init__(self, seed: int = 7) -> None:
        rng = np.random.default_rng(seed)
        w, h = self.WIDTH, self.HEIGHT
        coarse = rng.normal(60, 18, (h // 3, w // 3)).astype(np.float32)
        smooth = cv2.resize(cv2.GaussianBlur(coarse, (0, 0), 4), (w, h))
        tint = np.array([1.0, 1.02, 0.98], np.float32)
        self.background: Frame = np.clip(smooth[..., None] * tint, 0, 255).astype(np.uint8)
        self.noise: list[tuple[Frame, Frame]] = []  # (+, -) sensor noise, sigma 2
        for _ in range(8):
            values = rng.normal(0, 2.0, (h, w, 3))
            self.noise.append(
                (
                    np.clip(values, 0, 255).astype(np.uint8),
                    np.clip(-values, 0, 255).astype(np.uint8),
                )
            )
        self.flame_rng = rng

    def picture(self, i: int, *, flame: bool = True) -> Frame:
        w, h = self.WIDTH, self.HEIGHT
        frame = self.background.copy()
        x = (i * 10) % (w + 300) - 300  # a grey "vehicle" crossing the view
        cv2.rectangle(frame, (x, 520), (x + 300, 700), (118, 120, 124), -1)
        y = (i * 3) % h  # a dark "person" walking down
        cv2.rectangle(frame, (1500, y), (1570, y + 170), (50, 60, 80), -1)
        second = i / FPS
        if flame and FLAME_S[0] <= second < FLAME_S[1]:
            size = self.SCALE * (50 + 8 * int(second - FLAME_S[0]))
            cx, base = 560, 900
            draw_flame(frame, self.flame_rng, cx, base, size)
            x0, x1 = cx - size, cx + size
            y0, y1 = max(0, base - 2 * size), min(h, base + size)
            frame[y0:y1, x0:x1] = cv2.GaussianBlur(frame[y0:y1, x0:x1], (5, 5), 0)
        plus, minus = self.noise[i % len(self.noise)]
        cv2.add(frame, plus, dst=frame)
        cv2.subtract(frame, minus, dst=frame)
        return frame


@dataclass
class _Encoder:
    spec: ClipSpec
    path: Path
    container: Any
    stream: Any
    packets: list[tuple[bytes, int | None, int | None, bool, Fraction | None]] = field(
        default_factory=list
    )

    def encode(self, picture: av.VideoFrame | None) -> None:
        for packet in self.stream.encode(picture):
            self.packets.append(
                (bytes(packet), packet.pts, packet.dts, packet.is_keyframe, packet.time_base)
            )
            self.container.mux(packet)

    def finish(self) -> None:
        """Flushes, then muxes the first cycle's packets again, shifted, as the second."""
        self.encode(None)
        shift = CYCLE_S * FPS
        for _ in range(CYCLES - 1):
            for data, pts, dts, key, time_base in self.packets:
                packet = av.Packet(data)
                packet.pts = None if pts is None else pts + shift
                packet.dts = None if dts is None else dts + shift
                packet.is_keyframe = key
                if time_base is not None:
                    packet.time_base = time_base
                packet.stream = self.stream
                self.container.mux(packet)
            shift += CYCLE_S * FPS
        self.container.close()


def make_clips(folder: Path) -> dict[ClipSpec, Path]:
    """Every clip, from the cache when it is there (one pass draws all missing ones)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {spec: folder / spec.filename for spec in ALL_CLIPS}
    missing = [spec for spec, path in paths.items() if not path.is_file()]
    if not missing:
        return paths
    started = time.perf_counter()
    scene = Scene()
    encoders: list[_Encoder] = []
    for spec in missing:
        partial = paths[spec].with_suffix(".partial.mp4")
        container = av.open(str(partial), "w")
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = spec.width, spec.height, "yuv420p"
        stream.codec_context.gop_size = spec.gop
        stream.options = {
            "preset": "superfast",
            "x264-params": (
                f"keyint={spec.gop}:min-keyint={spec.gop}:scenecut=0:bframes=0:"
                f"bitrate={spec.kbps}:vbv-maxrate={spec.kbps}:vbv-bufsize={2 * spec.kbps}"
            ),
        }
        encoders.append(_Encoder(spec, partial, container, stream))
    for i in range(CYCLE_S * FPS):
        drawn = {flame: scene.picture(i, flame=flame) for flame in {e.spec.flame for e in encoders}}
        pictures: dict[tuple[int, int, bool], av.VideoFrame] = {}
        for encoder in encoders:
            size = (encoder.spec.width, encoder.spec.height)
            key = (*size, encoder.spec.flame)
            if key not in pictures:
                big = drawn[encoder.spec.flame]
                frame = big
                if size != (big.shape[1], big.shape[0]):
                    frame = cast(Frame, cv2.resize(big, size, interpolation=cv2.INTER_AREA))
                pictures[key] = av.VideoFrame.from_ndarray(frame, format="bgr24").reformat(
                    format="yuv420p"
                )
            encoder.encode(pictures[key])
    for encoder in encoders:
        encoder.finish()
        encoder.path.rename(paths[encoder.spec])
    print(
        f"  made {len(missing)} clip(s) in {time.perf_counter() - started:.0f} s "
        f"(cached in {folder})"
    )
    return paths


def bitrate_kbps(path: Path) -> float:
    return path.stat().st_size * 8 / 1000 / (CYCLES * CYCLE_S)
