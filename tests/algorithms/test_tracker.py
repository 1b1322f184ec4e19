"""The ByteTrack-style tracker: ids stay with their objects."""

from __future__ import annotations

from openvias.algorithms.detector import Box
from openvias.algorithms.tracker import Tracker, TrackerParams


def box(x: float, y: float, score: float = 0.9, size: float = 100) -> Box:
    return Box(x, y, x + size, y + 2 * size, score, 0)


def test_two_people_walking_past_each_other_keep_their_ids() -> None:
    tracker = Tracker()
    ids: dict[int, list[int]] = {0: [], 1: []}
    for step in range(12):
        t = step * 0.2
        left = box(100 + 30 * step, 100)
        right = box(600 - 30 * step, 140)
        tracks = tracker.update([(left, 0), (right, 0)], t)
        for track in tracks:
            which = 0 if track.box.y0 == 100 else 1
            ids[which].append(track.track_id)
    assert len(set(ids[0])) == 1
    assert len(set(ids[1])) == 1
    assert ids[0][0] != ids[1][0]


def test_a_track_survives_a_missed_detection_and_a_weak_one() -> None:
    tracker = Tracker()
    first = tracker.update([(box(100, 100), 0)], 0.0)
    assert first
    assert first[0].confirmed
    assert tracker.update([], 0.2) == []  # missed: kept, not reported
    again = tracker.update([(box(110, 100, score=0.2), 0)], 0.4)  # weak continues it
    assert [t.track_id for t in again] == [first[0].track_id]


def test_weak_detections_never_start_tracks_and_lost_tracks_expire() -> None:
    tracker = Tracker(TrackerParams(max_lost_s=1.0))
    assert tracker.update([(box(100, 100, score=0.3), 0)], 0.0) == []
    assert tracker.tracks == []
    [track] = tracker.update([(box(100, 100), 0)], 0.0)
    tracker.update([], 1.5)
    assert tracker.tracks == []
    [new] = tracker.update([(box(100, 100), 0)], 1.6)
    assert new.track_id != track.track_id
    assert new.detection_id != track.detection_id


def test_a_medium_detection_needs_a_second_sample_to_confirm() -> None:
    tracker = Tracker()
    assert tracker.update([(box(100, 100, score=0.6), 0)], 0.0) == []
    [track] = tracker.update([(box(105, 100, score=0.6), 0)], 0.2)
    assert track.hits == 2


def test_categories_do_not_mix() -> None:
    tracker = Tracker()
    [person] = tracker.update([(box(100, 100), 0)], 0.0)
    [vehicle] = tracker.update([(box(100, 100), 1)], 0.2)
    assert vehicle.track_id != person.track_id
