"""People and vehicle flow counting (``c-flowcount-cloud`` / ``-edge``): periodic counts.

Built on :class:`~openvias.algorithms.scene.Scene`. Two periodic output messages, on the
stream clock, the first one interval after the first analysed picture (and after every
restart of the stream):

- every ``line_count_interval`` seconds (``line_detection_sw``), event_type **131073**::

      {"interval": 2, "event_set": [{"line": [[x1, y1], [x2, y2]], "line_id": "0",
       "side1_count": 3, "side2_count": 0, "side1_name": "in", "side2_name": "out"}]}

  one entry per ``target_roi`` line; ``side1_count`` is the number of tracks that crossed
  *from side 1 to side 2* during the interval, ``side2_count`` from side 2 to side 1
  (side 1 = left of a non-horizontal line, above a horizontal one);
- every ``region_count_interval`` seconds (``region_detection_sw``), event_type
  **131074** (VIAS documents none)::

      {"interval": 2, "event_set": [{"region_id": "0", "count": 5}]}

  the number of tracked targets whose reference point is inside each polygon at that
  moment; with no polygon, one region ``""``: the whole frame.

Reports carry no image (``image_base64`` is empty): one every few seconds per stream would
fill the event store with pictures nobody asked for. Ids are the shape's ``name``, or its
position in ``target_roi`` when unnamed. At the end of a
file, the interval it ended in is reported too, with its real length as ``interval``
(seconds, e.g. ``0.84``), so that a file's line counts add up to all its crossings (live
streams never end: they only have full intervals). Only sampled pictures are seen: the
counts assume ``openvias_analysis_fps`` (default 5) pictures a second.
"""

from __future__ import annotations

from openvias.algorithms.base import Message, Sample
from openvias.algorithms.detector import ObjectDetector
from openvias.algorithms.intrusion import shape_id
from openvias.algorithms.scene import Scene, SceneParams, SceneUpdate
from openvias.domain.alarms import LINE_COUNT_EVENT_TYPE, REGION_COUNT_EVENT_TYPE
from openvias.domain.algorithm_configs import FlowCountCommon
from openvias.domain.geometry import SIDE1
from openvias.domain.roi import roi_or_whole_frame


class FlowCounter:
    """One instance per stream; see the module docstring."""

    def __init__(
        self,
        config: FlowCountCommon,
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
            params=params,
        )
        self._counts = [[0, 0] for _ in roi.lines]
        self._next_line: float | None = None
        self._next_region: float | None = None
        #: Start of the current line-count interval; samples analysed since.
        self._line_since = 0.0
        self._line_samples = 0

    def reset(self) -> None:
        self.scene.reset()
        self._counts = [[0, 0] for _ in self.scene.lines]
        self._next_line = self._next_region = None
        self._line_samples = 0

    def process(self, sample: Sample) -> list[Message]:
        t = sample.timestamp
        update = self.scene.update(sample)
        for cross in update.crossings:
            self._counts[cross.line][0 if cross.from_side == SIDE1 else 1] += 1
        self._line_samples += 1
        if self._next_line is None or self._next_region is None:
            self._next_line = t + self.config.line_count_interval
            self._next_region = t + self.config.region_count_interval
            self._line_since = t
            return []
        messages: list[Message] = []
        if t >= self._next_line:
            while self._next_line <= t:
                self._next_line += self.config.line_count_interval
            if self.config.line_detection_sw and self.scene.lines:
                messages.append(self._line_message(self.config.line_count_interval))
            self._counts = [[0, 0] for _ in self.scene.lines]
            self._line_since = t
            self._line_samples = 0
        if t >= self._next_region:
            while self._next_region <= t:
                self._next_region += self.config.region_count_interval
            if self.config.region_detection_sw:
                messages.append(self._region_message(update))
        return messages

    def finish(self, end_s: float) -> list[Message]:
        """The file ended: the line counts of the interval it ended in, if any sample
        was analysed in it (see the module docstring)."""
        if not (self.config.line_detection_sw and self.scene.lines and self._line_samples):
            return []
        interval = round(max(0.0, end_s - self._line_since), 3)
        self._line_samples = 0
        return [self._line_message(interval)]

    def _line_message(self, interval: float) -> Message:
        entries = tuple(
            {
                "line": [list(line.points[0]), list(line.points[1])],
                "line_id": shape_id(line.name, index),
                "side1_count": self._counts[index][0],
                "side2_count": self._counts[index][1],
                "side1_name": line.side1_name,
                "side2_name": line.side2_name,
            }
            for index, line in enumerate(self.scene.lines)
        )
        return Message(
            entries,
            event_type=LINE_COUNT_EVENT_TYPE,
            data={"interval": interval},
            image=False,
        )

    def _region_message(self, update: SceneUpdate) -> Message:
        polygons = self.scene.polygons
        entries = tuple(
            {
                "region_id": shape_id(polygons[region].name, region) if polygons else "",
                "count": update.inside(region),
            }
            for region in range(self.scene.region_count)
        )
        return Message(
            entries,
            event_type=REGION_COUNT_EVENT_TYPE,
            data={"interval": self.config.region_count_interval},
            image=False,
        )
