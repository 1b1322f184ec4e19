"""Service names to implementations, and third-party plugins from entry points."""

from __future__ import annotations

import logging
from importlib.metadata import EntryPoint

import pytest

from openvias.algorithms import registry as registry_module
from openvias.algorithms.base import Algorithm, Detection, Sample
from openvias.algorithms.registry import (
    ENTRY_POINT_GROUP,
    AlgorithmPlugin,
    AlgorithmRegistry,
    build_registry,
)
from openvias.algorithms.smoke_fire import SmokeFireDetector
from openvias.domain.algorithm_configs import CommonConfig, SmokeAndFireCommon


class NullAlgorithm:
    def __init__(self, config: CommonConfig) -> None:
        self.config = config

    def reset(self) -> None:
        pass

    def process(self, sample: Sample) -> list[Detection]:
        return []


PLUGIN = AlgorithmPlugin(
    type="example/null@v1",
    service_names=("c-null-cloud",),
    config_model=CommonConfig,
    factory=NullAlgorithm,
)
CLASH = AlgorithmPlugin(
    type="example/clash@v1",
    service_names=("c-smoke-and-fire-cloud",),
    config_model=CommonConfig,
    factory=NullAlgorithm,
)
NOT_A_PLUGIN = object()


def make_plugin() -> AlgorithmPlugin:
    return AlgorithmPlugin("example/made@v1", ("c-made-edge",), CommonConfig, NullAlgorithm)


def entry(name: str, target: str) -> EntryPoint:
    return EntryPoint(name=name, value=target, group=ENTRY_POINT_GROUP)


@pytest.mark.parametrize("service", ["c-smoke-and-fire-cloud", "c-smoke-and-fire-edge"])
def test_builtin_smoke_and_fire_services(service: str) -> None:
    registry = build_registry(extra=[])
    algorithm = registry.create(service, {"fire_detection_sw": 0, "target_roi": ""})
    assert isinstance(algorithm, SmokeFireDetector)
    assert isinstance(algorithm, Algorithm)
    assert algorithm.config.fire_detection_sw == 0
    plugin = registry.get(service)
    assert plugin is not None
    assert plugin.type == "openvias/smoke_fire@v1"
    assert plugin.config_model is SmokeAndFireCommon


def test_config_is_validated() -> None:
    registry = build_registry(extra=[])
    with pytest.raises(ValueError, match="fire_detection_sw"):
        registry.create("c-smoke-and-fire-cloud", {"fire_detection_sw": 7})


def test_unknown_service() -> None:
    with pytest.raises(LookupError, match="c-nothing"):
        build_registry(extra=[]).create("c-nothing")


def test_entry_points_load_and_broken_ones_are_skipped(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    here = __name__
    points = [
        entry("good", f"{here}:PLUGIN"),
        entry("factory", f"{here}:make_plugin"),
        entry("missing", "no_such_module_anywhere:PLUGIN"),
        entry("wrong_type", f"{here}:NOT_A_PLUGIN"),
        entry("clash", f"{here}:CLASH"),
    ]
    monkeypatch.setattr(
        registry_module,
        "entry_points",
        lambda group: [p for p in points if group == ENTRY_POINT_GROUP],
    )
    with caplog.at_level(logging.ERROR, logger=registry_module.__name__):
        registry = build_registry()
    assert registry.get("c-null-cloud") is PLUGIN
    assert registry.get("c-made-edge") is not None
    assert registry.get("c-smoke-and-fire-cloud") is registry_module.SMOKE_FIRE
    assert isinstance(registry.create("c-null-cloud"), NullAlgorithm)
    logged = caplog.text
    for name in ("missing", "wrong_type", "example/clash@v1"):
        assert name in logged


def test_duplicate_registration_is_refused() -> None:
    registry = AlgorithmRegistry([PLUGIN])
    with pytest.raises(ValueError, match="already served"):
        registry.register(PLUGIN)
    assert registry.service_names == ("c-null-cloud",)
    assert registry.plugins == (PLUGIN,)
