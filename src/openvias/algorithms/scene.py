"""People and vehicles in a scene: detect, track, and follow them across lines and regions.

Shared by intrusion detection and flow counting. Per sample, :meth:`Scene.update` runs the
detector on the key frame, keeps the wanted categories (person, vehicle), tracks them and
reports what each confirmed track did since its previous observation:

- its *reference point*: a person's feet (bottom-centre of the box), a vehicle's box
  centre (``shared/data/people/README.md`` conventions);
- **line crossings**: the point went from one side of a ``target_roi`` line to the other
  through the segment itself (points within ``line_margin`` pixels of the line count as on
  it and wait for a clear side, so a person standing on the line is not counted again and
  again);
- **region entries**: the point came inside a polygon. A track that leaves and comes back
  within ``rearm_s`` seconds continues the same visit (a foot on the border flickers in and
  out); the visit's start time gives loitering.

No polygon = one region, the whole frame (VIAS: no ROI = the whole frame).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from openvias.algorithms.base import Sample
from openvias.algorithms.detector import PERSON, VEHICLES, Box, ObjectDetector
from openvias.algorithms.tracker import Track, Tracker, TrackerParams
from openvias.domain.geometry import Point, crossing, side_of
from openvias.domain.roi import RoiLine, RoiPolygon, TargetRoi

CATEGORY_PERSON = 0
CATEGORY_VEHICLE = 1


@dataclass(frozen=True, slots=True)
class SceneParams:
    tracker: TrackerParams = field(default_factory=TrackerParams)
    line_margin: float = 2.0
    rearm_s: float = 2.0


@dataclass(frozen=True, slots=True)
class Crossing:
    track: Track
    line: int
    from_side: int
    to_side: int


@dataclass(frozen=True, slots=True)
class Entry:
    track: Track
    region: int


@dataclass(slots=True)
class _Visit:
    inside: bool = False
    #: Start of the current visit (None: not in a visit); last time seen inside.
    started: float | None = None
    last_inside: float = 0.0
    loitering_reported: bool = False


@dataclass(frozen=True, slots=True)
class SceneUpdate:
    tracks: list[Track]
    crossings: list[Crossing]
    entries: list[Entry]
    #: (track, region, seconds in the region) of every confirmed track inside a region now.
    stays: list[tuple[Track, int, float]]

    def inside(self, region: int) -> int:
        return sum(1 for _, r, _ in self.stays if r == region)


def reference_point(box: Box, category: int) -> Point:
    x = (box.x0 + box.x1) / 2
    if category == CATEGORY_PERSON:
        return (x, box.y1)
    return (x, (box.y0 + box.y1) / 2)


class Scene:
    """One per stream; see the module docstring."""

    def __init__(
        self,
        detector: ObjectDetector,
        roi: TargetRoi,
        *,
        persons: bool,
        vehicles: bool,
        min_size: int = 0,
        max_size: int = 1_000_000,
        params: SceneParams | None = None,
    ) -> None:
        self.detector = detector
        self.params = params or SceneParams()
        self.lines: tuple[RoiLine, ...] = roi.lines
        self.polygons: tuple[RoiPolygon, ...] = roi.polygons
        self.persons, self.vehicles = persons, vehicles
        self.min_size, self.max_size = min_size, max_size
        self.tracker = Tracker(self.params.tracker)
        self._sides: dict[tuple[int, int], tuple[int, Point]] = {}
        self._visits: dict[tuple[int, int], _Visit] = {}
        self._frame_size: tuple[int, int] = (0, 0)

    def reset(self) -> None:
        self.tracker.reset()
        self._sides.clear()
        self._visits.clear()

    @property
    def region_count(self) -> int:
        return max(1, len(self.polygons))

    def _in_region(self, region: int, point: Point) -> bool:
        if not self.polygons:
            width, height = self._frame_size
            return 0 <= point[0] <= width and 0 <= point[1] <= height
        return self.polygons[region].contains(*point)

    def _category(self, box: Box) -> int | None:
        if box.class_id == PERSON and self.persons:
            category = CATEGORY_PERSON
        elif box.class_id in VEHICLES and self.vehicles:
            category = CATEGORY_VEHICLE
        else:
            return None
        if not self.min_size <= max(box.width, box.height) <= self.max_size:
            return None
        return category

    def detections(self, sample: Sample) -> list[tuple[Box, int]]:
        width, height = sample.width, sample.height
        self._frame_size = (width, height)
        found = []
        for box in self.detector.detect(sample.key, (width, height)):
            category = self._category(box)
            if category is None:
                continue
            clipped = Box(
                max(0.0, box.x0), max(0.0, box.y0), min(float(width), box.x1),
                min(float(height), box.y1), box.score, box.class_id,
            )  # fmt: skip
            found.append((clipped, category))
        return found

    def update(self, sample: Sample) -> SceneUpdate:
        t = sample.timestamp
        tracks = self.tracker.update(self.detections(sample), t)
        alive = {track.track_id for track in self.tracker.tracks}
        self._sides = {k: v for k, v in self._sides.items() if k[0] in alive}
        self._visits = {k: v for k, v in self._visits.items() if k[0] in alive}
        crossings: list[Crossing] = []
        entries: list[Entry] = []
        stays: list[tuple[Track, int, float]] = []
        for track in tracks:
            point = reference_point(track.box, track.category)
            crossings.extend(self._cross(track, point))
            for region in range(self.region_count):
                visit = self._visits.setdefault((track.track_id, region), _Visit())
                if self._in_region(region, point):
                    if visit.started is None or t - visit.last_inside > self.params.rearm_s:
                        visit.started = t
                        visit.loitering_reported = False
                        entries.append(Entry(track, region))
                    visit.inside = True
                    visit.last_inside = t
                    stays.append((track, region, t - visit.started))
                else:
                    visit.inside = False
        return SceneUpdate(tracks, crossings, entries, stays)

    def mark_loitering(self, track: Track, region: int) -> bool:
        """True the first time a visit is reported as loitering (one alarm per visit)."""
        visit = self._visits.get((track.track_id, region))
        if visit is None or visit.loitering_reported:
            return False
        visit.loitering_reported = True
        return True

    def _cross(self, track: Track, point: Point) -> list[Crossing]:
        found = []
        for index, line in enumerate(self.lines):
            side = side_of(line.points, *point, margin=self.params.line_margin)
            if side is None:
                continue
            key = (track.track_id, index)
            previous = self._sides.get(key)
            self._sides[key] = (side, point)
            if previous is None or previous[0] == side:
                continue
            moved = crossing(line.points, previous[1], point, self.params.line_margin)
            if moved is not None:
                found.append(Crossing(track, index, moved[0], moved[1]))
        return found
