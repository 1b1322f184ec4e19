"""Which implementation serves which VIAS algorithm service.

A plugin is an :class:`AlgorithmPlugin`: a namespaced, versioned type id, the service names
it serves, the typed ``config.common`` model it accepts, and a factory. Built-ins are listed
here; third parties publish plugins under the entry point group ``openvias.algorithms``::

    [project.entry-points."openvias.algorithms"]
    my_fire = "my_package.plugin:PLUGIN"      # an AlgorithmPlugin, or a callable returning one

A plugin that fails to import, is not an :class:`AlgorithmPlugin`, or claims a service name
that is already taken is logged and skipped; it never stops the others from loading.
"""

from __future__ import annotations

import builtins
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

from openvias.algorithms.base import Algorithm
from openvias.algorithms.detector import ObjectDetector
from openvias.algorithms.flow_count import FlowCounter
from openvias.algorithms.intrusion import IntrusionDetector
from openvias.algorithms.smoke_fire import SmokeFireDetector, SmokeFireParams
from openvias.domain.algorithm_configs import (
    CommonConfig,
    FlowCountCommon,
    IntrusionDetectionCommon,
    SmokeAndFireCommon,
)

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "openvias.algorithms"


@dataclass(frozen=True, slots=True)
class AlgorithmPlugin:
    """An algorithm implementation and the services it serves."""

    #: Namespaced, versioned id, e.g. ``openvias/smoke_fire@v1``.
    type: str
    service_names: tuple[str, ...]
    config_model: builtins.type[CommonConfig]
    factory: Callable[[Any], Algorithm]
    #: The longer side the algorithm analyses at: the engine may hand it frames already
    #: scaled down to this (``Sample.source_size`` then tells the source size). None =
    #: full resolution.
    analysis_side: int | None = None
    #: Seconds between samples for a validated config, when the algorithm chooses its own
    #: rate (trackers need several pictures a second); None = ``video_sampling_interval``.
    sampling_interval: Callable[[Any], float] | None = None
    #: Frames per sample (1 = single pictures); None = the engine's default burst.
    burst: int | None = None

    def create(self, common: Mapping[str, Any] | CommonConfig | None = None) -> Algorithm:
        """A new instance for one stream; ``common`` is validated by ``config_model``."""
        if isinstance(common, self.config_model):
            config = common
        else:
            config = self.config_model.model_validate(dict(common or {}))
        return self.factory(config)


def _smoke_fire(config: SmokeAndFireCommon) -> Algorithm:
    return SmokeFireDetector(config)


SMOKE_FIRE = AlgorithmPlugin(
    type="openvias/smoke_fire@v1",
    service_names=("c-smoke-and-fire-cloud", "c-smoke-and-fire-edge"),
    config_model=SmokeAndFireCommon,
    factory=_smoke_fire,
    analysis_side=SmokeFireParams().analysis_side,
)


def _intrusion(config: IntrusionDetectionCommon) -> Algorithm:
    return IntrusionDetector(config, ObjectDetector())


def _flow_count(config: FlowCountCommon) -> Algorithm:
    return FlowCounter(config, ObjectDetector())


def _tracking_interval(config: IntrusionDetectionCommon | FlowCountCommon) -> float:
    return 1.0 / config.openvias_analysis_fps


#: The detector's input side: the engine converts pictures straight to about this size.
DETECTOR_SIDE = 416

INTRUSION = AlgorithmPlugin(
    type="openvias/intrusion@v1",
    service_names=("c-intrusiondetection-cloud", "c-intrusiondetection-edge"),
    config_model=IntrusionDetectionCommon,
    factory=_intrusion,
    analysis_side=DETECTOR_SIDE,
    sampling_interval=_tracking_interval,
    burst=1,
)

FLOW_COUNT = AlgorithmPlugin(
    type="openvias/flow_count@v1",
    service_names=("c-flowcount-cloud", "c-flowcount-edge"),
    config_model=FlowCountCommon,
    factory=_flow_count,
    analysis_side=DETECTOR_SIDE,
    sampling_interval=_tracking_interval,
    burst=1,
)

BUILTINS: tuple[AlgorithmPlugin, ...] = (SMOKE_FIRE, INTRUSION, FLOW_COUNT)


class AlgorithmRegistry:
    """Service name -> plugin; first registration of a name wins."""

    def __init__(self, plugins: Iterable[AlgorithmPlugin] = ()) -> None:
        self._by_service: dict[str, AlgorithmPlugin] = {}
        for plugin in plugins:
            self.register(plugin)

    def register(self, plugin: AlgorithmPlugin) -> None:
        """Add a plugin; raises ValueError when one of its service names is taken."""
        taken = [name for name in plugin.service_names if name in self._by_service]
        if taken:
            owners = sorted({self._by_service[name].type for name in taken})
            raise ValueError(f"{plugin.type}: service names {taken} already served by {owners}")
        for name in plugin.service_names:
            self._by_service[name] = plugin

    def get(self, service_name: str) -> AlgorithmPlugin | None:
        return self._by_service.get(service_name)

    def create(
        self, service_name: str, common: Mapping[str, Any] | CommonConfig | None = None
    ) -> Algorithm:
        """A new algorithm instance; raises LookupError for a service nobody serves."""
        plugin = self.get(service_name)
        if plugin is None:
            raise LookupError(f"no algorithm serves {service_name!r}")
        return plugin.create(common)

    @property
    def service_names(self) -> tuple[str, ...]:
        return tuple(sorted(self._by_service))

    @property
    def plugins(self) -> tuple[AlgorithmPlugin, ...]:
        return tuple({id(p): p for p in self._by_service.values()}.values())


def discover_plugins(group: str = ENTRY_POINT_GROUP) -> list[AlgorithmPlugin]:
    """Third-party plugins from entry points; broken ones are logged and skipped."""
    found: list[AlgorithmPlugin] = []
    for entry in entry_points(group=group):
        try:
            loaded = entry.load()
            plugin = loaded() if callable(loaded) and not isinstance(loaded, type) else loaded
            if not isinstance(plugin, AlgorithmPlugin):
                raise TypeError(f"expected an AlgorithmPlugin, got {type(plugin).__name__}")
        except Exception:
            log.exception("skipping broken algorithm plugin %r (%s)", entry.name, entry.value)
            continue
        found.append(plugin)
    return found


def build_registry(
    extra: Iterable[AlgorithmPlugin] | None = None, *, group: str = ENTRY_POINT_GROUP
) -> AlgorithmRegistry:
    """Built-ins, then ``extra`` (default: the entry point plugins of ``group``).

    A plugin whose service names clash with an earlier one is logged and skipped.
    """
    registry = AlgorithmRegistry(BUILTINS)
    for plugin in discover_plugins(group) if extra is None else extra:
        try:
            registry.register(plugin)
        except ValueError:
            log.exception("skipping algorithm plugin %s", plugin.type)
    return registry
