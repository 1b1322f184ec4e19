"""The VIAS ``target_roi``: a JSON string of named polygons (regions) and lines.

``{"polygons": [{"data": [[x, y], ...], "name": "a", "properties": {}}],
"lines": [{"data": [[x1, y1], [x2, y2]], "name": "l", "properties": {"side1_name": "in",
"side2_name": "out"}}]}``. Coordinates are integer pixels (origin top-left) of the source
video. Unknown keys are ignored; everything listed is checked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

MAX_ROI_LENGTH = 2048

Point = tuple[int, int]


class RoiError(ValueError):
    """A ``target_roi`` that is not well-formed; the message names the offending part."""


@dataclass(frozen=True, slots=True)
class RoiPolygon:
    name: str
    points: tuple[Point, ...]

    def contains(self, x: float, y: float) -> bool:
        """Whether (x, y) lies inside the polygon or on its border (even-odd rule)."""
        inside = False
        count = len(self.points)
        for i in range(count):
            x1, y1 = self.points[i]
            x2, y2 = self.points[(i + 1) % count]
            if _on_segment(x, y, x1, y1, x2, y2):
                return True
            if (y1 > y) != (y2 > y):
                crossing = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
                if x < crossing:
                    inside = not inside
        return inside


@dataclass(frozen=True, slots=True)
class RoiLine:
    name: str
    points: tuple[Point, Point]
    side1_name: str
    side2_name: str


@dataclass(frozen=True, slots=True)
class TargetRoi:
    polygons: tuple[RoiPolygon, ...] = ()
    lines: tuple[RoiLine, ...] = ()

    def contains(self, x: float, y: float) -> bool:
        """Whether (x, y) is in any polygon; with no polygons the region is the whole frame."""
        if not self.polygons:
            return True
        return any(polygon.contains(x, y) for polygon in self.polygons)


def _on_segment(x: float, y: float, x1: int, y1: int, x2: int, y2: int) -> bool:
    if (x2 - x1) * (y - y1) != (y2 - y1) * (x - x1):
        return False
    return min(x1, x2) <= x <= max(x1, x2) and min(y1, y2) <= y <= max(y1, y2)


def _point(value: Any, where: str) -> Point:
    if not isinstance(value, list) or len(value) != 2:
        raise RoiError(f"{where} must be a point [x, y]")
    for axis, coordinate in zip("xy", value, strict=True):
        if isinstance(coordinate, bool) or not isinstance(coordinate, int):
            raise RoiError(f"{where}: {axis} must be an integer")
        if coordinate < 0:
            raise RoiError(f"{where}: {axis} must be at least 0")
    return (value[0], value[1])


def _points(shape: dict[str, Any], where: str) -> tuple[Point, ...]:
    data = shape.get("data")
    if data is None:
        raise RoiError(f"{where}.data is required")
    if not isinstance(data, list):
        raise RoiError(f"{where}.data must be a list of points")
    return tuple(_point(p, f"{where}.data[{i}]") for i, p in enumerate(data))


def _text(container: dict[str, Any], key: str, where: str) -> str:
    value = container.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RoiError(f"{where}.{key} must be a string")
    return value


def _properties(shape: dict[str, Any], where: str) -> dict[str, Any]:
    properties = shape.get("properties")
    if properties is None:
        return {}
    if not isinstance(properties, dict):
        raise RoiError(f"{where}.properties must be an object")
    return properties


def _shapes(document: dict[str, Any], key: str) -> list[dict[str, Any]]:
    shapes = document.get(key)
    if shapes is None:
        return []
    if not isinstance(shapes, list):
        raise RoiError(f"{key} must be a list")
    for i, shape in enumerate(shapes):
        if not isinstance(shape, dict):
            raise RoiError(f"{key}[{i}] must be an object")
    return shapes


def _polygon(shape: dict[str, Any], where: str) -> RoiPolygon:
    points = _points(shape, where)
    if len(points) < 3:
        raise RoiError(f"{where}.data needs at least 3 points")
    _properties(shape, where)
    return RoiPolygon(name=_text(shape, "name", where), points=points)


def _line(shape: dict[str, Any], where: str) -> RoiLine:
    points = _points(shape, where)
    if len(points) != 2:
        raise RoiError(f"{where}.data needs exactly 2 points")
    if points[0] == points[1]:
        raise RoiError(f"{where}.data needs 2 distinct points")
    properties = _properties(shape, where)
    return RoiLine(
        name=_text(shape, "name", where),
        points=(points[0], points[1]),
        side1_name=_text(properties, "side1_name", f"{where}.properties"),
        side2_name=_text(properties, "side2_name", f"{where}.properties"),
    )


def roi_or_whole_frame(text: str) -> TargetRoi:
    """``target_roi`` parsed, or no shapes (the whole frame) when it is blank."""
    return parse_target_roi(text) if text.strip() else TargetRoi()


def parse_target_roi(text: str) -> TargetRoi:
    """Parse and check a ``target_roi`` string; raises :class:`RoiError`."""
    if len(text) > MAX_ROI_LENGTH:
        raise RoiError(f"target_roi is longer than {MAX_ROI_LENGTH} characters")
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise RoiError(f"target_roi is not valid JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise RoiError("target_roi must be a JSON object")
    polygons = tuple(
        _polygon(shape, f"polygons[{i}]") for i, shape in enumerate(_shapes(document, "polygons"))
    )
    lines = tuple(_line(shape, f"lines[{i}]") for i, shape in enumerate(_shapes(document, "lines")))
    return TargetRoi(polygons=polygons, lines=lines)
