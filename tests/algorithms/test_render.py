"""The alarm JPEG: red boxes, yellow ROI, JPEG quality."""

from __future__ import annotations

import json

import cv2
import numpy as np

from openvias.algorithms.base import Detection
from openvias.algorithms.render import render_alarm_image
from openvias.domain.algorithm_configs import SmokeAndFireCommon

FRAME = np.full((360, 640, 3), 40, np.uint8)
BOX = Detection(1, 100, 80, 120, 90, 0.9)
ROI = json.dumps(
    {"polygons": [{"name": "a", "data": [[400, 50], [600, 50], [600, 300], [400, 300]]}]}
)


def decode(data: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    return image


def is_red(pixel: np.ndarray) -> bool:
    b, g, r = (int(v) for v in pixel)
    return r > 180 and g < 80 and b < 80


def is_yellow(pixel: np.ndarray) -> bool:
    b, g, r = (int(v) for v in pixel)
    return r > 180 and g > 180 and b < 80


def render(**common: object) -> np.ndarray:
    config = SmokeAndFireCommon.model_validate(common)
    return decode(render_alarm_image(FRAME, [BOX], config))


def test_boxes_red_and_roi_yellow_when_both_switches_are_on() -> None:
    image = render(render_result_sw=1, render_roi_sw=1, target_roi=ROI)
    assert is_red(image[80, 160])  # top edge of the box
    assert is_red(image[125, 100])  # left edge
    assert is_yellow(image[50, 500])  # top edge of the polygon
    assert is_yellow(image[175, 600])  # right edge
    assert not is_red(image[125, 160])  # insides untouched
    assert not is_yellow(image[175, 500])


def test_switches_off_draw_nothing() -> None:
    image = render(target_roi=ROI)
    assert not any(is_red(p) or is_yellow(p) for p in image.reshape(-1, 3)[::97])
    assert not is_red(image[80, 160])
    assert not is_yellow(image[50, 500])


def test_only_the_switched_on_layer_is_drawn() -> None:
    boxes = render(render_result_sw=1, target_roi=ROI)
    assert is_red(boxes[80, 160])
    assert not is_yellow(boxes[50, 500])
    polygons = render(render_roi_sw=1, target_roi=ROI)
    assert is_yellow(polygons[50, 500])
    assert not is_red(polygons[80, 160])


def test_jpeg_quality_follows_image_compression_ratio() -> None:
    rng = np.random.default_rng(0)
    textured = rng.integers(0, 255, (360, 640, 3), dtype=np.uint8)
    sizes = [
        len(render_alarm_image(textured, [], SmokeAndFireCommon(image_compression_ratio=q)))
        for q in (20, 60, 100)
    ]
    assert sizes[0] < sizes[1] < sizes[2]


def test_the_frame_is_not_modified() -> None:
    frame = FRAME.copy()
    render_alarm_image(frame, [BOX], SmokeAndFireCommon(render_result_sw=1))
    assert np.array_equal(frame, FRAME)
