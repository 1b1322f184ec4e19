"""Plane geometry of ``target_roi`` lines: which side a point is on, and crossings.

VIAS names a line's sides (``vias-api.md`` §10.1): side 1 is the *left* side of a
non-horizontal line and the *upper* side of a horizontal one, side 2 the right or lower
side, as seen in the image (x to the right, y down). Points inside a polygon are tested by
:meth:`openvias.domain.roi.RoiPolygon.contains`.
"""

from __future__ import annotations

import math

Point = tuple[float, float]
Segment = tuple[tuple[int, int], tuple[int, int]]

SIDE1 = 1
SIDE2 = 2


def signed_distance(line: Segment, x: float, y: float) -> float:
    """Distance of (x, y) from the infinite line, negative on side 1, positive on side 2."""
    (ax, ay), (bx, by) = line
    if ay == by:  # horizontal: side 1 is above (smaller y)
        return y - ay
    # Non-horizontal: side 1 is where x is smaller than the line's x at the same height.
    dx, dy = bx - ax, by - ay
    if dy < 0:
        dx, dy = -dx, -dy
    # Pointing downwards, the cross product is positive for points to the right.
    return (dy * (x - ax) - dx * (y - ay)) / math.hypot(dx, dy)


def side_of(line: Segment, x: float, y: float, margin: float = 0.0) -> int | None:
    """SIDE1 or SIDE2, or None for a point within ``margin`` pixels of the line (on it)."""
    distance = signed_distance(line, x, y)
    if distance < -margin:
        return SIDE1
    if distance > margin:
        return SIDE2
    return None


def _orientation(p: Point, q: Point, r: Point) -> float:
    return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])


def _within(p: Point, q: Point, r: Point) -> bool:
    """Whether r, collinear with p-q, lies on the segment p-q."""
    return min(p[0], q[0]) <= r[0] <= max(p[0], q[0]) and min(p[1], q[1]) <= r[1] <= max(p[1], q[1])


def segments_intersect(p1: Point, p2: Point, q1: Point, q2: Point) -> bool:
    """Whether the closed segments p1-p2 and q1-q2 share a point (touching counts)."""
    d1 = _orientation(q1, q2, p1)
    d2 = _orientation(q1, q2, p2)
    d3 = _orientation(p1, p2, q1)
    d4 = _orientation(p1, p2, q2)
    if ((d1 > 0 > d2) or (d1 < 0 < d2)) and ((d3 > 0 > d4) or (d3 < 0 < d4)):
        return True
    return (
        (d1 == 0 and _within(q1, q2, p1))
        or (d2 == 0 and _within(q1, q2, p2))
        or (d3 == 0 and _within(p1, p2, q1))
        or (d4 == 0 and _within(p1, p2, q2))
    )


def crossing(
    line: Segment, start: Point, end: Point, margin: float = 0.0
) -> tuple[int, int] | None:
    """(from side, to side) when moving from ``start`` to ``end`` crosses the line segment.

    Both points must be clearly on a side (more than ``margin`` pixels away), on different
    sides, and the movement must pass through the segment itself, not beside its ends.
    """
    before = side_of(line, *start, margin=margin)
    after = side_of(line, *end, margin=margin)
    if before is None or after is None or before == after:
        return None
    a, b = line
    if not segments_intersect(start, end, (float(a[0]), float(a[1])), (float(b[0]), float(b[1]))):
        return None
    return (before, after)
