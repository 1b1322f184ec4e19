"""Sides of a target_roi line and crossings, on hand-made cases (borders included)."""

from __future__ import annotations

import pytest

from openvias.domain.geometry import (
    SIDE1,
    SIDE2,
    crossing,
    segments_intersect,
    side_of,
    signed_distance,
)

VERTICAL = ((600, 0), (600, 432))
VERTICAL_UP = ((600, 432), (600, 0))
HORIZONTAL = ((0, 216), (768, 216))
HORIZONTAL_LEFT = ((768, 216), (0, 216))
DIAGONAL = ((0, 0), (100, 100))


@pytest.mark.parametrize("line", [VERTICAL, VERTICAL_UP])
def test_side1_is_left_of_a_non_horizontal_line_whatever_its_direction(
    line: tuple[tuple[int, int], tuple[int, int]],
) -> None:
    assert side_of(line, 10, 200) == SIDE1
    assert side_of(line, 700, 200) == SIDE2
    assert side_of(line, 600, 200) is None
    assert signed_distance(line, 590, 5) == pytest.approx(-10)


@pytest.mark.parametrize("line", [HORIZONTAL, HORIZONTAL_LEFT])
def test_side1_is_above_a_horizontal_line_whatever_its_direction(
    line: tuple[tuple[int, int], tuple[int, int]],
) -> None:
    assert side_of(line, 300, 10) == SIDE1
    assert side_of(line, 300, 400) == SIDE2
    assert side_of(line, 300, 216) is None


def test_a_diagonal_line_has_side1_where_x_is_smaller() -> None:
    assert side_of(DIAGONAL, 10, 50) == SIDE1  # left of / below-left: x < y
    assert side_of(DIAGONAL, 50, 10) == SIDE2
    assert signed_distance(DIAGONAL, 0, 10) == pytest.approx(-10 / 2**0.5)


def test_points_within_the_margin_are_on_the_line() -> None:
    assert side_of(VERTICAL, 598.5, 10, margin=2) is None
    assert side_of(VERTICAL, 597.9, 10, margin=2) == SIDE1
    assert side_of(VERTICAL, 602.1, 10, margin=2) == SIDE2


def test_segments_touching_at_an_end_intersect_and_parallel_ones_do_not() -> None:
    assert segments_intersect((0, 0), (10, 0), (10, 0), (10, 10))
    assert segments_intersect((0, 0), (10, 10), (0, 10), (10, 0))
    assert not segments_intersect((0, 0), (10, 0), (0, 1), (10, 1))
    assert segments_intersect((0, 0), (10, 0), (5, 0), (20, 0))  # collinear overlap
    assert not segments_intersect((0, 0), (4, 0), (5, 0), (20, 0))


def test_crossing_gives_the_direction() -> None:
    assert crossing(VERTICAL, (550, 300), (650, 300)) == (SIDE1, SIDE2)
    assert crossing(VERTICAL, (650, 300), (550, 300)) == (SIDE2, SIDE1)
    assert crossing(HORIZONTAL, (100, 300), (120, 100)) == (SIDE2, SIDE1)


def test_no_crossing_beside_the_segment_or_without_a_change_of_side() -> None:
    short = ((600, 100), (600, 200))
    assert crossing(short, (550, 300), (650, 300)) is None  # passes below its end
    assert crossing(short, (550, 200), (650, 200)) == (SIDE1, SIDE2)  # through the end point
    assert crossing(VERTICAL, (550, 300), (590, 100)) is None
    assert crossing(VERTICAL, (550, 300), (601, 300), margin=2) is None  # ends on the line
