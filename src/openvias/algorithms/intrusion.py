"""Intrusion detection (``c-intrusiondetection-cloud`` / ``-edge``, event_type 196609).

Built on :class:`~openvias.algorithms.scene.Scene` (detector + tracker + lines and
regions). Every alarm is one output message with one event, about one track:

- **region** (``region_detection_sw``): the track's reference point entered a polygon of
  ``target_roi`` (no polygon: the whole frame, i.e. the target appeared):
  ``start_position`` ``"out"``, ``end_position`` ``"in"``; once per visit;
- **line** (``line_detection_sw``): it crossed a line: ``start_position`` and
  ``end_position`` are the side names (``properties.side1_name``/``side2_name``, default
  ``"side1"``/``"side2"``); once per crossing;
- **loitering** (``loitering_detection_sw``): it has stayed in a polygon for
  ``openvias_loitering_s`` seconds: ``start_position`` ``"in"``, no ``end_position``; once
  per visit.

Each event carries ``category`` (0 person, 1 vehicle), ``detection_id`` (one upper-case
UUID per track), ``bounding_box`` and, as openvias extensions, ``region_id`` or
``line_id`` (the shape's ``name``, or its position in ``target_roi`` when unnamed;
``""`` for the whole frame) and ``event`` (``region``, ``line`` or ``loitering``).
"""

from __future__ import annotations

from typing import Any

from openvias.algorithms.base import Mark, Message, Sample
from openvias.algorithms.detector import ObjectDetector
from openvias.algorithms.scene import Scene, SceneParams
from openvias.algorithms.tracker import Track
from openvias.domain.algorithm_configs import IntrusionDetectionCommon
from openvias.domain.geometry import SIDE1
from openvias.domain.roi import RoiLine, roi_or_whole_frame

CATEGORY_NAMES = ("person", "vehicle")


def side_name(line: RoiLine, side: int) -> str:
    if side == SIDE1:
        return line.side1_name or "side1"
    return line.side2_name or "side2"


def track_mark(track: Track) -> Mark:
    b = track.box
    label = f"#{track.track_id} {CATEGORY_NAMES[track.category]}"
    return Mark(round(b.x0), round(b.y0), max(1, round(b.width)), max(1, round(b.height)), label)


def track_event(track: Track) -> dict[str, Any]:
    mark = track_mark(track)
    return {
        "bounding_box": {"x": mark.x, "y": mark.y, "w": mark.w, "h": mark.h},
        "category": track.category,
        "detection_id": track.detection_id,
    }


def shape_id(name: str, index: int) -> str:
    return name or str(index)


class IntrusionDetector:
    """One instance per stream; see the module docstring."""

    def __init__(
        self,
        config: IntrusionDetectionCommon,
        detector: ObjectDetector,
        params: SceneParams | None = None,
    ) -> None:
        self.config = config
        roi = roi_or_whole_frame(config.target_roi)
        self.scene = Scene(
            detector,
            roi,
            persons=bool(config.person_detection_sw),
            vehicles=bool(config.car_detection_sw),
            min_size=config.detection_min_size,
            max_size=config.detection_max_size,
            params=params,
        )

    def reset(self) -> None:
        self.scene.reset()

    def _region_id(self, region: int) -> str:
        polygons = self.scene.polygons
        return shape_id(polygons[region].name, region) if polygons else ""

    def process(self, sample: Sample) -> list[Message]:
        update = self.scene.update(sample)
        config = self.config
        messages: list[Message] = []
        if config.region_detection_sw:
            for entry in update.entries:
                event = {"start_position": "out", "end_position": "in"}
                event |= track_event(entry.track)
                event |= {"region_id": self._region_id(entry.region), "event": "region"}
                messages.append(Message((event,), marks=(track_mark(entry.track),)))
        if config.line_detection_sw:
            for cross in update.crossings:
                line = self.scene.lines[cross.line]
                event = {
                    "start_position": side_name(line, cross.from_side),
                    "end_position": side_name(line, cross.to_side),
                }
                event |= track_event(cross.track)
                event |= {"line_id": shape_id(line.name, cross.line), "event": "line"}
                messages.append(Message((event,), marks=(track_mark(cross.track),)))
        if config.loitering_detection_sw:
            for track, region, seconds in update.stays:
                if seconds >= config.openvias_loitering_s and self.scene.mark_loitering(
                    track, region
                ):
                    event = {"start_position": "in"} | track_event(track)
                    event |= {"region_id": self._region_id(region), "event": "loitering"}
                    messages.append(Message((event,), marks=(track_mark(track),)))
        return messages
