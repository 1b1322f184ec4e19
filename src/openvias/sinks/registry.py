"""Which sink delivers which output kind.

Built-ins: ``webhook`` (:class:`openvias.sinks.webhook.WebhookSink`), ``obs``
(``openvias.sinks.obs.ObsSink``) and ``dis`` (``openvias.sinks.dis.DisSink``); each is built
with the server's settings. Third-party sinks register under the entry point group
``openvias.sinks``: the entry point loads a class (or factory) taking the settings, whose
instances have a ``kind`` and satisfy :class:`openvias.sinks.base.Sink`; a third-party sink
replaces a built-in of the same kind. A sink that cannot be loaded or built is left out
(logged): its deliveries are attempted and fail with "no sink" until it is fixed.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

from openvias.settings import Settings
from openvias.sinks.base import Sink

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "openvias.sinks"

#: kind -> (module, class) of the built-in sinks, imported when the worker starts.
BUILTINS: dict[str, tuple[str, str]] = {
    "webhook": ("openvias.sinks.webhook", "WebhookSink"),
    "obs": ("openvias.sinks.obs", "ObsSink"),
    "dis": ("openvias.sinks.dis", "DisSink"),
}


def _build(kind: str, factory: Callable[[Settings], Any], settings: Settings) -> Sink | None:
    try:
        sink = factory(settings)
    except Exception:
        log.exception("the %s sink could not be built; its deliveries will fail", kind)
        return None
    if not isinstance(sink, Sink):
        log.error("%r is not a sink (kind, deliver, close); ignored", sink)
        return None
    return sink


def build_sinks(settings: Settings) -> dict[str, Sink]:
    """Every available sink, by kind."""
    sinks: dict[str, Sink] = {}
    for kind, (module_name, class_name) in BUILTINS.items():
        try:
            factory = getattr(importlib.import_module(module_name), class_name)
        except (ImportError, AttributeError) as exc:
            log.warning("no %s sink: %s", kind, exc)
            continue
        sink = _build(kind, factory, settings)
        if sink is not None:
            sinks[kind] = sink
    for point in entry_points(group=ENTRY_POINT_GROUP):
        try:
            factory = point.load()
        except Exception:
            log.exception("sink entry point %s could not be loaded", point.name)
            continue
        sink = _build(point.name, factory, settings)
        if sink is not None:
            sinks[sink.kind] = sink
    return sinks
