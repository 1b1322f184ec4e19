"""Synthetic clips for the smoke-and-fire detector, made with numpy and OpenCV only.

Each clip is a list of :class:`Sample` one "second" apart, each a burst of ``burst`` frames
33 ms apart, like the engine hands over. Every frame carries a little sensor noise, so the
clips look like a live camera (a still picture repeated is another code path).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import cast

import cv2
import numpy as np
from numpy.typing import NDArray

from openvias.algorithms.base import Frame, Sample

WIDTH, HEIGHT = 640, 360
FRAME_GAP_S = 1 / 30


def _noise(frame: Frame, rng: np.random.Generator, sigma: float = 1.5) -> Frame:
    noisy = frame.astype(np.int16) + rng.normal(0, sigma, frame.shape).astype(np.int16)
    return np.clip(noisy, 0, 255).astype(np.uint8)


def textured_background(rng: np.random.Generator, level: int = 60) -> Frame:
    """A dim, softly textured, nearly colourless scene."""
    noise = rng.normal(level, 18, (HEIGHT, WIDTH)).astype(np.float32)
    base = cast(NDArray[np.float32], cv2.GaussianBlur(noise, (0, 0), 4))[..., None]
    tint = np.array([1.0, 1.02, 0.98], np.float32)
    return cast(Frame, np.clip(base * tint, 0, 255).astype(np.uint8))


def draw_flame(frame: Frame, rng: np.random.Generator, cx: int, base_y: int, size: float) -> None:
    """Flickering flame tongues: orange body, yellow inside, white core (in place)."""
    tongues = int(rng.integers(4, 8))
    half = int(size * 0.5)
    sway = int(rng.integers(-int(size * 0.15), int(size * 0.15) + 1))
    layers = ((0, 130, 255), (120, 230, 255), (225, 248, 255))  # B, G, R
    for layer, colour in enumerate(layers):
        shrink = 1.0 - 0.3 * layer
        for t in range(tongues):
            x = cx + int((t - (tongues - 1) / 2) * half * 0.35 * shrink)
            height = size * shrink * rng.uniform(0.4, 1.6)
            width = half * 0.35 * shrink * rng.uniform(0.7, 1.2)
            top = (x + sway + int(rng.integers(-6, 7)), int(base_y - height))
            left = (int(x - width), base_y)
            right = (int(x + width), base_y)
            cv2.fillPoly(frame, [np.array([left, top, right], np.int32)], colour)
        cv2.ellipse(
            frame, (cx, base_y), (int(half * shrink), int(size * 0.18 * shrink)), 0, 0, 360,
            colour, -1,
        )  # fmt: skip


def _burning_samples(
    seconds: int, burst: int, rng: np.random.Generator, draw: Callable[[Frame, int], bool]
) -> list[Sample]:
    """A dim textured scene in which ``draw(frame, i)`` paints sample i's flames in place
    (False when it painted none), blurred a little like a lens, with sensor noise."""
    background = textured_background(rng)
    samples = []
    for i in range(seconds):
        frames = []
        for _ in range(burst):
            frame = background.copy()
            if draw(frame, i):
                frame = cast(Frame, cv2.GaussianBlur(frame, (3, 3), 0))
            frames.append(_noise(frame, rng))
        samples.append(Sample(tuple(frames), tuple(i + k * FRAME_GAP_S for k in range(burst))))
    return samples


def flame_clip(
    seconds: int = 10,
    *,
    burst: int = 3,
    seed: int = 1,
    off: tuple[int, int] | None = None,
    center: tuple[int, int] = (320, 300),
) -> list[Sample]:
    """A flame that grows from small to large on a dark background.

    ``off=(start, stop)`` removes the flame for samples start <= i < stop.
    """
    rng = np.random.default_rng(seed)

    def draw(frame: Frame, i: int) -> bool:
        if off is not None and off[0] <= i < off[1]:
            return False
        draw_flame(frame, rng, center[0], center[1], 40 + 6 * min(i, 12))
        return True

    return _burning_samples(seconds, burst, rng, draw)


def fire_front_clip(seconds: int = 8, *, burst: int = 3, seed: int = 4) -> list[Sample]:
    """A row of small flickering flames across the view: one region far wider than tall."""
    rng = np.random.default_rng(seed)

    def draw(frame: Frame, _: int) -> bool:
        for cx in range(60, 590, 26):
            draw_flame(frame, rng, cx, 300, 34)
        return True

    return _burning_samples(seconds, burst, rng, draw)


def plain_clip(seconds: int = 12, *, burst: int = 3, seed: int = 2) -> list[Sample]:
    """No fire, no smoke: a static scene whose light changes slowly, a static orange lamp
    (fire-coloured but steady) and a grey box crossing the view."""
    rng = np.random.default_rng(seed)
    background = textured_background(rng, level=90)
    cv2.circle(background, (520, 90), 22, (0, 140, 255), -1)
    cv2.circle(background, (520, 90), 9, (220, 245, 255), -1)
    samples = []
    for i in range(seconds):
        light = 8 * np.sin(i / 4)
        frames = []
        for k in range(burst):
            frame = np.clip(background.astype(np.float32) + light, 0, 255).astype(np.uint8)
            x = 20 + 30 * i + k
            cv2.rectangle(frame, (x, 150), (x + 90, 260), (128, 128, 128), -1)
            frames.append(_noise(frame, rng))
        samples.append(Sample(tuple(frames), tuple(i + k * FRAME_GAP_S for k in range(burst))))
    return samples


def smoke_clip(seconds: int = 10, *, burst: int = 1, seed: int = 3) -> list[Sample]:
    """A grey, semi-transparent, ever-changing plume over a textured static scene."""
    rng = np.random.default_rng(seed)
    background = textured_background(rng, level=80)
    samples = []
    for i in range(seconds):
        frames = []
        for _ in range(burst):
            coarse = rng.random((HEIGHT // 8, WIDTH // 8)).astype(np.float32)
            fine = cv2.resize(coarse, (WIDTH, HEIGHT), interpolation=cv2.INTER_CUBIC)
            field = cast(NDArray[np.float32], cv2.GaussianBlur(fine, (0, 0), 6))
            plume = np.zeros((HEIGHT, WIDTH), np.float32)
            cv2.ellipse(plume, (300, 170), (150, 110), 0, 0, 360, 1.0, -1)
            plume = cast(NDArray[np.float32], cv2.GaussianBlur(plume, (0, 0), 15))
            alpha = np.clip(plume * (0.35 + 0.5 * field), 0, 0.85)[..., None]
            smoke = np.full_like(background, 175, dtype=np.uint8)
            frame = background * (1 - alpha) + smoke * alpha
            frames.append(_noise(frame.astype(np.uint8), rng))
        samples.append(Sample(tuple(frames), tuple(i + k * FRAME_GAP_S for k in range(burst))))
    return samples


def panning_texture_clip(
    width: int, height: int, seconds: int, *, speed: int = 50, seed: int = 5
) -> Iterator[Sample]:
    """What a panning camera sees of a grey-brown, finely textured surface (gravel, a
    field, a wall): the whole view moves ``speed`` pixels a second to the left, one key
    frame a second. Yields the samples one by one (a minute of 1080p is 370 MB)."""
    rng = np.random.default_rng(seed)
    texture_width = width + speed * seconds
    grain = rng.normal(0, 1, (height, texture_width)).astype(np.float32)
    grain = cast(NDArray[np.float32], cv2.GaussianBlur(grain, (0, 0), 1))
    grain *= 20 / float(grain.std())
    grey_brown = np.array([100, 115, 130], np.float32)  # B, G, R
    texture = np.clip(grain[..., None] + grey_brown, 0, 255).astype(np.uint8)
    for i in range(seconds):
        view = texture[:, i * speed : i * speed + width]
        yield Sample.single(np.ascontiguousarray(view), float(i))
