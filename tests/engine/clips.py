"""Synthetic H.264 clips for engine tests: a growing, flickering flame, and a plain scene.

Frames come from the same drawing code as the detector's unit tests (a new random flame
shape in every frame, so the flame flickers between consecutive frames, as real flames do),
encoded with PyAV's libx264 at 25 fps with a keyframe every second.
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

import av
import cv2
import numpy as np

from openvias.algorithms.base import Frame
from tests.algorithms.synthetic import HEIGHT, WIDTH, _noise, draw_flame, textured_background

FPS = 25


def write_clip(path: Path, seconds: int, *, flame: bool, seed: int = 1) -> Path:
    rng = np.random.default_rng(seed)
    background = textured_background(rng, level=60 if flame else 90)
    if not flame:  # a steady orange lamp: fire-coloured, but it never flickers
        cv2.circle(background, (520, 90), 22, (0, 140, 255), -1)
        cv2.circle(background, (520, 90), 9, (220, 245, 255), -1)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.options = {"g": str(FPS), "keyint_min": str(FPS), "sc_threshold": "0"}
        for index in range(seconds * FPS):
            frame = background.copy()
            if flame:
                draw_flame(frame, rng, 320, 300, 40 + 6 * min(index // FPS, 12))
                frame = cast(Frame, cv2.GaussianBlur(frame, (3, 3), 0))
            picture = av.VideoFrame.from_ndarray(_noise(frame, rng), format="bgr24")
            for packet in stream.encode(picture):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path
