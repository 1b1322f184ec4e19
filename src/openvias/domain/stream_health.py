"""How well a stream is doing: the connection-quality word and the windows behind it.

Pure values: the engine feeds them what its stream processes report (``engine/stream_health.py``)
and the rule is documented in ``docs/observability.md``.

**Connection quality** (as Frigate's ``/api/stats`` names it), from the share of the
expected samples analysed over the recent window (``analysed / expected``, capped at 1),
the reconnects in the last hour and, for a live source, the lag of the latest sample:

============  =========  ==============  ==========
word          share ≥    reconnects ≤    lag ≤
============  =========  ==============  ==========
excellent     0.9        0               1 s
fair          0.75       2               2 s
poor          0.5        10              5 s
unusable      anything else, or the source is not running (reconnecting, starting)
============  =========  ==============  ==========

A stream gets the best word whose three limits it meets.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Final, Literal

Quality = Literal["excellent", "fair", "poor", "unusable"]

HOUR_SECONDS: Final = 3600.0


@dataclass(frozen=True, slots=True)
class QualityLimits:
    word: Quality
    min_share: float
    max_reconnects: int
    max_lag_seconds: float


QUALITY_LIMITS: Final = (
    QualityLimits("excellent", 0.9, 0, 1.0),
    QualityLimits("fair", 0.75, 2, 2.0),
    QualityLimits("poor", 0.5, 10, 5.0),
)


def connection_quality(
    *,
    source_running: bool,
    expected_per_second: float,
    analysed_per_second: float,
    reconnects_last_hour: int,
    lag_seconds: float | None,
) -> Quality:
    """The quality word of the module docstring's table."""
    if not source_running or expected_per_second <= 0:
        return "unusable"
    share = min(1.0, analysed_per_second / expected_per_second)
    lag = lag_seconds or 0.0
    for limits in QUALITY_LIMITS:
        if (
            share >= limits.min_share
            and reconnects_last_hour <= limits.max_reconnects
            and lag <= limits.max_lag_seconds
        ):
            return limits.word
    return "unusable"


class HourWindow:
    """Moments (monotonic seconds) of events, counted over the last hour."""

    def __init__(self, span: float = HOUR_SECONDS) -> None:
        self.span = span
        self._moments: deque[float] = deque()
        self.total = 0

    def add(self, moment: float) -> None:
        self._moments.append(moment)
        self.total += 1

    def count(self, now: float) -> int:
        while self._moments and self._moments[0] <= now - self.span:
            self._moments.popleft()
        return len(self._moments)


@dataclass(frozen=True, slots=True)
class WorkTotals:
    """Cumulative work of a stream: pictures decoded, samples analysed, seconds per stage."""

    decoded: int = 0
    analysed: int = 0
    decode_s: float = 0.0
    convert_s: float = 0.0
    analyse_s: float = 0.0

    def __add__(self, other: WorkTotals) -> WorkTotals:
        return WorkTotals(
            self.decoded + other.decoded,
            self.analysed + other.analysed,
            self.decode_s + other.decode_s,
            self.convert_s + other.convert_s,
            self.analyse_s + other.analyse_s,
        )

    def __sub__(self, other: WorkTotals) -> WorkTotals:
        return WorkTotals(
            self.decoded - other.decoded,
            self.analysed - other.analysed,
            self.decode_s - other.decode_s,
            self.convert_s - other.convert_s,
            self.analyse_s - other.analyse_s,
        )


@dataclass(frozen=True, slots=True)
class WindowRates:
    decoded_per_second: float
    analysed_per_second: float
    #: Mean milliseconds per analysed sample in each stage (None: no sample in the window).
    decode_ms: float | None
    convert_ms: float | None
    analyse_ms: float | None


class RateWindow:
    """Rates over the last ``span`` seconds from cumulative totals noted at moments.

    The baseline is the newest note at least ``span`` old (else the oldest one), so a stream
    that stopped delivering sees its rates fall to 0 as time passes without notes."""

    def __init__(self, span: float = 30.0) -> None:
        self.span = span
        self._notes: deque[tuple[float, WorkTotals]] = deque()

    def note(self, moment: float, totals: WorkTotals) -> None:
        self._notes.append((moment, totals))
        while len(self._notes) > 1 and self._notes[1][0] <= moment - self.span:
            self._notes.popleft()

    def rates(self, now: float) -> WindowRates:
        while len(self._notes) > 1 and self._notes[1][0] <= now - self.span:
            self._notes.popleft()
        if not self._notes:
            return WindowRates(0.0, 0.0, None, None, None)
        since, first = self._notes[0]
        if len(self._notes) == 1 or now - since < 1e-3:
            return WindowRates(0.0, 0.0, None, None, None)
        done = self._notes[-1][1] - first
        seconds = now - since
        return WindowRates(
            decoded_per_second=done.decoded / seconds,
            analysed_per_second=done.analysed / seconds,
            decode_ms=_per_sample(done.decode_s, done.analysed),
            convert_ms=_per_sample(done.convert_s, done.analysed),
            analyse_ms=_per_sample(done.analyse_s, done.analysed),
        )


def _per_sample(seconds: float, samples: int) -> float | None:
    return 1000 * seconds / samples if samples > 0 else None
