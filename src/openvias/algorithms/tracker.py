"""Detections to tracks with stable ids: a small ByteTrack-style IoU tracker.

Why our own: the maintained permissive trackers on PyPI either pull the ``opencv-python``
wheel next to our ``opencv-python-headless`` (supervision, Roboflow ``trackers``: two
OpenCV wheels in one environment overwrite each other's ``cv2``) or bring filterpy, scipy
and matplotlib for a Kalman filter (norfair); the AGPL ones (boxmot, ultralytics) cannot be
used. What counting needs fits in this module, with numpy only.

The ByteTrack idea (Zhang et al., 2022) is kept: detections are split by score; confident
ones are matched to the tracks first, and the weak ones (partly hidden people, which a
single threshold would drop) may then only *continue* a track that lost its confident
match, never start one. Matching is greedy on the IoU between the detection and the
track's box moved by its velocity (a constant-velocity prediction in pixels per second, so
it holds at any sampling rate), restricted to the same category. A track is *confirmed*
after ``min_hits`` matched samples (or at once when it starts with a very confident
detection) and dropped after ``max_lost_s`` seconds without a match.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from openvias.algorithms.detector import Box


@dataclass(frozen=True, slots=True)
class TrackerParams:
    high_score: float = 0.45
    low_score: float = 0.15
    #: A new track needs this score; a detection above ``confirm_score`` confirms at once.
    new_track_score: float = 0.5
    confirm_score: float = 0.75
    min_hits: int = 2
    match_iou: float = 0.2
    max_lost_s: float = 1.5
    #: Weight of the newest velocity measurement (exponential smoothing).
    velocity_gain: float = 0.5


@dataclass(slots=True)
class Track:
    """One object followed over samples; ``box`` is its last matched detection."""

    track_id: int
    category: int
    box: Box
    last_seen: float
    detection_id: str = field(default_factory=lambda: str(uuid.uuid4()).upper())
    hits: int = 1
    confirmed: bool = False
    #: Velocity of the box centre, pixels per second.
    vx: float = 0.0
    vy: float = 0.0
    #: Whether the track was matched in the latest update.
    updated: bool = True

    def predicted(self, t: float) -> tuple[float, float, float, float]:
        dt = t - self.last_seen
        b = self.box
        return (b.x0 + self.vx * dt, b.y0 + self.vy * dt, b.x1 + self.vx * dt, b.y1 + self.vy * dt)


def iou(a: tuple[float, float, float, float], b: Box) -> float:
    ix = min(a[2], b.x1) - max(a[0], b.x0)
    iy = min(a[3], b.y1) - max(a[1], b.y0)
    if ix <= 0 or iy <= 0:
        return 0.0
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + b.width * b.height - inter
    return inter / union if union > 0 else 0.0


class Tracker:
    """Feed each sample's detections (with their category) to :meth:`update`."""

    def __init__(self, params: TrackerParams | None = None) -> None:
        self.params = params or TrackerParams()
        self.tracks: list[Track] = []
        self._next_id = 1

    def reset(self) -> None:
        self.tracks = []
        self._next_id = 1

    def update(self, detections: list[tuple[Box, int]], t: float) -> list[Track]:
        """Match this sample's (box, category) pairs at stream time ``t``; returns the
        confirmed tracks matched now."""
        p = self.params
        for track in self.tracks:
            track.updated = False
        high = [d for d in detections if d[0].score >= p.high_score]
        low = [d for d in detections if p.low_score <= d[0].score < p.high_score]
        unmatched_high = self._match(high, self.tracks, t)
        waiting = [track for track in self.tracks if not track.updated]
        self._match(low, waiting, t)
        for box, category in unmatched_high:
            if box.score >= p.new_track_score:
                self.tracks.append(
                    Track(
                        self._next_id,
                        category,
                        box,
                        t,
                        confirmed=box.score >= p.confirm_score or p.min_hits <= 1,
                    )
                )
                self._next_id += 1
        self.tracks = [tr for tr in self.tracks if t - tr.last_seen <= p.max_lost_s]
        return [tr for tr in self.tracks if tr.updated and tr.confirmed]

    def _match(
        self, detections: list[tuple[Box, int]], tracks: list[Track], t: float
    ) -> list[tuple[Box, int]]:
        """Greedy IoU matching; updates the matched tracks, returns unmatched detections."""
        pairs: list[tuple[float, int, int]] = []
        predictions = [track.predicted(t) for track in tracks]
        for di, (box, category) in enumerate(detections):
            for ti, track in enumerate(tracks):
                if track.category != category:
                    continue
                overlap = iou(predictions[ti], box)
                if overlap >= self.params.match_iou:
                    pairs.append((overlap, di, ti))
        pairs.sort(reverse=True)
        used_d: set[int] = set()
        used_t: set[int] = set()
        for _, di, ti in pairs:
            if di in used_d or ti in used_t:
                continue
            used_d.add(di)
            used_t.add(ti)
            self._follow(tracks[ti], detections[di][0], t)
        return [d for i, d in enumerate(detections) if i not in used_d]

    def _follow(self, track: Track, box: Box, t: float) -> None:
        dt = t - track.last_seen
        if dt > 0:
            gain = self.params.velocity_gain
            old = track.box
            vx = ((box.x0 + box.x1) - (old.x0 + old.x1)) / 2 / dt
            vy = ((box.y0 + box.y1) - (old.y0 + old.y1)) / 2 / dt
            track.vx = gain * vx + (1 - gain) * track.vx
            track.vy = gain * vy + (1 - gain) * track.vy
        track.box = box
        track.last_seen = t
        track.hits += 1
        track.updated = True
        if track.hits >= self.params.min_hits:
            track.confirmed = True
