"""Flame cues: colour, light, shape and flicker of fire-coloured regions.

All work happens on downscaled frames (``SmokeFireParams.analysis_side``, 320 px by default).

1. **Flame pixels** (after Chen, Wu & Chiou 2004 and Celik & Demirel 2009). A flame emits
   light: its body has a strong red channel (R >= ``min_red``), R >= G > B, an orange to
   yellow hue (10-64 degrees) and a clear saturation; its core burns out to near white
   (V >= 235, low saturation, G high) and counts only next to body pixels. Opening then
   closing the mask and taking connected components gives one region per flame.
2. **Static cues** of a region, each a ramp in [0, 1]: ``bright`` (90th percentile of V:
   flames are among the brightest things in view), ``vertical`` (horizontal over vertical
   gradient energy along the region: flame tongues rise, so their edges run up and down,
   whereas sunsets, skylines and sky bands are horizontal), ``irregular`` (perimeter^2 over
   4 pi area: a flame is ragged, a lamp or a window is round or rectangular) and ``size``.
   ``static`` is the weakest of them. ``upright`` (box height over width) matters only
   for still pictures, see 4.
3. **Temporal cues.** Flames flicker at ~10 Hz: within a burst (frames ~33 ms apart) part
   of a flame's pixels toggle or change brightness, while a lamp, a red wall or a sunset
   does not change. ``flicker`` is the fraction of changed pixels around the region minus
   the largest such fraction over the whole frame (so camera shake and lighting changes do
   not count); ``sample_change`` is the same measure between this sample and the previous
   one (1 s apart), weaker evidence because everything that moves changes in 1 s. Pairs of
   identical frames (duplicated by the encoder) carry no information and are skipped. A
   region that vanishes within a burst is a *blinking light* (neon, indicator, bulbs) and
   is rejected, as is a region of about the same box for ``blink_memory`` samples after:
   real flames do not go out in 33 ms.
4. **Decision.** If the frames carry temporal information (a burst pair or the previous
   sample differs from this one at all), a region needs a ``temporal`` score *and* a
   moderate ``static`` score: in live video a fire-coloured thing that does not flicker is
   not a fire. If nothing changes anywhere (a still picture fed repeatedly, a frozen
   stream), temporal cues are unavailable and the decision degrades to the static cues
   alone, every one of them at the top of its ramp, with half the score, and the region's
   box must also be upright (height at least 0.4 of its width): without flicker, a thin
   horizontal strip of warm light (reflections on water, a row of lit windows, a band of
   sunset) is far likelier than a fire. Live video does not need it: there flicker
   decides, and a distant fire front can be much wider than tall.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import cast

import cv2
import numpy as np
from cv2.typing import MatLike
from numpy.typing import NDArray

BoolMap = NDArray[np.bool_]
U8 = NDArray[np.uint8]
F32 = NDArray[np.float32]
Box = tuple[int, int, int, int]

_K3 = np.ones((3, 3), np.uint8)
_K5 = np.ones((5, 5), np.uint8)
_NO_LABELS: NDArray[np.int32] = np.zeros((0, 0), np.int32)


@dataclass(frozen=True, slots=True)
class FlameParams:
    min_red: int = 190
    hue_range: tuple[int, int] = (5, 32)  # OpenCV hue units (2 degrees)
    min_body_saturation: int = 90
    core_value: int = 235
    core_green: int = 200
    min_area: int = 20  # analysis pixels
    # static cues: ramps (low, high); a still picture needs every cue at its high end
    bright_ramp: tuple[float, float] = (200.0, 240.0)  # 90th percentile of V
    vertical_ramp: tuple[float, float] = (0.5, 0.9)  # sum |d/dx| / sum |d/dy|
    irregular_ramp: tuple[float, float] = (1.2, 1.8)  # perimeter^2 / (4 pi area)
    size_ramp: tuple[float, float] = (20.0, 200.0)  # analysis pixels
    upright_ramp: tuple[float, float] = (0.25, 0.4)  # box height / width; stills only
    # temporal cues
    flicker_ramp: tuple[float, float] = (0.05, 0.20)
    sample_change_ramp: tuple[float, float] = (0.25, 0.60)
    sample_change_weight: float = 0.6
    change_level: int = 20  # |delta V| that counts as a changed pixel
    informative_diff: float = 0.1  # mean |delta gray| below which two frames are duplicates
    max_global_change: float = 0.3  # changed fraction of the frame above which the camera moved
    blink_ratio: float = 0.15
    blink_min_area: int = 40
    blink_memory: int = 10  # samples during which a blinking light stays suspect
    blink_iou: float = 0.4  # box overlap that makes a region "the same light"
    live_static_min: float = 0.3
    live_temporal_min: float = 0.5
    live_accept: float = 0.6


@dataclass(slots=True)
class FlameRegion:
    """A fire candidate in analysis pixels, with the cues that decided it."""

    x: int
    y: int
    w: int
    h: int
    area: int
    score: float
    cues: dict[str, float] = field(default_factory=dict)


def box_iou(a: Box, b: Box) -> float:
    """Intersection over union of two (x, y, w, h) boxes."""
    ix = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    iy = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    if ix <= 0 or iy <= 0:
        return 0.0
    inter = ix * iy
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def ramp(value: float, low: float, high: float) -> float:
    """0 at or below ``low``, 1 at or above ``high``, linear in between."""
    if value <= low:
        return 0.0
    if value >= high:
        return 1.0
    return (value - low) / (high - low)


@dataclass(slots=True)
class _Frame:
    """Per-frame planes shared by the cues."""

    value: U8
    gray: U8
    mask: BoolMap


@dataclass(frozen=True, slots=True)
class Planes:
    """The B, G, R planes of a picture, their maximum (HSV's V) and its grey: computed once
    per key frame for both the flame and the smoke cues."""

    channels: tuple[U8, U8, U8]
    value: U8
    gray: U8

    @classmethod
    def of(cls, bgr: U8) -> Planes:
        b, g, r = cv2.split(bgr)
        value = cast(U8, cv2.max(cv2.max(b, g), r))
        gray = cast(U8, cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY))
        return cls(channels=(cast(U8, b), cast(U8, g), cast(U8, r)), value=value, gray=gray)


def _at_least(plane: MatLike, level: int, high: int = 255) -> U8:
    """``high`` where the plane is at least ``level``, else 0."""
    return cast(U8, cv2.threshold(plane, level - 1, high, cv2.THRESH_BINARY)[1])


def _prepare(bgr: U8, p: FlameParams, planes: Planes | None = None) -> _Frame:
    """Brightness (HSV's V, the largest of B, G, R), gray and flame pixels of one frame.

    The flame mask is the body plus the burnt-out core next to it. Hue and saturation are
    needed only where a pixel can be flame body (strong red, R >= G > B), so HSV is computed
    only in the box around those pixels: most views have few or none, and the conversion is
    the costliest step of the frame.
    """
    planes = planes or Planes.of(bgr)
    b, g, r = planes.channels
    value, gray = planes.value, planes.gray
    strong_red = _at_least(r, p.min_red)
    if not cv2.countNonZero(strong_red):  # no body, so no core either: most views
        return _Frame(value=value, gray=gray, mask=np.zeros(value.shape, np.bool_))
    red_over_green = cv2.compare(r, g, cv2.CMP_GE)
    body = cv2.bitwise_and(red_over_green, cv2.compare(g, b, cv2.CMP_GT))
    body = cv2.bitwise_and(body, strong_red)
    x, y, w, h = cv2.boundingRect(body)
    if w == 0:
        return _Frame(value=value, gray=gray, mask=np.zeros(value.shape, np.bool_))
    box = (slice(y, y + h), slice(x, x + w))
    hue, saturation, _ = cv2.split(cv2.cvtColor(bgr[box], cv2.COLOR_BGR2HSV))
    coloured = cv2.bitwise_and(
        cv2.inRange(hue, p.hue_range[0], p.hue_range[1]),
        _at_least(saturation, p.min_body_saturation),
    )
    body[box] = cv2.bitwise_and(body[box], coloured)
    core = cv2.bitwise_and(_at_least(value, p.core_value), red_over_green)
    core = cv2.bitwise_and(core, cv2.compare(g, b, cv2.CMP_GE))
    core = cv2.bitwise_and(core, _at_least(g, p.core_green))
    if cv2.countNonZero(core):
        near_body = cv2.dilate(body, _K5)
        body = cv2.bitwise_or(body, cv2.bitwise_and(core, near_body))
    mask = cv2.morphologyEx(body, cv2.MORPH_OPEN, _K3)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, _K5)
    return _Frame(value=value, gray=gray, mask=_at_least(mask, 1, high=1).view(np.bool_))


def flame_mask(bgr: U8, p: FlameParams) -> BoolMap:
    """Flame pixels of one frame (body plus the burnt-out core next to it)."""
    return _prepare(bgr, p).mask


def _fraction(pixels: BoolMap) -> float:
    return cv2.countNonZero(pixels.view(np.uint8)) / pixels.size


def _informative(a: _Frame, b: _Frame, p: FlameParams) -> bool:
    mean_difference = cv2.norm(a.gray, b.gray, cv2.NORM_L1) / a.gray.size
    return mean_difference > p.informative_diff


def _changed(a: _Frame, b: _Frame, p: FlameParams) -> BoolMap:
    """Pixels whose flame label toggles or whose brightness jumps between a and b."""
    jump = cast(U8, cv2.absdiff(a.value, b.value)) > p.change_level
    return cast(BoolMap, jump | (a.mask != b.mask))


@dataclass(frozen=True, slots=True)
class _Component:
    label: int
    box: Box
    area: int


def _components(mask: BoolMap, min_area: int) -> tuple[NDArray[np.int32], list[_Component]]:
    """Labels of the mask's 8-connected components, and those of at least ``min_area``
    pixels. Labelling runs only on the box around the mask's pixels."""
    x, y, w, h = cv2.boundingRect(mask.view(np.uint8))
    if w == 0:
        return _NO_LABELS, []  # labels are only looked up for a component
    labels = np.zeros(mask.shape, np.int32)
    crop = np.ascontiguousarray(mask[y : y + h, x : x + w].view(np.uint8))
    count, crop_labels, stats, _ = cv2.connectedComponentsWithStatsWithAlgorithm(
        crop, 8, cv2.CV_32S, cv2.CCL_BBDT
    )
    labels[y : y + h, x : x + w] = crop_labels
    found = []
    for label in range(1, count):
        cx, cy, cw, ch, area = (int(v) for v in stats[label])
        if area >= min_area:
            found.append(_Component(label, (cx + x, cy + y, cw, ch), area))
    return labels, found


class FlameCues:
    """Stateful flame analysis over a stream of (downscaled) samples."""

    def __init__(self, params: FlameParams | None = None) -> None:
        self.params = params or FlameParams()
        self._previous: _Frame | None = None
        self._blinks: deque[list[Box]] = deque(maxlen=self.params.blink_memory)
        #: The key frame :meth:`wants_burst` looked at, its planes and flame regions.
        self._looked_at: tuple[U8, _Frame, NDArray[np.int32], list[_Component]] | None = None

    def reset(self) -> None:
        self._previous = None
        self._blinks.clear()

    def wants_burst(self, key: U8, planes: Planes | None = None) -> bool:
        """Whether the rest of the burst can matter: the key frame (downscaled) has a
        flame-coloured region. :meth:`analyse` reuses this work for the same key array."""
        prepared = _prepare(key, self.params, planes)
        labels, components = _components(prepared.mask, self.params.min_area)
        self._looked_at = (key, prepared, labels, components)
        return bool(components)

    def analyse(self, frames: list[U8], key_planes: Planes | None = None) -> list[FlameRegion]:
        """Fire candidates of one sample; frames[0] is the key frame, all downscaled."""
        p = self.params
        looked_at, self._looked_at = self._looked_at, None
        if looked_at is not None and looked_at[0] is frames[0]:
            _, key, labels, components = looked_at
        else:
            key = _prepare(frames[0], p, key_planes)
            labels, components = _components(key.mask, p.min_area)
        previous = self._previous
        if previous is not None and previous.gray.shape != key.gray.shape:
            previous = None
        self._previous = key
        blinks: list[Box] = []
        self._blinks.append(blinks)
        if not components:
            return []  # the rest of the burst matters only around flame-coloured regions
        prepared = [key, *(_prepare(f, p) for f in frames[1:])]
        pairs = [
            (prepared[i], prepared[i + 1])
            for i in range(len(prepared) - 1)
            if _informative(prepared[i], prepared[i + 1], p)
        ]
        burst_changes = [_changed(a, b, p) for a, b in pairs]
        keep = [_fraction(c) <= p.max_global_change for c in burst_changes]
        pairs = [pair for pair, ok in zip(pairs, keep, strict=True) if ok]
        burst_changes = [c for c, ok in zip(burst_changes, keep, strict=True) if ok]
        sample_change: BoolMap | None = None
        if previous is not None and _informative(previous, key, p):
            sample_change = _changed(previous, key, p)
            if _fraction(sample_change) > p.max_global_change:
                sample_change = None
        live = bool(pairs) or sample_change is not None

        burst_base = max((_fraction(c) for c in burst_changes), default=0.0)
        sample_base = _fraction(sample_change) if sample_change is not None else 0.0
        height, width = key.mask.shape
        regions: list[FlameRegion] = []
        for component in components:
            x, y, w, h = component.box
            pad = max(4, w // 2, h // 2)
            x0, y0 = max(0, x - pad), max(0, y - pad)
            x1, y1 = min(width, x + w + pad), min(height, y + h + pad)
            win = (slice(y0, y1), slice(x0, x1))
            region = labels[win] == component.label
            cues = self._static_cues(key, region, win, component.area)
            static = min(cues.values())
            cues["static"] = static
            if not live:
                cues["upright"] = ramp(h / w, *p.upright_ramp)
                still = min(static, cues["upright"])
                score, accepted = 0.5 * still, still >= 1.0
            else:
                blink, flicker = self._burst_flicker(pairs, burst_changes, win)
                if blink:
                    blinks.append((x, y, w, h))
                cues["blink"] = 1.0 if blink or self._blinked_near((x, y, w, h)) else 0.0
                cues["flicker"] = max(0.0, flicker - burst_base)
                temporal = ramp(cues["flicker"], *p.flicker_ramp) if pairs else 0.0
                if sample_change is not None and previous is not None:
                    near = region | previous.mask[win]
                    changed = float(sample_change[win][near].mean()) - sample_base
                    cues["sample_change"] = max(0.0, changed)
                    temporal = max(
                        temporal,
                        p.sample_change_weight * ramp(cues["sample_change"], *p.sample_change_ramp),
                    )
                cues["temporal"] = temporal
                score = 0.5 * (static + temporal)
                accepted = (
                    not cues["blink"]
                    and static >= p.live_static_min
                    and temporal >= p.live_temporal_min
                    and score >= p.live_accept
                )
            if accepted:
                regions.append(FlameRegion(x, y, w, h, component.area, round(score, 3), cues))
        return regions

    def _static_cues(
        self, key: _Frame, region: BoolMap, win: tuple[slice, slice], area: int
    ) -> dict[str, float]:
        p = self.params
        # The window reaches at least 3 pixels past the region's rim, so its own border
        # handling never touches the gradients measured here.
        gray = key.gray[win]
        gx = cast(F32, cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3))
        gy = cast(F32, cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3))
        inside = key.value[win][region]
        edge = cv2.dilate(region.view(np.uint8), _K3).view(bool)
        horizontal = float(np.abs(gx[edge]).sum())
        vertical = float(np.abs(gy[edge]).sum())
        contours, _ = cv2.findContours(
            region.view(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE
        )
        perimeter = sum(cv2.arcLength(c, True) for c in contours)
        return {
            "bright": ramp(float(np.percentile(inside, 90)), *p.bright_ramp),
            "vertical": ramp(horizontal / (vertical + 1.0), *p.vertical_ramp),
            "irregular": ramp(perimeter * perimeter / (4 * np.pi * area), *p.irregular_ramp),
            "size": ramp(float(area), *p.size_ramp),
        }

    def _blinked_near(self, box: Box) -> bool:
        """Whether a light of about this box blinked in the last ``blink_memory`` samples."""
        return any(
            box_iou(box, old) >= self.params.blink_iou for sample in self._blinks for old in sample
        )

    def _burst_flicker(
        self,
        pairs: list[tuple[_Frame, _Frame]],
        changes: list[BoolMap],
        win: tuple[slice, slice],
    ) -> tuple[bool, float]:
        """(blinks, mean fraction of changed pixels near the region) over the burst."""
        p = self.params
        blink = False
        fractions: list[float] = []
        for (a, b), changed in zip(pairs, changes, strict=True):
            ma, mb = a.mask[win], b.mask[win]
            na, nb = int(ma.sum()), int(mb.sum())
            if max(na, nb) >= p.blink_min_area and min(na, nb) < p.blink_ratio * max(na, nb):
                blink = True
            union = ma | mb
            if union.any():
                fractions.append(float(changed[win][union].mean()))
        return blink, (sum(fractions) / len(fractions) if fractions else 0.0)
