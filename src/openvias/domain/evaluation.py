"""Scoring alarms against labelled truth: one implementation for the CLI and the benchmarks.

Pure functions over times in seconds (positions in the video) and counts; nothing here
reads a file. The rules (``docs/evaluate.md``):

- **Smoke and fire, videos.** The truth of a file is the intervals in which fire or smoke
  is visible. An alarm at ``t`` *matches* an interval ``[start, end]`` when
  ``start - tolerance <= t <= end + tolerance`` (borders included); every other alarm is a
  *false alarm*. An interval is *detected* by its first matching alarm; its *seconds to
  alarm* are that alarm's time minus ``start`` (negative within the tolerance before it),
  and it is detected *in time* when they are at most ``deadline``. A file *passes* when
  every interval is detected in time and no alarm is false (a negative file: no alarm).
- **Smoke and fire, pictures.** A picture labelled positive passes when it raised an alarm,
  a negative one when it raised none.
- **Intrusion, region entries.** Each alarm, in time order, takes the first still unmatched
  entry whose start lies within the polygon's tolerance of it (``|t - start| <= tol``).
- **Intrusion, line alarms.** A truth crossing is hit when some alarm lies within the
  tolerance of it.
- **Counting.** Counted crossings per direction against the truth's (exact), and the
  region count reported nearest each truth instant against the truth's range (within 1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Interval:
    """Seconds in which the event is visible; ``end`` is inclusive."""

    start: float
    end: float

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"interval ends ({self.end}) before it starts ({self.start})")


@dataclass(frozen=True, slots=True)
class IntervalResult:
    interval: Interval
    first_alarm: float | None
    in_time: bool

    @property
    def seconds_to_alarm(self) -> float | None:
        return None if self.first_alarm is None else self.first_alarm - self.interval.start


@dataclass(frozen=True, slots=True)
class VideoScore:
    """One video's alarms against its truth intervals."""

    intervals: tuple[IntervalResult, ...]
    true_alarms: tuple[float, ...]
    false_alarms: tuple[float, ...]
    #: Seconds of the video outside every interval (with its tolerance).
    negative_s: float

    @property
    def positive(self) -> bool:
        return bool(self.intervals)

    @property
    def passed(self) -> bool:
        return all(r.in_time for r in self.intervals) and not self.false_alarms

    @property
    def first_alarm(self) -> float | None:
        return min((*self.true_alarms, *self.false_alarms), default=None)


def score_video(
    alarms: Sequence[float],
    intervals: Sequence[Interval],
    duration_s: float,
    *,
    tolerance_s: float = 0.0,
    deadline_s: float = 5.0,
) -> VideoScore:
    """Match one video's alarm times against its truth intervals (module docstring)."""
    times = sorted(alarms)
    results = []
    true: list[float] = []
    for interval in intervals:
        low, high = interval.start - tolerance_s, interval.end + tolerance_s
        matching = [t for t in times if low <= t <= high]
        first = matching[0] if matching else None
        in_time = first is not None and first - interval.start <= deadline_s
        results.append(IntervalResult(interval, first, in_time))
    for t in times:
        if any(i.start - tolerance_s <= t <= i.end + tolerance_s for i in intervals):
            true.append(t)
    false = tuple(t for t in times if t not in true)
    covered = _covered_s(intervals, tolerance_s, duration_s)
    return VideoScore(tuple(results), tuple(true), false, max(0.0, duration_s - covered))


def _covered_s(intervals: Sequence[Interval], tolerance_s: float, duration_s: float) -> float:
    """Seconds of [0, duration] inside the union of the widened intervals."""
    spans = sorted(
        (max(0.0, i.start - tolerance_s), min(duration_s, i.end + tolerance_s)) for i in intervals
    )
    covered, reach = 0.0, 0.0
    for start, end in spans:
        start = max(start, reach)
        if end > start:
            covered += end - start
            reach = end
    return covered


@dataclass(frozen=True, slots=True)
class Confusion:
    """Counts of a binary decision per item (a picture, a file)."""

    tp: int = 0
    fn: int = 0
    fp: int = 0
    tn: int = 0

    def add(self, *, positive: bool, alarmed: bool) -> Confusion:
        return Confusion(
            self.tp + int(positive and alarmed),
            self.fn + int(positive and not alarmed),
            self.fp + int(not positive and alarmed),
            self.tn + int(not positive and not alarmed),
        )

    # An empty class counts as one, so that no rate divides by zero (and 0/0 reads 0 %).
    @property
    def recall(self) -> float:
        return self.tp / max(1, self.tp + self.fn)

    @property
    def false_positive_rate(self) -> float:
        return self.fp / max(1, self.fp + self.tn)

    @property
    def precision(self) -> float:
        return self.tp / max(1, self.tp + self.fp)


@dataclass(frozen=True, slots=True)
class VideoTotals:
    """Totals over the videos of a smoke-and-fire data set."""

    positive_files: int
    positive_passed: int
    negative_files: int
    negative_alarmed: int
    intervals: int
    intervals_in_time: int
    true_alarms: int
    false_alarms: int
    negative_hours: float
    seconds_to_alarm: tuple[float, ...] = field(default=())

    @property
    def recall(self) -> float:
        return self.intervals_in_time / self.intervals if self.intervals else 1.0

    @property
    def precision(self) -> float:
        found = self.true_alarms + self.false_alarms
        return self.true_alarms / found if found else 1.0

    @property
    def false_alarms_per_hour(self) -> float:
        return self.false_alarms / self.negative_hours if self.negative_hours else 0.0


def video_totals(scores: Sequence[VideoScore]) -> VideoTotals:
    positives = [s for s in scores if s.positive]
    negatives = [s for s in scores if not s.positive]
    results = [r for s in scores for r in s.intervals]
    return VideoTotals(
        positive_files=len(positives),
        positive_passed=sum(s.passed for s in positives),
        negative_files=len(negatives),
        negative_alarmed=sum(bool(s.false_alarms) for s in negatives),
        intervals=len(results),
        intervals_in_time=sum(r.in_time for r in results),
        true_alarms=sum(len(s.true_alarms) for s in scores),
        false_alarms=sum(len(s.false_alarms) for s in scores),
        negative_hours=sum(s.negative_s for s in scores) / 3600,
        seconds_to_alarm=tuple(
            r.seconds_to_alarm for r in results if r.seconds_to_alarm is not None
        ),
    )


@dataclass(frozen=True, slots=True)
class EntryMatch:
    """Region-entry alarms of one polygon against its truth entries."""

    alarms: tuple[float, ...]
    starts: tuple[float, ...]
    #: (alarm time, index of the entry it matched), in alarm order.
    pairs: tuple[tuple[float, int], ...]

    @property
    def matched(self) -> int:
        return len(self.pairs)

    @property
    def delays(self) -> list[float]:
        return [t - self.starts[i] for t, i in self.pairs]

    @property
    def missed(self) -> list[int]:
        hit = {i for _, i in self.pairs}
        return [i for i in range(len(self.starts)) if i not in hit]

    @property
    def false_alarms(self) -> list[float]:
        hit = {t for t, _ in self.pairs}
        return [t for t in self.alarms if t not in hit]


def match_entries(
    alarms: Sequence[float], starts: Sequence[float], tolerance_s: float
) -> EntryMatch:
    """Each alarm, in the order given, takes the first unmatched start within tolerance."""
    used: set[int] = set()
    pairs = []
    for t in alarms:
        hit = next(
            (i for i, s in enumerate(starts) if i not in used and abs(t - s) <= tolerance_s), None
        )
        if hit is not None:
            used.add(hit)
            pairs.append((t, hit))
    return EntryMatch(tuple(alarms), tuple(starts), tuple(pairs))


def events_hit(alarms: Sequence[float], events: Sequence[float], tolerance_s: float) -> int:
    """Truth events with at least one alarm within ``tolerance_s`` of them."""
    return sum(1 for s in events if any(abs(t - s) <= tolerance_s for t in alarms))


def counts_exact(counted: dict[str, int], truth: dict[str, int]) -> bool:
    """Whether every direction of the truth was counted exactly."""
    return all(counted.get(k, 0) == v for k, v in truth.items())


def nearest_report(
    reports: Sequence[tuple[float, int]], instant: float
) -> tuple[float, int] | None:
    """The (time, count) report nearest ``instant`` (the earliest on a tie)."""
    if not reports:
        return None
    return min(reports, key=lambda r: abs(r[0] - instant))


def count_within(count: int, low: int, high: int, slack: int = 1) -> bool:
    return low - slack <= count <= high + slack


def ratio(numerator: int, denominator: int) -> float:
    """``numerator / denominator``, 1.0 when nothing was expected."""
    return numerator / denominator if denominator else 1.0
