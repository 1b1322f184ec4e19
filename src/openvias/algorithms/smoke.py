"""Smoke cues: greyish regions in constant slow turbulence, against a still scene.

Works on blocks of ``block`` x ``block`` analysis pixels (cheap, and robust to noise and
compression), after Toreyin, Dedeoglu & Cetin 2006 and Calderara et al. 2008, adapted to
samples 1 s apart:

- **turbulent**: the block's mean grey level changed since the previous sample, but
  moderately (``change`` < delta < ``jump``): smoke billows and drifts all the time, while
  the static scene does not change and solid objects change by large jumps;
- **greyish**: low chroma (max - min of B, G, R over the block) and neither black nor
  blown out; combustion smoke is grey, blue-grey or black;
- **smooth**: the block's edge energy (mean |Sobel x| + |Sobel y|) stays below
  ``max_edge``: smoke is soft, whereas the outline of a person or an object is sharp;
- **persistent**: a block counts as smoke when it was turbulent and greyish in at least
  ``persist_k`` of the last ``persist_w`` samples. A passer-by, a car or a puff of vapour
  covers a block for one or two samples, smoke from a fire keeps coming;
- **still scene**: when more than ``global_change`` of all blocks change at once (camera
  moved, lights switched, auto-exposure, a face close to the lens) the sample carries no
  usable smoke evidence, and the history restarts;
- **fixed camera**: when the scene moved as a whole (a panning or drifting camera), the
  change of every block is the camera's, not smoke's: phase correlation of the key frame
  with the previous one finds a shift of at least ``pan_shift`` pixels with a peak of at
  least ``pan_peak`` (a coherent translation of most of the view; a smoke plume over a
  still scene gives no shift, a moving object too small a peak), and the history restarts
  at that sample. Phase correlation costs about as much as the rest of the cue, so it runs
  only once a region is about to be reported, on the samples of the window that had
  evidence (newest first), with the same outcome as checking every sample; at the analysis
  size, since at half of it the estimate of a still view drifts to about 1 pixel. Without
  it, a panning view of a grey-brown texture (gravel, a field, a wall) raised smoke: fine
  texture averaged into blocks changes moderately, not all at once.

Connected components of at least ``min_blocks`` persistent blocks (20 blocks of 8 x 8 at
320 x 180, about 2 % of the view) are smoke candidates. Their score grows with persistence,
size and *softening*: smoke is semi-transparent and blurs what is behind it, so edge energy
drops below a slow running average of the block's own.

Smoke needs change over several samples, so a still picture never yields smoke.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import cast

import cv2
import numpy as np
from numpy.typing import NDArray

from openvias.algorithms.flame import Planes, ramp

F32 = NDArray[np.float32]
BoolMap = NDArray[np.bool_]
U8 = NDArray[np.uint8]


@dataclass(frozen=True, slots=True)
class SmokeParams:
    block: int = 8
    change: float = 2.0  # grey levels (block mean) that count as a change
    jump: float = 30.0  # ... and above which the change is a solid object, not smoke
    max_chroma: float = 45.0
    gray_range: tuple[float, float] = (40.0, 235.0)
    persist_k: int = 3
    persist_w: int = 4
    global_change: float = 0.5
    min_blocks: int = 20
    max_edge: float = 150.0  # block mean |Sobel x| + |Sobel y|: smoke is smooth
    edge_rate: float = 0.1  # running-average rate of the edge-energy background
    pan_shift: float = 1.0  # analysis pixels the whole view must move to count as camera motion
    pan_peak: float = 0.5  # phase-correlation peak of a coherent shift (unrelated views: < 0.1)

    def __post_init__(self) -> None:
        if not 1 <= self.persist_k <= self.persist_w:
            raise ValueError("need 1 <= persist_k <= persist_w")


@dataclass(slots=True)
class SmokeRegion:
    """A smoke candidate in analysis pixels."""

    x: int
    y: int
    w: int
    h: int
    blocks: int
    score: float


@dataclass(slots=True)
class _Evidence:
    """One sample's smoke-evidence blocks; ``pictures`` (the previous and this key frame's
    grey pictures) while it is not known whether the camera moved in between."""

    blocks: BoolMap
    pictures: tuple[F32, F32] | None


def _block_means(plane: F32, block: int) -> F32:
    h, w = plane.shape
    hb, wb = h // block, w // block
    cropped = plane[: hb * block, : wb * block]
    return cast(F32, cv2.resize(cropped, (wb, hb), interpolation=cv2.INTER_AREA))


class SmokeCues:
    """Stateful smoke analysis over a stream of (downscaled) key frames."""

    def __init__(self, params: SmokeParams | None = None) -> None:
        self.params = params or SmokeParams()
        self._previous: F32 | None = None
        #: The previous key frame's grey picture.
        self._previous_motion: F32 | None = None
        self._window: F32 | None = None
        self._edge_background: F32 | None = None
        self._evidence: deque[_Evidence] = deque(maxlen=self.params.persist_w)
        #: The last sample's persistent smoke blocks (for debugging and explanations).
        self.last_blocks: BoolMap | None = None

    def reset(self) -> None:
        self._previous = None
        self._previous_motion = None
        self._edge_background = None
        self._evidence.clear()
        self.last_blocks = None

    def _planes(self, bgr: U8, planes: Planes | None) -> tuple[F32, F32, F32, F32]:
        b = self.params.block
        planes = planes or Planes.of(bgr)
        gray = planes.gray
        blue, green, red = planes.channels
        chroma = cv2.subtract(planes.value, cv2.min(cv2.min(blue, green), red))
        # In integers (exact: at most 2040), half the memory traffic of float gradients.
        gx = cv2.Sobel(gray, cv2.CV_16S, 1, 0, ksize=3)
        gy = cv2.Sobel(gray, cv2.CV_16S, 0, 1, ksize=3)
        edge = cast(F32, cv2.add(np.abs(gx), np.abs(gy)).astype(np.float32))
        pixels = gray.astype(np.float32)
        return (
            pixels,
            _block_means(pixels, b),
            _block_means(chroma.astype(np.float32), b),
            _block_means(edge, b),
        )

    def analyse(self, key: U8, planes: Planes | None = None) -> list[SmokeRegion]:
        """Smoke candidates of one key frame (downscaled); ``planes``, the key's own when
        the flame cues already computed them."""
        p = self.params
        motion, gray, chroma, edge = self._planes(key, planes)
        previous, edge_bg = self._previous, self._edge_background
        previous_motion, self._previous_motion = self._previous_motion, motion
        self._previous = gray
        self.last_blocks = None
        if previous is None or edge_bg is None or previous.shape != gray.shape:
            self._edge_background = edge
            self._evidence.clear()
            return []
        self._edge_background = edge_bg + p.edge_rate * (edge - edge_bg)
        delta = np.abs(gray - previous)
        changed = delta > p.change
        if float(changed.mean()) > p.global_change:
            self._evidence.clear()
            return []
        evidence = (
            changed
            & (delta < p.jump)
            & (chroma < p.max_chroma)
            & (gray > p.gray_range[0])
            & (gray < p.gray_range[1])
            & (edge < p.max_edge)
        )
        pictures = None
        if evidence.any() and previous_motion is not None:
            pictures = (previous_motion, motion)
        self._evidence.append(_Evidence(evidence, pictures))
        regions = self._regions(edge, edge_bg)
        if regions and self._forget_camera_motion():
            regions = self._regions(edge, edge_bg)
        return regions

    def _regions(self, edge: F32, edge_bg: F32) -> list[SmokeRegion]:
        """Connected regions of blocks persistent over the evidence window."""
        p = self.params
        self.last_blocks = None
        if len(self._evidence) < p.persist_k:
            return []
        # Small integers (at most persist_w) added in place: exact, without stacking.
        counts = np.zeros(self._evidence[0].blocks.shape, np.int64)
        for entry in self._evidence:
            counts += entry.blocks
        persistent = counts >= p.persist_k
        self.last_blocks = persistent
        if np.count_nonzero(persistent) < p.min_blocks:
            return []  # no region can be large enough (the usual quiet sample)
        count, labels, stats, _ = cv2.connectedComponentsWithStats(
            persistent.view(np.uint8), connectivity=8
        )
        softening = np.clip(1.0 - edge / (edge_bg + 1.0), 0.0, 1.0)
        regions: list[SmokeRegion] = []
        b = p.block
        for index in range(1, count):
            bx, by, bw, bh, blocks = (int(v) for v in stats[index])
            if blocks < p.min_blocks:
                continue
            inside = labels == index
            persistence = float(counts[inside].mean()) / p.persist_w
            soft = ramp(float(softening[inside].mean()), 0.0, 0.3)
            score = 0.5 * persistence + 0.3 * ramp(blocks, p.min_blocks, 4 * p.min_blocks)
            score += 0.2 * soft
            regions.append(SmokeRegion(bx * b, by * b, bw * b, bh * b, blocks, round(score, 3)))
        return regions

    def _forget_camera_motion(self) -> bool:
        """Drops the newest sample at which the camera moved and every one before it (what
        clearing the history at that sample would have left); True if it dropped any."""
        entries = list(self._evidence)
        for index in range(len(entries) - 1, -1, -1):
            pictures = entries[index].pictures
            if pictures is None:
                continue
            entries[index].pictures = None  # checked: the camera did not move (or dropped)
            if self._camera_moved(*pictures):
                self._evidence.clear()
                self._evidence.extend(entries[index + 1 :])
                return True
        return False

    def _camera_moved(self, previous: F32, current: F32) -> bool:
        """Whether the view moved as a whole between two key frames."""
        if previous.shape != current.shape:
            return False
        if self._window is None or self._window.shape != current.shape:
            height, width = current.shape
            self._window = cast(F32, cv2.createHanningWindow((width, height), cv2.CV_32F))
        (dx, dy), peak = cv2.phaseCorrelate(previous, current, self._window)
        shift = float(np.hypot(dx, dy))
        return peak >= self.params.pan_peak and shift >= self.params.pan_shift
