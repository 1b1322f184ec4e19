"""The built-in catalogue: fixed ids, names, versions and the typed config.common."""

from __future__ import annotations

import json
import re
from typing import Any
from xml.etree import ElementTree

import jsonschema
import pytest

from openvias.domain.algorithm_catalogue import (
    CATALOGUE,
    SERVICES,
    ConfigError,
    ServiceSpec,
    check_version,
    config_json_schema,
    find_by_alg_id,
    find_by_service_id,
    find_service,
    validate_common_config,
)
from openvias.domain.algorithm_configs import task_config_xml

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[4][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
REQUIRED = {
    "c-smoke-and-fire-cloud": False,
    "c-smoke-and-fire-edge": False,
    "c-intrusiondetection-cloud": True,
    "c-intrusiondetection-edge": True,
    "c-flowcount-cloud": True,
    "c-flowcount-edge": True,
}
ROI = '{"polygons":[{"data":[[204,64],[90,321],[511,319]]}]}'


def spec(name: str) -> ServiceSpec:
    found = find_service(name)
    assert found is not None, name
    return found


def test_catalogue_holds_the_required_services() -> None:
    for name, commercial in REQUIRED.items():
        assert spec(name).commercial is commercial
        assert spec(name).version == "3.0"
        assert spec(name).deploy_type == name.rsplit("-", 1)[1]
    assert set(CATALOGUE) == {s.service_name for s in SERVICES}


def test_ids_are_fixed_unique_uuid4() -> None:
    ids = [s.alg_id for s in SERVICES] + [s.service_id for s in SERVICES]
    assert len(set(ids)) == len(ids)
    assert all(UUID4.fullmatch(i) for i in ids)
    assert spec("c-smoke-and-fire-cloud").alg_id == "175bed65-9586-4252-8227-db78ebc402f1"
    for s in SERVICES:
        assert find_by_alg_id(s.alg_id) is s
        assert find_by_service_id(s.service_id) is s
    assert find_by_alg_id(SERVICES[0].service_id) is None


def test_lookup_by_title_and_alias() -> None:
    assert find_service("烟火检测") is spec("c-smoke-and-fire-cloud")
    assert find_service("Edge intrusion detection") is spec("c-intrusiondetection-edge")
    assert find_service("烟火演示算法") is spec("c-smoke-and-fire-cloud")
    assert find_service("c-smoke-and-fire") is None
    assert find_service("C-SMOKE-AND-FIRE-CLOUD") is None


def test_event_types() -> None:
    assert spec("c-smoke-and-fire-edge").event_type == 393216
    assert spec("c-intrusiondetection-cloud").event_type == 196609
    assert spec("c-flowcount-cloud").event_type is None


@pytest.mark.parametrize("version", ["3.0", "1.0", "1.1"])
def test_accepted_versions(version: str) -> None:
    check_version(spec("c-flowcount-edge"), version)


@pytest.mark.parametrize("version", ["2.0", "3.0.0", "", "3"])
def test_refused_versions(version: str) -> None:
    with pytest.raises(ConfigError) as caught:
        check_version(spec("c-flowcount-edge"), version)
    assert caught.value.field == "service_version"


def test_huawei_smoke_and_fire_example_is_accepted_as_sent() -> None:
    common = {
        "image_compression_ratio": 90,
        "render_result_sw": 1,
        "video_sampling_interval": 1,
        "target_roi": ROI,
        "render_roi_sw": 1,
        "fire_detection_sw": 1,
        "smoke_detection_sw": 1,
    }
    assert validate_common_config(spec("c-smoke-and-fire-edge"), common) == common


def test_defaults_are_not_injected_and_extras_are_kept() -> None:
    common = {"viewpoint": 1, "stream_direct": "reverse"}
    checked = validate_common_config(spec("c-smoke-and-fire-cloud"), common)
    assert checked == common
    assert validate_common_config(spec("c-flowcount-cloud"), {}) == {}


@pytest.mark.parametrize(
    ("service", "common", "field"),
    [
        ("c-smoke-and-fire-cloud", {"video_sampling_interval": 0}, "video_sampling_interval"),
        ("c-smoke-and-fire-cloud", {"video_sampling_interval": 11}, "video_sampling_interval"),
        ("c-smoke-and-fire-cloud", {"video_sampling_interval": "1"}, "video_sampling_interval"),
        ("c-smoke-and-fire-cloud", {"video_sampling_interval": 1.0}, "video_sampling_interval"),
        ("c-smoke-and-fire-cloud", {"fire_detection_sw": True}, "fire_detection_sw"),
        ("c-smoke-and-fire-cloud", {"smoke_detection_sw": 2}, "smoke_detection_sw"),
        ("c-smoke-and-fire-edge", {"image_compression_ratio": 19}, "image_compression_ratio"),
        ("c-smoke-and-fire-edge", {"image_compression_ratio": 101}, "image_compression_ratio"),
        ("c-smoke-and-fire-edge", {"render_roi_sw": None}, "render_roi_sw"),
        ("c-smoke-and-fire-edge", {"target_roi": 5}, "target_roi"),
        ("c-smoke-and-fire-edge", {"target_roi": "{]"}, "target_roi"),
        ("c-intrusiondetection-cloud", {"person_detection_sw": -1}, "person_detection_sw"),
        ("c-intrusiondetection-cloud", {"detection_min_size": 0}, "detection_min_size"),
        ("c-intrusiondetection-cloud", {"detection_min_size": 2000}, "detection_min_size"),
        ("c-flowcount-cloud", {"line_count_interval": 86401}, "line_count_interval"),
        ("c-flowcount-cloud", {"region_count_interval": 0}, "region_count_interval"),
        ("c-flowcount-edge", {"heatmap_detection_sw": 3}, "heatmap_detection_sw"),
    ],
)
def test_refusals_name_the_field(service: str, common: dict[str, Any], field: str) -> None:
    with pytest.raises(ConfigError) as caught:
        validate_common_config(spec(service), common)
    assert caught.value.field == f"config.common.{field}"
    assert field in caught.value.message


def test_roi_message_is_precise() -> None:
    bad = '{"polygons":[{"data":[[1,2],[3,4]]}]}'
    with pytest.raises(ConfigError, match=r"polygons\[0\]\.data needs at least 3 points"):
        validate_common_config(spec("c-smoke-and-fire-cloud"), {"target_roi": bad})


def test_empty_roi_means_whole_frame() -> None:
    assert validate_common_config(spec("c-smoke-and-fire-cloud"), {"target_roi": ""})


def test_json_schema_describes_ranges_and_defaults() -> None:
    schema = config_json_schema(spec("c-smoke-and-fire-cloud"))
    interval = schema["properties"]["video_sampling_interval"]
    assert (interval["minimum"], interval["maximum"], interval["default"]) == (1, 10, 1)
    assert interval["description"]
    assert schema["properties"]["image_compression_ratio"]["default"] == 90
    assert schema["properties"]["target_roi"]["maxLength"] == 2048
    assert schema["additionalProperties"] is True
    jsonschema.Draft202012Validator.check_schema(schema)
    flow = config_json_schema(spec("c-flowcount-cloud"))["properties"]
    assert flow["line_count_interval"]["maximum"] == 86400
    assert flow["heatmap_point_interval"]["default"] == 4
    intrusion = config_json_schema(spec("c-intrusiondetection-edge"))["properties"]
    assert intrusion["detection_max_size"]["default"] == 1080


def test_task_config_xml_lists_every_parameter() -> None:
    for s in SERVICES:
        root = ElementTree.fromstring(task_config_xml(s.config_model))
        params = {p.get("name"): p.attrib for p in root.iterfind("./config/common/param")}
        assert set(params) == set(config_json_schema(s)["properties"]), s.service_name
        assert params["image_compression_ratio"]["default"] == "90"
        assert params["image_compression_ratio"]["type"] == "Integer"
        assert params["target_roi"]["type"] == "String"
        assert all(p["titleCn"] and p["titleEn"] for p in params.values())


def test_config_models_serialise_their_schema() -> None:
    for s in SERVICES:
        json.dumps(config_json_schema(s))
