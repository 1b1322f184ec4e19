"""Weekly schedules: wire parsing, and the run intervals they give, against a brute-force
minute-by-minute reference around daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from openvias.domain.schedules import ScheduleError, WeeklySchedule, parse_timezone

MINUTE = timedelta(minutes=1)
MARGIN = timedelta(hours=12)  # of the reference, beyond the compared range
WEEK_MINUTES = 7 * 1440


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def wire(zone: str, days: list[int], *periods: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        "type": "weekly",
        "timezone": zone,
        "days_of_week": days,
        "periods": [[{"begin_at": b, "end_at": e} for b, e in day] for day in periods],
    }


def runs(
    zone: str, days: list[int], *periods: list[tuple[str, str]]
) -> list[tuple[datetime, datetime]]:
    """The runs of a schedule from 2026-01-01 to 2028-01-01."""
    schedule = WeeklySchedule.from_wire(wire(zone, days, *periods))
    return schedule.occurrences(utc(2026, 1, 1), utc(2028, 1, 1))


def around(
    zone: str, day: datetime, days: list[int], *periods: list[tuple[str, str]]
) -> list[tuple[datetime, datetime]]:
    """The runs that intersect the four days around ``day``."""
    schedule = WeeklySchedule.from_wire(wire(zone, days, *periods))
    return schedule.occurrences(day - timedelta(days=2), day + timedelta(days=2))


# --- brute-force reference --------------------------------------------------------------

ZONES: dict[str, tzinfo] = {
    "UTC": UTC,
    "+05:30": timezone(timedelta(hours=5, minutes=30)),
    "-03:00": timezone(timedelta(hours=-3)),
    "GMT-05:30": timezone(timedelta(hours=-5, minutes=-30)),
    "Europe/Berlin": ZoneInfo("Europe/Berlin"),
    "America/New_York": ZoneInfo("America/New_York"),
    "Asia/Kolkata": ZoneInfo("Asia/Kolkata"),
    "Australia/Lord_Howe": ZoneInfo("Australia/Lord_Howe"),
}
#: UTC instants of the clock changes of 2026/2027, per zone.
TRANSITIONS: dict[str, list[datetime]] = {
    "Europe/Berlin": [
        utc(2026, 3, 29, 1),
        utc(2026, 10, 25, 1),
        utc(2027, 3, 28, 1),
        utc(2027, 10, 31, 1),
    ],
    "America/New_York": [
        utc(2026, 3, 8, 7),
        utc(2026, 11, 1, 6),
        utc(2027, 3, 14, 7),
        utc(2027, 11, 7, 6),
    ],
    "Australia/Lord_Howe": [
        utc(2026, 4, 4, 15),
        utc(2026, 10, 3, 15, 30),
        utc(2027, 4, 3, 15),
        utc(2027, 10, 2, 15, 30),
    ],
}
ANY_TRANSITION = sorted(instant for instants in TRANSITIONS.values() for instant in instants)
Spec = list[list[tuple[int, int]]]  # windows (begin, end minute of day) per weekday 1..7


def week_bitmap(spec: Spec) -> bytearray:
    """Minute of the (wall-clock) week -> inside a window, single-minute gaps filled."""
    bits = bytearray(WEEK_MINUTES)
    for weekday, windows in enumerate(spec):
        for begin, end in windows:
            length = end - begin if end > begin else end - begin + 1440
            for minute in range(length):
                bits[(weekday * 1440 + begin + minute) % WEEK_MINUTES] = 1
    return bytearray(
        bits[m] or (bits[m - 1] and bits[(m + 1) % WEEK_MINUTES]) for m in range(WEEK_MINUTES)
    )


def reference(
    zone: tzinfo, spec: Spec, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """Runs over [start - 12 h, end + 12 h) (cut at those edges), minute by minute: a minute
    is on when the highest wall-clock reading so far falls in a window."""
    bits = week_bitmap(spec)
    epoch = datetime(1970, 1, 5)  # a Monday
    scan, first, last = start - 2 * MARGIN, start - MARGIN, end + MARGIN
    highest: datetime | None = None
    found: list[list[datetime]] = []
    moment = scan
    while moment < last:
        wall = moment.astimezone(zone).replace(tzinfo=None)
        highest = wall if highest is None or wall > highest else highest
        if moment >= first and bits[((highest - epoch) // MINUTE) % WEEK_MINUTES]:
            if found and found[-1][1] >= moment - MINUTE:  # touching, or 60 s apart
                found[-1][1] = moment + MINUTE
            else:
                found.append([moment, moment + MINUTE])
        moment += MINUTE
    return [(on, off) for on, off in found]


def clip(
    found: list[tuple[datetime, datetime]], start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    return [(max(on, start), min(off, end)) for on, off in found if on < end and off > start]


#: Minutes of day around midnight and the changed hours (01:00-03:00), neighbours included so
#: that windows often touch or sit 60 s apart.
SPECIAL = [0, 1, 59, 60, 61, 89, 90, 91, 119, 120, 121, 149, 150, 151, 179, 180, 181, 1438, 1439]
special = st.sampled_from(SPECIAL)
minutes = st.one_of(special, special, st.integers(0, 1439))


@st.composite
def day_windows(draw: st.DrawFn) -> list[tuple[int, int]]:
    """Up to 3 windows; a window often begins 0, 1 or 2 minutes after the previous one ends."""
    windows: list[tuple[int, int]] = []
    for _ in range(draw(st.integers(0, 3))):
        chained = bool(windows) and draw(st.booleans())
        begin = (windows[-1][1] + draw(st.integers(0, 2))) % 1440 if chained else draw(minutes)
        windows.append((begin, draw(minutes)))
    return windows


@st.composite
def schedules(draw: st.DrawFn) -> tuple[str, list[int], list[list[tuple[int, int]]]]:
    zone = draw(  # a zone with clock changes half of the time
        st.one_of(st.sampled_from(sorted(TRANSITIONS)), st.sampled_from(sorted(ZONES)))
    )
    days = draw(
        st.one_of(
            st.permutations(range(1, 8)),
            st.lists(st.integers(1, 7), min_size=1, max_size=7, unique=True),
        )
    )
    shared = draw(st.booleans())  # one list of windows for every day, or one list per day
    periods = [draw(day_windows())] if shared else [draw(day_windows()) for _ in days]
    assume(any(periods))
    return zone, list(days), periods


@st.composite
def ranges(draw: st.DrawFn, zone: str) -> tuple[datetime, datetime]:
    """Up to three weeks (whole minutes) that contain one of the zone's clock changes."""
    anchor = draw(st.sampled_from(TRANSITIONS.get(zone, ANY_TRANSITION)))
    length = draw(st.integers(1, 21 * 1440))
    start = anchor - draw(st.integers(0, length)) * MINUTE
    return start, start + length * MINUTE


def hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}:00"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schedules(), st.data())
def test_matches_minute_by_minute_reference(
    schedule: tuple[str, list[int], list[list[tuple[int, int]]]], data: st.DataObject
) -> None:
    zone, days, periods = schedule
    spec: Spec = [[] for _ in range(7)]
    for index, day in enumerate(days):
        spec[day - 1] = periods[index if len(periods) > 1 else 0]
    body = {
        "type": "weekly",
        "timezone": zone,
        "days_of_week": days,
        "periods": [[{"begin_at": hhmm(b), "end_at": hhmm(e)} for b, e in p] for p in periods],
    }
    weekly = WeeklySchedule.from_wire(body)
    start, end = data.draw(ranges(zone))
    length = (end - start) // MINUTE
    expected = reference(ZONES[zone], spec, start, end)

    assert weekly.occurrences(start, end) == clip(expected, start, end)

    first, last = start - MARGIN, end + MARGIN
    flips = sorted(
        [on for on, _ in expected if on > first] + [off for _, off in expected if off < last]
    )
    edges = [instant for run in clip(expected, start, end) for instant in run]
    halfway = st.sampled_from([timedelta(0), timedelta(seconds=30)])
    moments = [start] + [
        start + data.draw(st.integers(0, length - 1)) * MINUTE + data.draw(halfway)
        for _ in range(3)
    ]
    if edges:
        moments += [data.draw(st.sampled_from(edges)) for _ in range(2)]
    for moment in moments:
        assert weekly.is_active(moment) == any(on <= moment < off for on, off in expected)
        following = [flip for flip in flips if flip > moment]
        change = weekly.next_change(moment)
        if following:
            assert change == following[0]
        else:
            assert change is None or change >= last


# --- explicit cases ----------------------------------------------------------------------


def test_days_of_week_filter_the_windows() -> None:
    schedule = WeeklySchedule.from_wire(wire("GMT+05:30", [1, 3, 5], [("08:00:00", "12:00:00")]))
    week = schedule.occurrences(utc(2026, 3, 1), utc(2026, 3, 8))
    assert week == [
        (utc(2026, 3, 2, 2, 30), utc(2026, 3, 2, 6, 30)),
        (utc(2026, 3, 4, 2, 30), utc(2026, 3, 4, 6, 30)),
        (utc(2026, 3, 6, 2, 30), utc(2026, 3, 6, 6, 30)),
    ]


def test_periods_follow_the_order_of_days_of_week() -> None:
    schedule = WeeklySchedule.from_wire(
        wire("+00:00", [3, 1], [("10:00:00", "11:00:00")], [("20:00:00", "21:00:00")])
    )
    assert schedule.windows[2] == ((time(10), time(11)),)
    assert schedule.windows[0] == ((time(20), time(21)),)
    assert schedule.windows[1] == ()


def test_a_window_crosses_midnight_into_an_unlisted_day() -> None:
    schedule = WeeklySchedule.from_wire(wire("+08:00", [5], [("22:00:00", "06:00:00")]))
    # Friday 2026-03-06 22:00 +08:00 until Saturday 06:00, though Saturday is not listed.
    assert schedule.occurrences(utc(2026, 3, 2), utc(2026, 3, 9)) == [
        (utc(2026, 3, 6, 14), utc(2026, 3, 6, 22))
    ]
    assert schedule.is_active(utc(2026, 3, 6, 21, 59))
    assert not schedule.is_active(utc(2026, 3, 6, 22))
    # Friday's early morning is not Thursday's window: Thursday is not listed.
    assert not schedule.is_active(utc(2026, 3, 5, 20))


def test_equal_begin_and_end_is_the_whole_day() -> None:
    assert around("UTC", utc(2026, 3, 3), [2], [("08:00:00", "08:00:00")]) == [
        (utc(2026, 3, 3, 8), utc(2026, 3, 4, 8))
    ]


@pytest.mark.parametrize("end_at", ["23:59:00", "23:59:59", "00:00:00"])
def test_windows_continuing_across_midnight_are_one_run(end_at: str) -> None:
    found = around(
        "+08:00", utc(2026, 3, 2, 12), [1, 2], [("22:00:00", end_at)], [("00:00:00", "06:00:00")]
    )
    # Monday 2026-03-02 22:00 +08:00 to Tuesday 06:00 +08:00.
    assert found == [(utc(2026, 3, 2, 14), utc(2026, 3, 2, 22))]


def test_a_gap_over_60_seconds_is_a_stop() -> None:
    found = around(
        "+08:00",
        utc(2026, 3, 2, 12),
        [1, 2],
        [("22:00:00", "23:58:59")],
        [("00:00:00", "06:00:00")],
    )
    assert found == [
        (utc(2026, 3, 2, 14), utc(2026, 3, 2, 15, 58, 59)),
        (utc(2026, 3, 2, 16), utc(2026, 3, 2, 22)),
    ]
    same_day = around(
        "UTC", utc(2026, 3, 2), [1], [("08:00:00", "12:00:00"), ("12:01:00", "13:00:00")]
    )
    assert same_day == [(utc(2026, 3, 2, 8), utc(2026, 3, 2, 13))]


def test_a_60_second_wall_clock_gap_merges_even_over_a_fall_back() -> None:
    # Berlin 2026-10-25: 02:59 CEST is followed by the repeated hour, then 03:00 CET; the
    # wall-clock gap between the windows is 60 s, so they are one run (repeated hour included).
    found = around(
        "Europe/Berlin",
        utc(2026, 10, 25),
        [7],
        [("01:00:00", "02:59:00"), ("03:00:00", "05:00:00")],
    )
    assert found == [(utc(2026, 10, 24, 23), utc(2026, 10, 25, 4))]


def test_overlapping_windows_merge() -> None:
    found = around(
        "UTC", utc(2026, 3, 2), [1], [("08:00:00", "12:00:00"), ("10:00:00", "11:00:00")]
    )
    assert found == [(utc(2026, 3, 2, 8), utc(2026, 3, 2, 12))]


# Europe/Berlin: 2026-03-29 02:00 CET -> 03:00 CEST and 2026-10-25 03:00 CEST -> 02:00 CET,
# both at 01:00 UTC. America/New_York: 2026-03-08 02:00 EST -> 03:00 EDT (07:00 UTC) and
# 2026-11-01 02:00 EDT -> 01:00 EST (06:00 UTC). All four are Sundays (day 7).


@pytest.mark.parametrize(
    ("zone", "day", "window", "expected"),
    [
        # spring forward: a start in the skipped hour is the jump, wall-clock ends are kept
        ("Europe/Berlin", utc(2026, 3, 29), ("02:30:00", "04:00:00"), [(1, 0), (2, 0)]),
        ("Europe/Berlin", utc(2026, 3, 29), ("00:00:00", "06:00:00"), [(-1, 0), (4, 0)]),
        ("Europe/Berlin", utc(2026, 3, 29), ("01:00:00", "02:30:00"), [(0, 0), (1, 0)]),
        ("Europe/Berlin", utc(2026, 3, 29), ("02:10:00", "02:50:00"), []),
        ("America/New_York", utc(2026, 3, 8), ("02:30:00", "03:30:00"), [(7, 0), (7, 30)]),
        ("America/New_York", utc(2026, 3, 8), ("00:00:00", "06:00:00"), [(5, 0), (10, 0)]),
        # fall back: first occurrence of the start, first occurrence of the end after it
        ("Europe/Berlin", utc(2026, 10, 25), ("02:30:00", "03:30:00"), [(0, 30), (2, 30)]),
        ("Europe/Berlin", utc(2026, 10, 25), ("02:10:00", "02:50:00"), [(0, 10), (0, 50)]),
        ("Europe/Berlin", utc(2026, 10, 25), ("00:00:00", "06:00:00"), [(-2, 0), (5, 0)]),
        ("America/New_York", utc(2026, 11, 1), ("01:30:00", "02:30:00"), [(5, 30), (7, 30)]),
        ("America/New_York", utc(2026, 11, 1), ("01:10:00", "01:50:00"), [(5, 10), (5, 50)]),
    ],
)
def test_daylight_saving_changes(
    zone: str, day: datetime, window: tuple[str, str], expected: list[tuple[int, int]]
) -> None:
    """``expected`` is [on, off] as (hours, minutes) from the Sunday's 00:00 UTC."""
    instants = [day + timedelta(hours=hours, minutes=minutes) for hours, minutes in expected]
    assert around(zone, day, [7], [window]) == ([(instants[0], instants[1])] if instants else [])


def test_the_repeated_hour_is_not_run_twice() -> None:
    schedule = WeeklySchedule.from_wire(wire("Europe/Berlin", [7], [("02:10:00", "02:50:00")]))
    assert schedule.is_active(utc(2026, 10, 25, 0, 30))  # 02:30 CEST
    assert not schedule.is_active(utc(2026, 10, 25, 1, 30))  # 02:30 CET, the second time
    assert schedule.next_change(utc(2026, 10, 25, 0, 50)) == utc(2026, 11, 1, 1, 10)


def test_a_skipped_window_comes_back_the_next_week() -> None:
    schedule = WeeklySchedule.from_wire(wire("Europe/Berlin", [7], [("02:10:00", "02:50:00")]))
    assert schedule.occurrences(utc(2026, 3, 28), utc(2026, 4, 6)) == [
        (utc(2026, 4, 5, 0, 10), utc(2026, 4, 5, 0, 50))
    ]
    assert schedule.next_change(utc(2026, 3, 28)) == utc(2026, 4, 5, 0, 10)


def test_a_night_window_into_the_fall_back_ends_at_the_first_occurrence() -> None:
    # Saturday 2026-10-31 22:00 EDT to Sunday 01:30 EDT (the first 01:30).
    assert around("America/New_York", utc(2026, 11, 1), [6], [("22:00:00", "01:30:00")]) == [
        (utc(2026, 11, 1, 2), utc(2026, 11, 1, 5, 30))
    ]


def test_is_active_and_next_change() -> None:
    schedule = WeeklySchedule.from_wire(wire("UTC", [1, 2, 3, 4, 5], [("08:00:00", "12:00:00")]))
    monday = utc(2026, 3, 2)
    assert not schedule.is_active(monday + timedelta(hours=7))
    assert schedule.next_change(monday + timedelta(hours=7)) == monday + timedelta(hours=8)
    assert schedule.is_active(monday + timedelta(hours=8))
    assert schedule.next_change(monday + timedelta(hours=8)) == monday + timedelta(hours=12)
    assert not schedule.is_active(monday + timedelta(hours=12))
    friday_noon = monday + timedelta(days=4, hours=12)
    assert schedule.next_change(friday_noon) == monday + timedelta(days=7, hours=8)
    # aware non-UTC input, UTC output
    shanghai = datetime(2026, 3, 2, 17, tzinfo=timezone(timedelta(hours=8)))
    assert schedule.next_change(shanghai) == monday + timedelta(hours=12)
    assert schedule.next_change(shanghai).tzinfo is UTC  # type: ignore[union-attr]


def test_never_changing_schedules() -> None:
    always = WeeklySchedule.from_wire(
        wire("Europe/Berlin", [1, 2, 3, 4, 5, 6, 7], [("00:00:00", "00:00:00")])
    )
    assert always.is_active(utc(2026, 3, 29, 1))
    assert always.next_change(utc(2026, 3, 29)) is None
    assert always.occurrences(utc(2026, 3, 1), utc(2026, 4, 1)) == [
        (utc(2026, 3, 1), utc(2026, 4, 1))
    ]
    empty = WeeklySchedule(UTC, ((),) * 7)
    assert empty.occurrences(utc(2026, 1, 1), utc(2027, 1, 1)) == []
    assert not empty.is_active(utc(2026, 1, 1))
    assert empty.next_change(utc(2026, 1, 1)) is None


def test_a_whole_year_in_berlin() -> None:
    found = runs("Europe/Berlin", [1], [("09:00:00", "17:00:00")])
    assert len(found) == 104
    assert all(off - on == timedelta(hours=8) for on, off in found)
    assert {on.hour for on, _ in found} == {7, 8}


@pytest.mark.parametrize(
    ("zone", "offset"),
    [
        ("+08:00", timedelta(hours=8)),
        ("GMT+08:00", timedelta(hours=8)),
        ("UTC+08:00", timedelta(hours=8)),
        ("GMT+05:30", timedelta(hours=5, minutes=30)),
        ("GMT-05:30", timedelta(hours=-5, minutes=-30)),
        ("-03:00", timedelta(hours=-3)),
        ("UTC", timedelta(0)),
        ("GMT", timedelta(0)),
    ],
)
def test_fixed_offsets(zone: str, offset: timedelta) -> None:
    assert parse_timezone(zone).utcoffset(None) == offset


def test_gmt_plus_05_30_schedule() -> None:
    assert around("GMT+05:30", utc(2026, 3, 2), [1], [("00:00:00", "01:00:00")]) == [
        (utc(2026, 3, 1, 18, 30), utc(2026, 3, 1, 19, 30))
    ]


def test_iana_zone() -> None:
    schedule = WeeklySchedule.from_wire(wire("Asia/Shanghai", [1], [("08:00:00", "09:00:00")]))
    assert schedule.timezone == ZoneInfo("Asia/Shanghai")
    assert schedule.occurrences(utc(2026, 3, 2), utc(2026, 3, 3)) == [
        (utc(2026, 3, 2, 0), utc(2026, 3, 2, 1))
    ]


def test_dated_times_stand_for_their_time_of_day() -> None:
    schedule = WeeklySchedule.from_wire(
        wire("UTC", [1], [("2026-01-05T08:00:00", "2026-01-05T09:30:00")])
    )
    assert schedule.windows[0] == ((time(8), time(9, 30)),)


def test_naive_datetimes_are_refused() -> None:
    schedule = WeeklySchedule.from_wire(wire("UTC", [1], [("08:00:00", "09:00:00")]))
    with pytest.raises(ValueError, match="timezone-aware"):
        schedule.occurrences(datetime(2026, 1, 1), utc(2026, 1, 2))
    with pytest.raises(ValueError, match="timezone-aware"):
        schedule.is_active(datetime(2026, 1, 1))


GOOD = wire("+08:00", [1, 2], [("08:00:00", "12:00:00")])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"type": "monthly"}, "only weekly"),
        ({"type": None}, "only weekly"),
        ({"timezone": None}, "schedule.timezone is required"),
        ({"timezone": "Mars/Olympus"}, "known IANA zone"),
        ({"timezone": "GMT+8"}, "known IANA zone"),
        ({"timezone": "+15:00"}, "offsets go from"),
        ({"timezone": "../etc/passwd"}, "known IANA zone"),
        ({"days_of_week": []}, "days_of_week needs"),
        ({"days_of_week": None}, "days_of_week needs"),
        ({"days_of_week": [0]}, "not a day 1..7"),
        ({"days_of_week": [8]}, "not a day 1..7"),
        ({"days_of_week": ["1"]}, "not a day 1..7"),
        ({"days_of_week": [True]}, "not a day 1..7"),
        ({"days_of_week": [1, 1]}, "must not repeat"),
        ({"periods": None}, "periods is required"),
        ({"periods": [[]]}, "at least one window"),
        ({"days_of_week": [1, 2, 3], "periods": [[], []]}, "2 lists of windows for 3 days"),
        ({"periods": [{"begin_at": "08:00:00"}]}, r"periods\[0\] must be a list"),
        ({"periods": [["08:00"]]}, r"periods\[0\]\[0\] must be an object"),
        ({"periods": [[{"begin_at": "24:00:00", "end_at": "01:00:00"}]]}, "begin_at '24:00:00'"),
        ({"periods": [[{"begin_at": "08:00:00", "end_at": "12:60:00"}]]}, "end_at '12:60:00'"),
        ({"periods": [[{"begin_at": "8:00:00", "end_at": "12:00:00"}]]}, "not a time hh:mm:ss"),
        ({"periods": [[{"begin_at": "08:00:00"}]]}, r"end_at None is not a time"),
        (
            {"periods": [[{"begin_at": "2026-02-30T08:00:00", "end_at": "09:00:00"}]]},
            "invalid date",
        ),
    ],
)
def test_bad_schedules(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ScheduleError, match=message):
        WeeklySchedule.from_wire({**GOOD, **change})


def test_not_an_object() -> None:
    with pytest.raises(ScheduleError, match="must be an object"):
        WeeklySchedule.from_wire([])  # type: ignore[arg-type]
    with pytest.raises(ScheduleError, match="7"):
        WeeklySchedule(UTC, ((),))
