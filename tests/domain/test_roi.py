"""The target_roi string: what is accepted, what is refused (and how it is named)."""

from __future__ import annotations

import json

import pytest

from openvias.domain.roi import (
    MAX_ROI_LENGTH,
    RoiError,
    RoiLine,
    RoiPolygon,
    TargetRoi,
    parse_target_roi,
)

SQUARE = [[0, 0], [100, 0], [100, 100], [0, 100]]


def test_huawei_examples_parse() -> None:
    polygon_only = parse_target_roi(
        '{"polygons":[{"data":[[204,64],[90,321],[511,319],[617,221],[582,38],[320,11],[228,24]]}]}'
    )
    assert len(polygon_only.polygons[0].points) == 7
    assert polygon_only.polygons[0].name == ""
    assert polygon_only.lines == ()

    counting = parse_target_roi(
        '{"lines":[{"data":[[560,680],[1185,506]],"properties":{"side1_name":"Side1",'
        '"side2_name":"Side2"}}],"polygons":[{"data":[[0,0],[0,1080],[1920,1080],[1920,0]]}]}'
    )
    assert counting.lines == (RoiLine("", ((560, 680), (1185, 506)), "Side1", "Side2"),)
    named = parse_target_roi('{"polygons":[{"data":[[84,389],[1840,349],[1824,526]],"name":"a"}]}')
    assert named.polygons[0] == RoiPolygon("a", ((84, 389), (1840, 349), (1824, 526)))


def test_empty_object_is_the_whole_frame() -> None:
    roi = parse_target_roi("{}")
    assert roi == TargetRoi()
    assert roi.contains(5000, 5000)


def test_values_are_frozen() -> None:
    roi = parse_target_roi(json.dumps({"polygons": [{"data": SQUARE}]}))
    with pytest.raises(AttributeError):
        roi.polygons = ()  # type: ignore[misc]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"polygons": [{"data": [[0, 0], [1, 1]]}]}, "polygons[0].data needs at least 3 points"),
        ({"polygons": [{"name": "a"}]}, "polygons[0].data is required"),
        ({"polygons": [{"data": "x"}]}, "polygons[0].data must be a list of points"),
        ({"polygons": {"data": SQUARE}}, "polygons must be a list"),
        ({"polygons": [[0, 0]]}, "polygons[0] must be an object"),
        ({"polygons": [{"data": [*SQUARE[:2], [1, 2, 3]]}]}, "polygons[0].data[2] must be a point"),
        ({"polygons": [{"data": [[0, 0], [1, -1], [2, 2]]}]}, "data[1]: y must be at least 0"),
        ({"polygons": [{"data": [[0, 0], [1.5, 1], [2, 2]]}]}, "data[1]: x must be an integer"),
        ({"polygons": [{"data": [[0, 0], [True, 1], [2, 2]]}]}, "data[1]: x must be an integer"),
        ({"polygons": [{"data": [[0, 0], ["1", 1], [2, 2]]}]}, "data[1]: x must be an integer"),
        ({"polygons": [{"data": SQUARE, "name": 3}]}, "polygons[0].name must be a string"),
        ({"polygons": [{"data": SQUARE, "properties": []}]}, "properties must be an object"),
        ({"lines": [{"data": [[0, 0], [1, 1], [2, 2]]}]}, "lines[0].data needs exactly 2 points"),
        ({"lines": [{"data": [[0, 0]]}]}, "lines[0].data needs exactly 2 points"),
        ({"lines": [{"data": [[5, 5], [5, 5]]}]}, "lines[0].data needs 2 distinct points"),
        (
            {"lines": [{"data": [[0, 0], [1, 1]], "properties": {"side1_name": 1}}]},
            "lines[0].properties.side1_name must be a string",
        ),
    ],
)
def test_refusals_name_the_part(document: object, message: str) -> None:
    with pytest.raises(RoiError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_target_roi(json.dumps(document))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "not valid JSON"),
        ("{polygons:", "not valid JSON"),
        ("[]", "must be a JSON object"),
        ('"x"', "must be a JSON object"),
        ("{" + " " * MAX_ROI_LENGTH + "}", "longer than 2048"),
    ],
)
def test_refused_documents(text: str, message: str) -> None:
    with pytest.raises(RoiError, match=message):
        parse_target_roi(text)


def test_error_is_a_value_error() -> None:
    assert issubclass(RoiError, ValueError)


def test_exactly_the_length_limit_is_accepted() -> None:
    base = json.dumps({"polygons": [{"data": SQUARE}]})
    text = base[:-1] + " " * (MAX_ROI_LENGTH - len(base)) + "}"
    assert len(text) == MAX_ROI_LENGTH
    assert parse_target_roi(text).polygons


def test_unknown_keys_are_ignored() -> None:
    roi = parse_target_roi(json.dumps({"polygons": [{"data": SQUARE, "color": "red"}], "v": 1}))
    assert roi.polygons[0].points[2] == (100, 100)


def test_contains_square_and_border() -> None:
    roi = parse_target_roi(json.dumps({"polygons": [{"data": SQUARE}]}))
    assert roi.contains(50, 50)
    assert roi.contains(0, 0)  # a corner
    assert roi.contains(100, 40)  # on an edge
    assert roi.contains(99.5, 99.5)
    assert not roi.contains(101, 50)
    assert not roi.contains(50, -1)


def test_contains_concave_polygon_and_any_polygon() -> None:
    # A "U": the notch between x 40..60 above y 50 is outside.
    u_shape = [[0, 0], [40, 0], [40, 50], [60, 50], [60, 0], [100, 0], [100, 100], [0, 100]]
    far = [[500, 500], [600, 500], [600, 600]]
    roi = parse_target_roi(json.dumps({"polygons": [{"data": u_shape}, {"data": far}]}))
    assert roi.contains(20, 20)
    assert not roi.contains(50, 20)
    assert roi.contains(50, 80)
    assert roi.contains(590, 510)
    assert not roi.contains(510, 590)


def test_lines_do_not_restrict_the_region() -> None:
    roi = parse_target_roi(json.dumps({"lines": [{"data": [[0, 0], [10, 10]]}]}))
    assert roi.contains(1000, 3)
