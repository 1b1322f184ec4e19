"""The one check of what an evaluation is asked to run (CLI and API): service, config,
sweep and goal, every swept configuration validated before anything runs."""

from __future__ import annotations

import pytest

from openvias.domain.algorithm_configs import IntrusionDetectionCommon, SmokeAndFireCommon
from openvias.domain.evaluation_requests import (
    EvaluationRequestError,
    Goal,
    parse_sweep,
    plan_evaluation,
)

FIRE = "c-smoke-and-fire-cloud"


def refused(field: str, *args: object) -> str:
    with pytest.raises(EvaluationRequestError) as caught:
        plan_evaluation(*args)  # type: ignore[arg-type]
    assert caught.value.field == field
    return caught.value.message


def test_a_sweep_becomes_one_configuration_per_value() -> None:
    plan = plan_evaluation(
        FIRE,
        SmokeAndFireCommon,
        {"common": {"fire_detection_sw": 1}},
        "video_sampling_interval=1:3:1",
        "precision >= 0.8",
    )
    assert plan.kind == "smoke_fire"
    assert plan.goal == Goal("precision", 0.8)
    assert plan.configurations() == [
        {"fire_detection_sw": 1, "video_sampling_interval": value} for value in (1, 2, 3)
    ]
    assert parse_sweep("k=0.1:0.3:0.1") == ("k", [0.1, 0.2, 0.3])
    bare = plan_evaluation(FIRE, SmokeAndFireCommon, {"fire_detection_sw": 0}, None, "recall>=0.9")
    assert bare.configurations() == [{"fire_detection_sw": 0}]


def test_what_cannot_run_is_refused_naming_its_part() -> None:
    assert "no algorithm serves" in refused(
        "service", "c-fight-cloud", SmokeAndFireCommon, None, None, "recall>=1"
    )
    assert "fire_detection_sw" in refused(
        "config", FIRE, SmokeAndFireCommon, {"common": {"fire_detection_sw": 2}}, None, "recall>=1"
    )
    # every swept value is checked, not only the first
    assert "video_sampling_interval" in refused(
        "config", FIRE, SmokeAndFireCommon, None, "video_sampling_interval=9:11:1", "recall>=1"
    )
    # rules across keys too (the config model's consistency check)
    assert "detection_min_size" in refused(
        "config",
        "c-intrusiondetection-cloud",
        IntrusionDetectionCommon,
        {"detection_min_size": 500, "detection_max_size": 100},
        None,
        "recall>=1",
    )
    assert "LO <= HI" in refused("sweep", FIRE, SmokeAndFireCommon, None, "k=3:1:1", "recall>=1")
    assert "KEY=LO:HI:STEP" in refused(
        "sweep", FIRE, SmokeAndFireCommon, None, "k=1:2", "recall>=1"
    )
    assert "recall>=X" in refused("goal", FIRE, SmokeAndFireCommon, None, None, "f1>=0.5")
    assert "JSON object" in refused("config", FIRE, SmokeAndFireCommon, ["a"], None, "recall>=1")
