"""The built-in smoke-and-fire detector (``c-smoke-and-fire-cloud`` / ``-edge``).

An explainable, model-free detector: flame cues in :mod:`openvias.algorithms.flame`, smoke
cues in :mod:`openvias.algorithms.smoke`, confirmation and de-duplication in
:mod:`openvias.algorithms.alarm_gate`. Pure numpy + OpenCV, one core.

Per sample (see :class:`~openvias.algorithms.base.Sample`; a burst of 1-3 frames):

1. every frame is downscaled so that its longer side is ``analysis_side`` pixels (1080p:
   320 x 180), which is where all the analysis happens;
2. fire candidates (``fire_detection_sw``) and smoke candidates (``smoke_detection_sw``)
   are found, one box per connected region, and mapped back to full-resolution pixels;
3. candidates whose box centre lies outside every ``target_roi`` polygon are dropped (no
   polygons = the whole frame);
4. an alarm gate per state reports it once it is confirmed in N of M samples (fire: 3 of
   4; smoke, whose cue already demands 3 of 4 per block: 1 of 1) and then stays quiet for
   it until it has been absent for a few samples (one alarm per onset).

Sampling assumption: samples are ``video_sampling_interval`` seconds apart (1 s by default)
and each carries the key frame plus the next one or two decoded frames (a burst, ~33-66 ms):
flicker within a burst is the strongest fire cue. The detector asks for the burst only when
the key frame has flame-coloured regions (``pictures_after``; the engine then decodes no
more than the key frame of most samples); smoke uses key frames only. Single-frame samples
work too (fire then relies on change between samples, which is weaker evidence). The gates
count samples, not seconds: at a 10 s interval, confirming a fire takes 30 s. Cues across
samples assume a fixed camera; when most of the frame changes at once (camera moved, lights
switched) or the whole view shifts (a panning camera) the smoke history restarts, and when
most of it changes fire falls back on single-frame cues for that sample.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import cast

import cv2

from openvias.algorithms.alarm_gate import AlarmGate, Candidate, GateParams
from openvias.algorithms.base import STATE_FIRE, STATE_SMOKE, Detection, Frame, Sample
from openvias.algorithms.flame import FlameCues, FlameParams, Planes
from openvias.algorithms.smoke import SmokeCues, SmokeParams
from openvias.domain.algorithm_configs import SmokeAndFireCommon
from openvias.domain.roi import TargetRoi, roi_or_whole_frame

#: Pictures after the key frame the flicker cue uses (``FlameCues``: pairs within a burst).
BURST_AFTER_KEY = 2


@dataclass(frozen=True, slots=True)
class SmokeFireParams:
    """Every tunable of the detector: one configuration for all cameras."""

    analysis_side: int = 320
    flame: FlameParams = field(default_factory=FlameParams)
    smoke: SmokeParams = field(default_factory=SmokeParams)
    #: Fire candidates are per-sample, so they need 3 of 4 samples (a sign whose bulbs
    #: chase every other second passes 2 of 3). Smoke candidates are already persistent
    #: (each block 3 of the last 4 samples), so one sample confirms them.
    fire_gate: GateParams = field(default_factory=lambda: GateParams(confirm_n=3, confirm_m=4))
    smoke_gate: GateParams = field(default_factory=lambda: GateParams(confirm_n=1, confirm_m=1))


def params_for(config: SmokeAndFireCommon) -> SmokeFireParams:
    """The tuned parameters with the config's openvias sensitivity keys applied (their
    defaults are the tuned values, so a VIAS config gets exactly these)."""
    base = SmokeFireParams()
    return replace(
        base,
        flame=replace(base.flame, live_accept=config.openvias_fire_min_score / 100),
        smoke=replace(base.smoke, min_blocks=config.openvias_smoke_min_blocks),
        fire_gate=replace(base.fire_gate, confirm_n=config.openvias_fire_confirm_samples),
    )


def analysis_scale(width: int, height: int, side: int) -> float:
    """The factor that brings the longer side down to ``side`` (never enlarges)."""
    return min(1.0, side / max(width, height))


def downscale(frame: Frame, side: int) -> Frame:
    """The frame with its longer side at most ``side`` pixels (area interpolation)."""
    height, width = frame.shape[:2]
    scale = analysis_scale(width, height, side)
    if scale >= 1.0:
        return frame
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cast(Frame, cv2.resize(frame, size, interpolation=cv2.INTER_AREA))


class SmokeFireDetector:
    """One instance per stream; see the module docstring and ``Algorithm``."""

    def __init__(
        self, config: SmokeAndFireCommon | None = None, params: SmokeFireParams | None = None
    ) -> None:
        # One stream per process, many processes per node: on 320-px frames OpenCV's
        # thread pool spends more CPU than it saves time (detect 2.7 -> 1.8 CPU-ms per
        # sample single-threaded, measured), and the node's cores belong to other streams.
        cv2.setNumThreads(1)
        self.config = config or SmokeAndFireCommon()
        self.params = params or params_for(self.config)
        roi = self.config.target_roi
        self.roi: TargetRoi = roi_or_whole_frame(roi)
        self._flame = FlameCues(self.params.flame)
        self._smoke = SmokeCues(self.params.smoke)
        self._gates = {
            STATE_FIRE: AlarmGate(self.params.fire_gate),
            STATE_SMOKE: AlarmGate(self.params.smoke_gate),
        }
        self._shape: tuple[int, ...] | None = None
        self._key_planes: tuple[Frame, Planes] | None = None
        #: This sample's candidates before confirmation (for logs, benchmarks, debugging).
        self.last_candidates: list[Detection] = []

    def reset(self) -> None:
        self._flame.reset()
        self._smoke.reset()
        for gate in self._gates.values():
            gate.reset()
        self._shape = None
        self._key_planes = None
        self.last_candidates = []

    def process(self, sample: Sample) -> list[Detection]:
        if self._shape != sample.key.shape:
            self.reset()
            self._shape = sample.key.shape
        candidates = self.candidates(sample)
        self.last_candidates = candidates
        alarms: list[Detection] = []
        for state, gate in self._gates.items():
            mine = [Candidate(state, (d.x, d.y, d.w, d.h), d.score) for d in candidates
                    if d.state == state]  # fmt: skip
            alarms.extend(Detection(c.state, *c.box, score=c.score) for c in gate.update(mine))
        return alarms

    def pictures_after(self, key: Frame, timestamp: float) -> int:
        """The burst matters only to fire, and only around flame-coloured regions of the
        key frame (``FlameCues.analyse`` ignores it otherwise), so a sample without any
        needs no more than its key frame: the results are the same, the decoding is not."""
        if not self.config.fire_detection_sw:
            return 0
        small = downscale(key, self.params.analysis_side)
        return BURST_AFTER_KEY if self._flame.wants_burst(small, self._planes(small)) else 0

    def candidates(self, sample: Sample) -> list[Detection]:
        """This sample's fire and smoke regions inside the ROI (updates cue history)."""
        side = self.params.analysis_side
        small = [downscale(frame, side) for frame in sample.frames]
        sx = small[0].shape[1] / sample.width
        sy = small[0].shape[0] / sample.height
        found: list[Detection] = []
        planes = self._planes(small[0])
        if self.config.fire_detection_sw:
            for f in self._flame.analyse(small, planes):
                found.append(self._full(sample, STATE_FIRE, (f.x, f.y, f.w, f.h), f.score, sx, sy))
        if self.config.smoke_detection_sw:
            for s in self._smoke.analyse(small[0], planes):
                found.append(self._full(sample, STATE_SMOKE, (s.x, s.y, s.w, s.h), s.score, sx, sy))
        return [d for d in found if self.roi.contains(*d.center)]

    def _planes(self, key: Frame) -> Planes:
        """The key frame's planes, shared by the flame and smoke cues (and by
        :meth:`pictures_after` and :meth:`candidates` of one sample)."""
        cached = self._key_planes
        if cached is not None and cached[0] is key:
            return cached[1]
        planes = Planes.of(key)
        self._key_planes = (key, planes)
        return planes

    @staticmethod
    def _full(
        sample: Sample,
        state: int,
        box: tuple[int, int, int, int],
        score: float,
        sx: float,
        sy: float,
    ) -> Detection:
        """A detection in full-resolution pixels from an analysis-pixel box."""
        x, y, w, h = box
        x0 = max(0, math.floor(x / sx))
        y0 = max(0, math.floor(y / sy))
        x1 = min(sample.width, math.ceil((x + w) / sx))
        y1 = min(sample.height, math.ceil((y + h) / sy))
        return Detection(state, x0, y0, max(1, x1 - x0), max(1, y1 - y0), score)
