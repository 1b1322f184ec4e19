"""Scoring alarms against hand-made truth (``domain/evaluation.py``), borders included."""

from __future__ import annotations

import pytest

from openvias.domain.evaluation import (
    Confusion,
    Interval,
    count_within,
    counts_exact,
    events_hit,
    match_entries,
    nearest_report,
    score_video,
    video_totals,
)


def test_an_alarm_exactly_on_either_border_matches_and_one_just_outside_is_false() -> None:
    truth = [Interval(10.0, 20.0)]
    assert score_video([10.0], truth, 60).false_alarms == ()
    assert score_video([20.0], truth, 60).false_alarms == ()
    assert score_video([9.99], truth, 60).false_alarms == (9.99,)
    assert score_video([20.01], truth, 60).false_alarms == (20.01,)


def test_the_tolerance_widens_both_borders() -> None:
    truth = [Interval(10.0, 20.0)]
    early = score_video([9.0], truth, 60, tolerance_s=1.0)
    assert early.false_alarms == ()
    assert early.intervals[0].seconds_to_alarm == -1.0
    assert score_video([21.0], truth, 60, tolerance_s=1.0).false_alarms == ()
    assert score_video([21.5], truth, 60, tolerance_s=1.0).false_alarms == (21.5,)


def test_the_deadline_is_inclusive() -> None:
    truth = [Interval(2.0, 30.0)]
    assert score_video([7.0], truth, 30, deadline_s=5).intervals[0].in_time
    late = score_video([7.5], truth, 30, deadline_s=5)
    assert not late.intervals[0].in_time
    assert late.intervals[0].seconds_to_alarm == 5.5
    assert late.false_alarms == ()
    assert not late.passed


def test_the_first_matching_alarm_detects_each_interval() -> None:
    score = score_video([12.0, 3.0, 41.0, 15.0], [Interval(10, 20), Interval(40, 50)], 60)
    assert [r.first_alarm for r in score.intervals] == [12.0, 41.0]
    assert score.true_alarms == (12.0, 15.0, 41.0)
    assert score.false_alarms == (3.0,)
    assert score.first_alarm == 3.0
    assert not score.passed  # all in time, but one false alarm


def test_a_missed_interval_has_no_alarm_time() -> None:
    score = score_video([], [Interval(0, 10)], 10)
    assert score.intervals[0].first_alarm is None
    assert score.intervals[0].seconds_to_alarm is None
    assert not score.passed
    assert score.negative_s == 0.0


def test_a_negative_video_passes_only_without_alarms() -> None:
    assert score_video([], [], 30).passed
    quiet = score_video([4.0], [], 30)
    assert not quiet.passed
    assert not quiet.positive
    assert quiet.negative_s == 30.0


def test_negative_time_counts_the_union_of_widened_intervals_inside_the_video() -> None:
    # [0, 12] and [8, 22] overlap after widening by 2; [55, 62] is cut at 60.
    truth = [Interval(1, 10), Interval(10, 20), Interval(57, 65)]
    assert score_video([], truth, 60, tolerance_s=2).negative_s == pytest.approx(60 - 22 - 5)


def test_totals_over_positive_and_negative_videos() -> None:
    scores = [
        score_video([4.0], [Interval(0, 20)], 20),  # in time
        score_video([9.0], [Interval(0, 20)], 20),  # late
        score_video([], [], 1800),  # quiet negative
        score_video([100.0, 200.0], [], 1800),  # two false alarms in half an hour
    ]
    totals = video_totals(scores)
    assert (totals.positive_files, totals.positive_passed) == (2, 1)
    assert (totals.negative_files, totals.negative_alarmed) == (2, 1)
    assert totals.recall == 0.5
    assert totals.precision == pytest.approx(2 / 4)
    assert totals.negative_hours == pytest.approx(1.0)
    assert totals.false_alarms_per_hour == pytest.approx(2.0)
    assert totals.seconds_to_alarm == (4.0, 9.0)


def test_confusion_rates_and_empty_classes() -> None:
    c = Confusion()
    for positive, alarmed in [(True, True), (True, True), (True, False), (False, True)]:
        c = c.add(positive=positive, alarmed=alarmed)
    assert (c.tp, c.fn, c.fp, c.tn) == (2, 1, 1, 0)
    assert c.recall == pytest.approx(2 / 3)
    assert c.false_positive_rate == 1.0
    assert c.precision == pytest.approx(2 / 3)
    assert Confusion().recall == 0.0
    assert Confusion().precision == 0.0


def test_entries_match_greedily_within_the_tolerance_border_included() -> None:
    match = match_entries([6.6, 23.3, 24.0, 60.0], [6.1, 22.8, 50.0], tolerance_s=0.5)
    assert match.pairs == ((6.6, 0), (23.3, 1))
    assert match.delays == pytest.approx([0.5, 0.5])
    assert match.missed == [2]
    assert match.false_alarms == [24.0, 60.0]
    # one alarm takes one entry: two entries at the same start need two alarms
    assert match_entries([5.0], [5.0, 5.2], 0.5).missed == [1]


def test_line_events_hit_and_counts() -> None:
    assert events_hit([19.0, 44.9], [19.0, 44.0, 69.0], 1.0) == 2
    assert events_hit([70.01], [69.0], 1.0) == 0
    assert counts_exact({"L->R": 6, "R->L": 0}, {"L->R": 6})
    assert not counts_exact({"down": 1}, {"down": 1, "up": 2})


def test_occupancy_reads_the_nearest_report_within_one() -> None:
    reports = [(2.0, 4), (3.0, 5), (4.0, 9)]
    assert nearest_report(reports, 3.4) == (3.0, 5)
    assert nearest_report(reports, 2.5) == (2.0, 4)  # a tie takes the earlier report
    assert nearest_report([], 1.0) is None
    assert count_within(9, 6, 8)
    assert not count_within(10, 6, 8)
    assert count_within(5, 6, 8)


def test_an_interval_cannot_end_before_it_starts() -> None:
    with pytest.raises(ValueError, match="before it starts"):
        Interval(5, 4)
