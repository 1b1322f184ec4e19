"""Settings, targets and small helpers shared by the engine throughput benchmark."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

# -- what is measured ---------------------------------------------------------------------

FPS = 25
CYCLE_S = 10  #: the scene repeats every cycle; one fire alarm per cycle
FLAME_S = (2, 6)  #: the flame burns from 2 s to 6 s of a cycle
CYCLES = 2  #: a clip is two cycles (20 s)
CLIP_VERSION = 1  #: bump when the drawing or the encoding changes (clips are cached)
SERVICE = "c-smoke-and-fire-cloud"
COMMON: dict[str, Any] = {
    "video_sampling_interval": 1,
    "fire_detection_sw": 1,
    "smoke_detection_sw": 1,
    "render_result_sw": 1,
}
STATE_FIRE = 1

TARGET_RATIO = 0.8
TARGET_STREAMS = 40  # twice what the first engine took on the 2-core benchmark machine
TARGET_P95_S = 1.0
MAX_LAG_S = 1.0  #: camera→analysed lag above which a stream did not keep up
LAG_GROWTH_S = 0.5  #: ... or growth of that lag over the window
LATE_GRACE_S = 3.0  #: wait after a window for its last alarms to be stored
MAX_SETTLE_S = 40.0  #: longest wait for new streams to catch up before a window

CORES = os.cpu_count() or 1


@dataclass(frozen=True)
class LiveProbe:
    """What part 2 runs and checks: one task of ``service`` per looped camera, and the
    alarms (``matches`` on their ``event_set``) that fall on known pictures of the clip,
    ``phases`` seconds into every ``lap_s`` lap: their lateness is the stream's lag."""

    service: str
    common: dict[str, Any]
    label: str  #: e.g. "1080p25", for the printouts
    lap_s: float
    phases: tuple[float, ...]
    matches: Callable[[list[dict[str, Any]]], bool]
    commercial: bool = False  #: its tasks need a resource order


def is_fire(event_set: list[dict[str, Any]]) -> bool:
    return any(int(item.get("state", 0)) == STATE_FIRE for item in event_set)


def fire_probe(phases: Sequence[float]) -> LiveProbe:
    """Smoke and fire on the synthetic 1080p clip: one fire alarm per cycle."""
    return LiveProbe(SERVICE, COMMON, "1080p25", CYCLES * CYCLE_S, tuple(phases), is_fire)


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (``nan`` for no values)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def ms(seconds: float) -> str:
    return "-" if math.isnan(seconds) else f"{seconds * 1000:.0f}"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"
