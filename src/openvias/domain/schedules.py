"""VIAS weekly schedules (``TaskSchedule``) as intervals of real time.

A schedule is wall-clock windows per ISO weekday in one time zone. This module turns them into
the instants a scheduler starts and stops a task at. The rules (docs/design/schedules.md):

- A window runs from ``begin_at`` (inclusive) to ``end_at`` (exclusive), wall-clock time in
  the schedule's zone. ``end_at <= begin_at`` crosses midnight: the part after midnight
  belongs to the window of the day before, even when that next day is not listed.
  ``begin_at == end_at`` is the whole 24 hours from ``begin_at``.
- Windows whose wall-clock gap is at most :data:`MERGE_GAP` (60 s) are one run, so
  ``22:00-23:59:00`` followed by the next day's ``00:00:00-06:00`` runs without a stop.
- Each wall-clock time ``W`` is placed at the first instant the zone's clock reads ``W`` or
  later. So a time skipped by a clock change (spring forward) is the instant the clocks jump;
  a time that occurs twice (fall back) is its first occurrence; and a run's end is the first
  occurrence of its end time after its start. Equivalently: the task is on at instant ``t``
  exactly when the highest wall-clock reading up to ``t`` lies within a run.
- Runs at most 60 s apart in real time (only when a clock change swallows the gap) are one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

#: Windows (wall clock) and runs (real time) at most this far apart are one continuous run.
MERGE_GAP = timedelta(seconds=60)

Window = tuple[time, time]
"""A (begin, end) pair of local times; end <= begin crosses midnight, end == begin is 24 h."""

_OFFSET = re.compile(r"^(?:GMT|UTC)?([+-])([0-9]{2}):([0-9]{2})$")
_TIME = re.compile(r"^(?:([0-9]{4}-[0-9]{2}-[0-9]{2})T)?([0-9]{2}):([0-9]{2}):([0-9]{2})$")
_DAY = timedelta(days=1)
_SECOND = timedelta(seconds=1)
_TICK = timedelta(microseconds=1)
#: How far :meth:`WeeklySchedule.next_change` looks: two weeks and some, so a weekly
#: schedule that does not change within it never changes.
_HORIZON = timedelta(days=16)


class ScheduleError(ValueError):
    """A schedule that cannot be used; the message names the offending field."""


def parse_timezone(value: object) -> tzinfo:
    """``+08:00``, ``GMT+08:00``, ``UTC-05:30``, ``UTC``, ``GMT`` (fixed offsets, hours up to
    14) or an IANA zone name such as ``Europe/Berlin``."""
    if not isinstance(value, str) or not value:
        raise ScheduleError("schedule.timezone is required: +hh:mm, GMT+hh:mm or an IANA name")
    if value in ("UTC", "GMT"):
        return UTC
    matched = _OFFSET.match(value)
    if matched:
        sign, hours, minutes = matched.group(1), int(matched.group(2)), int(matched.group(3))
        if hours > 14 or minutes > 59:
            raise ScheduleError(f"schedule.timezone {value!r}: offsets go from -14:59 to +14:59")
        offset = timedelta(hours=hours, minutes=minutes)
        return timezone(-offset if sign == "-" else offset)
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ScheduleError(
            f"schedule.timezone {value!r} is neither +hh:mm, GMT+hh:mm nor a known IANA zone"
        ) from exc


def parse_time(value: object, where: str) -> time:
    """``hh:mm:ss``; the ``yyyy-MM-ddThh:mm:ss`` form the wire pattern also allows (meant for
    one-off VAS timings) stands for its time of day: a weekly window recurs, its date is
    checked and otherwise ignored."""
    matched = _TIME.match(value) if isinstance(value, str) else None
    if matched is None:
        raise ScheduleError(f"{where} {value!r} is not a time hh:mm:ss")
    if matched.group(1) is not None:
        try:
            date.fromisoformat(matched.group(1))
        except ValueError as exc:
            raise ScheduleError(f"{where} {value!r} has an invalid date") from exc
    hours, minutes, seconds = (int(matched.group(i)) for i in (2, 3, 4))
    if hours > 23 or minutes > 59 or seconds > 59:
        raise ScheduleError(f"{where} {value!r} is not between 00:00:00 and 23:59:59")
    return time(hours, minutes, seconds)


def _aware_utc(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")
    return moment.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class WeeklySchedule:
    """Weekly windows in one zone. ``windows[d - 1]`` are the windows of ISO weekday ``d``
    (1 = Monday ... 7 = Sunday), so ``windows`` has exactly 7 entries."""

    timezone: tzinfo
    windows: tuple[tuple[Window, ...], ...]

    def __post_init__(self) -> None:
        if len(self.windows) != 7:
            raise ScheduleError("windows needs one tuple of windows per weekday (7)")

    @classmethod
    def from_wire(cls, schedule: Mapping[str, Any]) -> WeeklySchedule:
        """The stored ``TaskSchedule`` JSON: ``{"type": "weekly", "timezone", "days_of_week",
        "periods"}``, where ``periods[i]`` are the windows of ``days_of_week[i]`` or a single
        list applies to every listed day."""
        if not isinstance(schedule, Mapping):
            raise ScheduleError("schedule must be an object")
        kind = schedule.get("type")
        if kind != "weekly":
            raise ScheduleError(f"schedule.type {kind!r} is not supported: only weekly")
        zone = parse_timezone(schedule.get("timezone"))
        days = schedule.get("days_of_week")
        if not isinstance(days, Sequence) or isinstance(days, str) or not days:
            raise ScheduleError("schedule.days_of_week needs 1 to 7 days (1 = Monday)")
        for day in days:
            if not isinstance(day, int) or isinstance(day, bool) or not 1 <= day <= 7:
                raise ScheduleError(f"schedule.days_of_week: {day!r} is not a day 1..7")
        if len(set(days)) != len(days):
            raise ScheduleError("schedule.days_of_week must not repeat a day")
        periods = schedule.get("periods")
        if not isinstance(periods, Sequence) or isinstance(periods, str):
            raise ScheduleError("schedule.periods is required: a list of windows per day")
        if len(periods) not in (1, len(days)):
            raise ScheduleError(
                f"schedule.periods has {len(periods)} lists of windows for {len(days)} days:"
                " give one list per day of days_of_week, or a single list for every day"
            )
        parsed = [
            _parse_windows(entry, f"schedule.periods[{i}]") for i, entry in enumerate(periods)
        ]
        if not any(parsed):
            raise ScheduleError("schedule.periods needs at least one window")
        per_day: list[tuple[Window, ...]] = [()] * 7
        for index, day in enumerate(days):
            per_day[day - 1] = parsed[index if len(parsed) > 1 else 0]
        return cls(zone, tuple(per_day))

    def occurrences(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """The runs ``[on, off)`` (aware UTC) that intersect ``[start, end)``, clipped to it:
        sorted, non-overlapping, each maximal (at least 60 s apart from the next)."""
        start, end = _aware_utc(start, "start"), _aware_utc(end, "end")
        if end <= start:
            return []
        first_day = (start - MERGE_GAP).astimezone(self.timezone).date() - 2 * _DAY
        last_day = (end + MERGE_GAP).astimezone(self.timezone).date()
        runs: list[tuple[datetime, datetime]] = []
        for begin_wall, end_wall in self._wall_runs(first_day, last_day):
            on, off = self._instant(begin_wall), self._instant(end_wall)
            if on >= off:
                continue  # wholly inside a skipped hour
            if runs and on - runs[-1][1] <= MERGE_GAP:
                runs[-1] = (runs[-1][0], max(runs[-1][1], off))
            else:
                runs.append((on, off))
        return [(max(on, start), min(off, end)) for on, off in runs if on < end and off > start]

    def is_active(self, moment: datetime) -> bool:
        """Whether the task should be running at ``moment`` (aware)."""
        moment = _aware_utc(moment, "moment")
        return bool(self.occurrences(moment, moment + _TICK))

    def next_change(self, moment: datetime) -> datetime | None:
        """The first instant after ``moment`` at which :meth:`is_active` flips (aware UTC);
        None when it never does (no window at all, or running around the clock)."""
        moment = _aware_utc(moment, "moment")
        horizon = moment + _HORIZON
        runs = self.occurrences(moment, horizon)
        if not runs:
            return None
        on, off = runs[0]
        if on > moment:
            return on
        return off if off < horizon else None

    def _wall_runs(self, first_day: date, last_day: date) -> list[tuple[datetime, datetime]]:
        """The windows of the days ``first_day..last_day`` as naive local intervals, sorted,
        those at most :data:`MERGE_GAP` apart merged."""
        windows: list[tuple[datetime, datetime]] = []
        day = first_day
        while day <= last_day:
            for begin, end in self.windows[day.isoweekday() - 1]:
                end_day = day if end > begin else day + _DAY
                windows.append((datetime.combine(day, begin), datetime.combine(end_day, end)))
            day += _DAY
        windows.sort()
        merged: list[tuple[datetime, datetime]] = []
        for begin_wall, end_wall in windows:
            if merged and begin_wall - merged[-1][1] <= MERGE_GAP:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end_wall))
            else:
                merged.append((begin_wall, end_wall))
        return merged

    def _instant(self, wall: datetime) -> datetime:
        """The first instant (UTC) at which the zone's clock reads ``wall`` or later."""
        first = wall.replace(tzinfo=self.timezone, fold=0).astimezone(UTC)
        if self._wall(first) == wall:
            return first  # exists; fold=0 is the first of two occurrences
        # Skipped by a clock change: fold=0 and fold=1 place it after and before the jump.
        other = wall.replace(tzinfo=self.timezone, fold=1).astimezone(UTC)
        low, high = min(first, other), max(first, other)
        low = low.replace(microsecond=0)  # transitions fall on whole seconds
        steps = -(-(high - low) // _SECOND)
        while steps > 1:  # invariant: clock at low < wall <= clock at low + steps seconds
            half = steps // 2
            if self._wall(low + half * _SECOND) >= wall:
                steps = half
            else:
                low, steps = low + half * _SECOND, steps - half
        return low + steps * _SECOND

    def _wall(self, instant: datetime) -> datetime:
        return instant.astimezone(self.timezone).replace(tzinfo=None)


def _parse_windows(entry: object, where: str) -> tuple[Window, ...]:
    if not isinstance(entry, Sequence) or isinstance(entry, str):
        raise ScheduleError(f"{where} must be a list of windows {{begin_at, end_at}}")
    windows: list[Window] = []
    for index, window in enumerate(entry):
        if not isinstance(window, Mapping):
            raise ScheduleError(f"{where}[{index}] must be an object {{begin_at, end_at}}")
        windows.append(
            (
                parse_time(window.get("begin_at"), f"{where}[{index}].begin_at"),
                parse_time(window.get("end_at"), f"{where}[{index}].end_at"),
            )
        )
    return tuple(windows)
