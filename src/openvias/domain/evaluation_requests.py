"""What an evaluation is asked to do, checked once for ``openvias evaluate`` and the API.

An evaluation names an algorithm service, its ``config.common`` (``{"common": {...}}`` or
the bare mapping), optionally a sweep ``KEY=LO:HI:STEP`` (one run per value of one key)
and the goal that picks a swept value (``recall>=X`` or ``precision>=X``). Every swept
configuration is checked against the service's config model before anything runs.
Pure: no file, no registry (the caller passes the config model).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from openvias.domain.algorithm_configs import CommonConfig, describe_validation
from openvias.domain.datasets import FILE_NAME

SMOKE_FIRE = "smoke_fire"
INTRUSION = "intrusion"
FLOW_COUNT = "flow_count"

#: The files that make a folder a data set (``dataset.json``, or the labels it is converted
#: from, see ``engine/evaluation_data.py``), relative to the folder, in the order tried.
LABEL_FILES = (FILE_NAME, "labels.csv", "people/groundtruth.json")

_GOAL = re.compile(r"^(recall|precision)>=([0-9]*\.?[0-9]+)$")


class EvaluationRequestError(ValueError):
    """A request that cannot run; ``field`` names the part (service, config, sweep, goal)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class Goal:
    metric: str  # "recall" or "precision"
    bar: float

    @property
    def text(self) -> str:
        return f"{self.metric}>={self.bar}"


@dataclass(frozen=True, slots=True)
class EvaluationPlan:
    """A checked request: the configurations to run, in sweep order."""

    service: str
    kind: str
    common: dict[str, Any]
    goal: Goal
    sweep_key: str = ""
    sweep_values: list[int | float] = field(default_factory=list)

    def configurations(self) -> list[dict[str, Any]]:
        if not self.sweep_values:
            return [self.common]
        return [{**self.common, self.sweep_key: value} for value in self.sweep_values]


def kind_of(service: str) -> str | None:
    """The scoring a service's alarms get, or None when evaluate cannot score it."""
    if service.startswith("c-smoke-and-fire"):
        return SMOKE_FIRE
    if service.startswith("c-intrusiondetection"):
        return INTRUSION
    if service.startswith("c-flowcount"):
        return FLOW_COUNT
    return None


def parse_sweep(text: str) -> tuple[str, list[int | float]]:
    """``KEY=LO:HI:STEP`` as the key and its values (integers when all three are)."""
    key, _, span = text.partition("=")
    parts = span.split(":")
    if not key.strip() or len(parts) != 3:
        raise EvaluationRequestError("sweep", f"sweep must be KEY=LO:HI:STEP (got {text!r})")
    try:
        if all(re.fullmatch(r"-?\d+", p.strip()) for p in parts):
            low, high, step = (int(p) for p in parts)
            if step <= 0 or high < low:
                raise ValueError
            return key.strip(), list(range(low, high + 1, step))
        lo, hi, st = (float(p) for p in parts)
        if st <= 0 or hi < lo:
            raise ValueError
    except ValueError:
        raise EvaluationRequestError(
            "sweep", f"sweep needs numbers with LO <= HI and STEP > 0 (got {text!r})"
        ) from None
    count = round((hi - lo) / st) + 1
    return key.strip(), [round(lo + i * st, 10) for i in range(count)]


def parse_goal(text: str) -> Goal:
    found = _GOAL.match(text.replace(" ", ""))
    if found is None:
        raise EvaluationRequestError(
            "goal", f"goal must be recall>=X or precision>=X (got {text!r})"
        )
    return Goal(found.group(1), float(found.group(2)))


def common_of(config: Any) -> dict[str, Any]:
    """``config.common`` from ``{"common": {...}}`` or the bare mapping."""
    if config is None:
        return {}
    if not isinstance(config, dict) or not isinstance(config.get("common", config), dict):
        raise EvaluationRequestError("config", "config must be a JSON object (config.common)")
    return dict(config.get("common", config))


def plan_evaluation(
    service: str,
    config_model: type[CommonConfig],
    config: Any,
    sweep: str | None,
    goal: str,
) -> EvaluationPlan:
    """The checked plan; EvaluationRequestError names what is wrong."""
    kind = kind_of(service)
    if kind is None:
        raise EvaluationRequestError("service", f"no algorithm serves {service!r}")
    common = common_of(config)
    checked_goal = parse_goal(goal)
    key, values = parse_sweep(sweep) if sweep else ("", [])
    plan = EvaluationPlan(service, kind, common, checked_goal, key, values)
    for configuration in plan.configurations():
        problem = config_problem(config_model, configuration)
        if problem is not None:
            raise EvaluationRequestError("config", f"invalid configuration: {problem}")
    return plan


def config_problem(config_model: type[CommonConfig], common: dict[str, Any]) -> str | None:
    """Why ``common`` is refused (its key, what is wrong, what was given), or None."""
    try:
        model = config_model.model_validate(common)
    except ValidationError as exc:
        return describe_validation(exc, "common")
    problem = model.consistency_error()
    if problem is not None:
        key, message = problem
        return f"{key}: {message}"
    return None
