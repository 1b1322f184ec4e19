"""The smoke-and-fire sensitivity keys (openvias extensions): defaults keep the tuned
detector exactly, each key turns its parameter, out-of-range values are refused."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from openvias.algorithms.base import STATE_FIRE, Sample
from openvias.algorithms.smoke_fire import SmokeFireDetector, SmokeFireParams, params_for
from openvias.domain.algorithm_configs import SmokeAndFireCommon
from tests.algorithms.synthetic import fire_front_clip


def first_fire(detector: SmokeFireDetector, clip: list[Sample]) -> float | None:
    for sample in clip:
        if any(d.state == STATE_FIRE for d in detector.process(sample)):
            return sample.timestamp
    return None


def test_a_vias_configuration_gets_the_tuned_parameters() -> None:
    assert params_for(SmokeAndFireCommon()) == SmokeFireParams()
    assert SmokeFireDetector(SmokeAndFireCommon()).params == SmokeFireParams()


def test_each_key_sets_its_parameter() -> None:
    config = SmokeAndFireCommon.model_validate(
        {
            "openvias_fire_confirm_samples": 1,
            "openvias_fire_min_score": 45,
            "openvias_smoke_min_blocks": 8,
        }
    )
    params = params_for(config)
    assert params.fire_gate.confirm_n == 1
    assert params.fire_gate.confirm_m == SmokeFireParams().fire_gate.confirm_m
    assert params.flame.live_accept == pytest.approx(0.45)
    assert params.smoke.min_blocks == 8


def test_fewer_confirmations_alarm_sooner_on_the_same_fire() -> None:
    clip = fire_front_clip()
    tuned = first_fire(SmokeFireDetector(SmokeAndFireCommon()), clip)
    eager = SmokeAndFireCommon.model_validate({"openvias_fire_confirm_samples": 1})
    sooner = first_fire(SmokeFireDetector(eager), clip)
    assert tuned is not None
    assert sooner is not None
    assert sooner < tuned


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("openvias_fire_confirm_samples", 0),
        ("openvias_fire_confirm_samples", 5),
        ("openvias_fire_min_score", 0),
        ("openvias_fire_min_score", 101),
        ("openvias_smoke_min_blocks", 0),
        ("openvias_fire_min_score", "60"),
    ],
)
def test_out_of_range_values_are_refused(key: str, value: object) -> None:
    with pytest.raises(ValidationError, match=key):
        SmokeAndFireCommon.model_validate({key: value})
