"""The alarm image: the key frame as a JPEG, with the alarm's boxes and the ROI drawn on it.

Follows the ``config.common`` keys every VIAS service shares: ``render_result_sw`` draws
each detection's box in red, ``render_roi_sw`` draws the ``target_roi`` polygons (and
lines) in yellow, and ``image_compression_ratio`` is the JPEG quality (20-100).
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from openvias.algorithms.base import Detection, Frame, Mark, Message
from openvias.domain.algorithm_configs import CommonConfig
from openvias.domain.roi import TargetRoi, parse_target_roi

#: OpenCV colours are B, G, R.
RED = (0, 0, 255)
YELLOW = (0, 255, 255)


def line_width(frame: Frame) -> int:
    """Stroke width that stays visible once the image is scaled down for display."""
    return max(2, round(min(int(frame.shape[0]), int(frame.shape[1])) / 360))


def draw_roi(image: Frame, roi: TargetRoi, width: int) -> None:
    for polygon in roi.polygons:
        points = np.array(polygon.points, np.int32).reshape(-1, 1, 2)
        cv2.polylines(image, [points], True, YELLOW, width, cv2.LINE_AA)
    for line in roi.lines:
        cv2.line(image, line.points[0], line.points[1], YELLOW, width, cv2.LINE_AA)


def draw_detections(image: Frame, detections: Sequence[Detection], width: int) -> None:
    for d in detections:
        cv2.rectangle(image, (d.x, d.y), (d.x + d.w - 1, d.y + d.h - 1), RED, width)


def _label(
    image: Frame, text: str, x: int, y: int, colour: tuple[int, int, int], width: int
) -> None:
    scale = 0.3 * width
    top = max(int(25 * scale), y - width)
    cv2.putText(
        image, text, (x, top), cv2.FONT_HERSHEY_SIMPLEX, scale, colour, max(1, width // 2),
        cv2.LINE_AA,
    )  # fmt: skip


def draw_roi_names(image: Frame, roi: TargetRoi, width: int) -> None:
    """Names of the polygons and lines, and the side names at a line's two sides."""
    for polygon in roi.polygons:
        if polygon.name:
            _label(image, polygon.name, *polygon.points[0], YELLOW, width)
    for line in roi.lines:
        (ax, ay), (bx, by) = line.points
        if line.name:
            _label(image, line.name, ax, ay + 12 * width, YELLOW, width)
        mx, my = (ax + bx) // 2, (ay + by) // 2
        offset = 8 * width
        horizontal = ay == by
        side1 = (mx, my - offset) if horizontal else (mx - 4 * offset, my)
        side2 = (mx, my + 3 * offset) if horizontal else (mx + offset, my)
        for name, (x, y) in ((line.side1_name, side1), (line.side2_name, side2)):
            if name:
                _label(image, name, x, y, YELLOW, width)


def draw_marks(image: Frame, marks: Sequence[Mark], width: int) -> None:
    """Boxes in red with their label (e.g. a track id) above them."""
    for m in marks:
        cv2.rectangle(image, (m.x, m.y), (m.x + m.w - 1, m.y + m.h - 1), RED, width)
        if m.label:
            _label(image, m.label, m.x, m.y, RED, width)


def render_message_image(frame: Frame, message: Message, config: CommonConfig) -> bytes:
    """The JPEG bytes of an algorithm message's image; ``frame`` is not modified."""
    image = frame.copy()
    width = line_width(image)
    if config.render_roi_sw and config.target_roi.strip():
        roi = parse_target_roi(config.target_roi)
        draw_roi(image, roi, width)
        draw_roi_names(image, roi, width)
    if config.render_result_sw:
        draw_marks(image, message.marks, width)
    return _jpeg(image, config)


def render_alarm_image(
    frame: Frame, detections: Sequence[Detection], config: CommonConfig
) -> bytes:
    """The JPEG bytes of the alarm image; ``frame`` is not modified."""
    image = frame.copy()
    width = line_width(image)
    if config.render_roi_sw and config.target_roi.strip():
        draw_roi(image, parse_target_roi(config.target_roi), width)
    if config.render_result_sw:
        draw_detections(image, detections, width)
    return _jpeg(image, config)


def _jpeg(image: Frame, config: CommonConfig) -> bytes:
    ok, encoded = cv2.imencode(
        ".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(config.image_compression_ratio)]
    )
    if not ok:
        raise ValueError("JPEG encoding failed")
    return bytes(encoded.tobytes())
