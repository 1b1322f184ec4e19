"""Typed ``config.common`` of the built-in algorithm services, and their VIAS XML template.

Known keys are checked strictly (integers are JSON integers, never booleans or strings);
unknown keys are accepted and kept, because real clients send service-specific extras.
Ranges and defaults follow Huawei's algorithm API tables (``<Alg>Common``).
"""

from __future__ import annotations

import json
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from openvias.domain.roi import MAX_ROI_LENGTH, parse_target_roi


def _int(default: int, low: int, high: int, en: str, zh: str, description: str) -> Any:
    return Field(
        default,
        ge=low,
        le=high,
        title=en,
        description=description,
        json_schema_extra={"x-title-zh": zh},
    )


def _switch(default: int, en: str, zh: str, description: str) -> Any:
    return _int(default, 0, 1, en, zh, f"{description} 1 = on, 0 = off.")


class CommonConfig(BaseModel):
    """Keys shared by every service."""

    model_config = ConfigDict(extra="allow", strict=True)

    image_compression_ratio: int = _int(
        90, 20, 100, "image compression ratio", "图片压缩比",
        "JPEG quality of the alarm image, in percent of the original.",
    )  # fmt: skip
    render_result_sw: int = _switch(
        0, "render result switch", "目标框渲染开关",
        "Draw the alarm targets' boxes (red) on the alarm image.",
    )  # fmt: skip
    render_roi_sw: int = _switch(
        0, "render ROI switch", "检测区域渲染开关",
        "Draw the detection region (yellow) on the alarm image.",
    )  # fmt: skip
    target_roi: str = Field(
        "",
        max_length=MAX_ROI_LENGTH,
        title="target ROI",
        description=(
            'Detection area as a JSON string: {"polygons":[{"data":[[x,y],...],"name":""}],'
            ' "lines":[{"data":[[x1,y1],[x2,y2]],"properties":{"side1_name":"",'
            ' "side2_name":""}}]}. Integer pixel coordinates; empty = the whole frame.'
        ),
        json_schema_extra={"x-title-zh": "检测区域设置"},
    )

    @field_validator("target_roi")
    @classmethod
    def _roi(cls, value: str) -> str:
        if value.strip():
            parse_target_roi(value)
        return value

    def consistency_error(self) -> tuple[str, str] | None:
        """A rule across fields that fails, as (field, message); None when all hold."""
        return None


class SmokeAndFireCommon(CommonConfig):
    video_sampling_interval: int = _int(
        1, 1, 10, "video sampling interval", "视频采样间隔时间",
        "Seconds between two analysed frames.",
    )  # fmt: skip
    fire_detection_sw: int = _switch(1, "fire detection switch", "火焰检测开关", "Detect flames.")
    smoke_detection_sw: int = _switch(1, "smoke detection switch", "烟雾检测开关", "Detect smoke.")
    # Sensitivity (openvias extension keys; the defaults are the detector's tuned values).
    openvias_fire_confirm_samples: int = _int(
        3, 1, 4, "fire confirmation (openvias)", "火焰确认次数 (openvias)",
        "openvias extension: in how many of the last 4 samples flames must be seen before a "
        "fire alarm. Lower alarms sooner and on more false flames.",
    )  # fmt: skip
    openvias_fire_min_score: int = _int(
        60, 1, 100, "fire score threshold (openvias)", "火焰分数阈值 (openvias)",
        "openvias extension: the score, in percent, a changing flame-coloured region needs to "
        "count as flames in video (still pictures need every cue at its high end). Lower is "
        "more sensitive.",
    )  # fmt: skip
    openvias_smoke_min_blocks: int = _int(
        20, 1, 400, "smallest smoke region (openvias)", "最小烟雾区域 (openvias)",
        "openvias extension: the smallest smoke region, in 8 x 8 blocks of the 320-pixel "
        "analysis picture. Lower alarms on smaller plumes and on more false smoke.",
    )  # fmt: skip


#: Pictures analysed per second by the tracking services (openvias extension key).
ANALYSIS_FPS_KEY = "openvias_analysis_fps"


def _analysis_fps() -> Any:
    return _int(
        5, 1, 25, "analysis rate (openvias)", "分析帧率 (openvias)",
        "openvias extension: pictures analysed per second. Tracks need several a second "
        "to follow people and vehicles across lines; each costs one detector run.",
    )  # fmt: skip


class IntrusionDetectionCommon(CommonConfig):
    openvias_analysis_fps: int = _analysis_fps()
    openvias_loitering_s: int = _int(
        10, 1, 86400, "loitering time (openvias)", "徘徊时间 (openvias)",
        "openvias extension: seconds a target stays in a polygon before a loitering alarm.",
    )  # fmt: skip
    person_detection_sw: int = _switch(
        1, "person detection switch", "行人检测开关", "Detect people."
    )
    car_detection_sw: int = _switch(0, "car detection switch", "车辆检测开关", "Detect vehicles.")
    detection_min_size: int = _int(
        60, 1, 4096, "minimum target size", "目标最小尺寸",
        "Smallest target, in pixels, that is reported.",
    )  # fmt: skip
    detection_max_size: int = _int(
        1080, 1, 4096, "maximum target size", "目标最大尺寸",
        "Largest target, in pixels, that is reported.",
    )  # fmt: skip
    region_detection_sw: int = _switch(
        1, "region detection switch", "区域入侵检测开关",
        "Alarm when a target enters a polygon of target_roi.",
    )  # fmt: skip
    line_detection_sw: int = _switch(
        0, "line detection switch", "越线检测开关",
        "Alarm when a target crosses a line of target_roi.",
    )  # fmt: skip
    loitering_detection_sw: int = _switch(
        0, "loitering detection switch", "徘徊检测开关",
        "Alarm when a target stays in a polygon of target_roi.",
    )  # fmt: skip
    all_print_sw: int = _switch(
        0, "report all switch", "全量输出开关",
        "Report every detected target, not only intruders.",
    )  # fmt: skip

    def consistency_error(self) -> tuple[str, str] | None:
        if self.detection_min_size > self.detection_max_size:
            return (
                "detection_min_size",
                f"detection_min_size ({self.detection_min_size}) exceeds "
                f"detection_max_size ({self.detection_max_size})",
            )
        return None


class FlowCountCommon(CommonConfig):
    openvias_analysis_fps: int = _analysis_fps()
    person_detection_sw: int = _switch(
        1, "person counting switch (openvias)", "行人计数开关 (openvias)",
        "openvias extension: count people.",
    )  # fmt: skip
    car_detection_sw: int = _switch(
        0, "vehicle counting switch (openvias)", "车辆计数开关 (openvias)",
        "openvias extension: count vehicles (cars, motorcycles, buses, trucks).",
    )  # fmt: skip
    line_detection_sw: int = _switch(
        1, "line count switch", "过线计数开关", "Count people crossing the lines of target_roi."
    )
    line_count_interval: int = _int(
        2, 1, 86400, "line count interval", "过线计数上报间隔",
        "Seconds between two line-count reports.",
    )  # fmt: skip
    region_detection_sw: int = _switch(
        1, "region count switch", "区域计数开关", "Count people inside the polygons of target_roi."
    )
    region_count_interval: int = _int(
        2, 1, 86400, "region count interval", "区域计数上报间隔",
        "Seconds between two region-count reports.",
    )  # fmt: skip
    heatmap_detection_sw: int = _switch(0, "heat map switch", "热力图开关", "Report a heat map.")
    heatmap_detection_interval: int = _int(
        60, 1, 86400, "heat map interval", "热力图上报间隔", "Seconds between two heat maps."
    )
    heatmap_point_interval: int = _int(
        4, 1, 3600, "heat map point interval", "热力图打点间隔",
        "Seconds between two samples of the heat map.",
    )  # fmt: skip
    attribute_detection_sw: int = _switch(
        0, "attribute detection switch", "属性检测开关", "Report people's attributes."
    )


SERVICE_CONFIG_XML = '<?xml version="1.0" encoding="UTF-8"?><algorithm><deployConfig/></algorithm>'


def task_config_xml(model: type[CommonConfig]) -> str:
    """The VIAS ``deployment_constraints.task_config`` template of a config model."""
    root = Element("algorithm")
    common = SubElement(SubElement(root, "config"), "common")
    for name, prop in model.model_json_schema()["properties"].items():
        attrs = {
            "name": name,
            "titleCn": str(prop.get("x-title-zh", name)),
            "titleEn": str(prop.get("title", name)),
            "required": "false",
            "type": "Integer" if prop.get("type") == "integer" else "String",
            "default": str(prop.get("default", "")),
        }
        for key, attr in (("minimum", "min"), ("maximum", "max"), ("maxLength", "maxLength")):
            if key in prop:
                attrs[attr] = str(prop[key])
        attrs["description"] = str(prop.get("description", ""))
        SubElement(common, "param", attrs)
    return '<?xml version="1.0" encoding="UTF-8"?>' + tostring(root, encoding="unicode")


def describe_validation(error: ValidationError, root: str) -> str:
    """One line naming each wrong key, what is wrong and what was given (no pydantic URL);
    ``root`` names a problem of the whole object."""
    problems = []
    for detail in error.errors(include_url=False):
        key = ".".join(str(part) for part in detail["loc"]) or root
        message = str(detail["msg"]).removeprefix("Value error, ")
        given = json.dumps(detail.get("input"), default=str)
        given = given if len(given) <= 40 else given[:37] + "..."
        problems.append(f"{key}: {message} (got {given})")
    return "; ".join(problems)
