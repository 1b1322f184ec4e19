"""The smoke-and-fire detector on synthetic clips: alarms, silence, ROI, switches, cooldown."""

from __future__ import annotations

import json

import numpy as np
import pytest

from openvias.algorithms.base import STATE_FIRE, STATE_SMOKE, Detection, Sample
from openvias.algorithms.flame import FlameParams
from openvias.algorithms.smoke_fire import SmokeFireDetector, SmokeFireParams
from openvias.domain.algorithm_configs import SmokeAndFireCommon
from tests.algorithms.synthetic import (
    HEIGHT,
    WIDTH,
    fire_front_clip,
    flame_clip,
    panning_texture_clip,
    plain_clip,
    smoke_clip,
)


def run(detector: SmokeFireDetector, clip: list[Sample]) -> list[tuple[float, Detection]]:
    """Every alarm target with the time of its sample."""
    return [(s.timestamp, d) for s in clip for d in detector.process(s)]


def config(**common: object) -> SmokeAndFireCommon:
    return SmokeAndFireCommon.model_validate(common)


def roi(*polygons: list[list[int]]) -> str:
    return json.dumps({"polygons": [{"name": f"p{i}", "data": p} for i, p in enumerate(polygons)]})


def test_flickering_flame_raises_one_fire_alarm_with_its_box() -> None:
    alarms = run(SmokeFireDetector(), flame_clip(10))
    assert alarms, "the flame never alarmed"
    assert {d.state for _, d in alarms} == {STATE_FIRE}
    first_time = alarms[0][0]
    assert first_time <= 5
    assert all(t == first_time for t, _ in alarms), "one alarm per onset"
    for _, d in alarms:
        assert d.x >= 0
        assert d.y >= 0
        assert d.x + d.w <= WIDTH
        assert d.y + d.h <= HEIGHT
        assert d.x <= 320 <= d.x + d.w  # the flame's base
        assert d.y <= 290 <= d.y + d.h
        assert 0 < d.score <= 1


def test_plain_scene_stays_silent() -> None:
    """Slow light change, a steady orange lamp and a moving grey box: no alarm."""
    detector = SmokeFireDetector()
    assert run(detector, plain_clip(12)) == []
    assert run(SmokeFireDetector(), plain_clip(12, burst=1)) == []


def test_turbulent_grey_plume_raises_a_smoke_alarm() -> None:
    alarms = run(SmokeFireDetector(), smoke_clip(10))
    assert {d.state for _, d in alarms} == {STATE_SMOKE}
    assert alarms[0][0] <= 5
    d = alarms[0][1]
    assert d.x <= 300 <= d.x + d.w
    assert d.y <= 170 <= d.y + d.h


@pytest.mark.parametrize(("width", "height"), [(1920, 1080), (1280, 720)])
def test_a_panning_camera_is_not_smoke(width: int, height: int) -> None:
    """A grey-brown texture moving as a whole is camera motion; it raised smoke alarms
    (boxes of about 650 x 360 at 1080p) before the smoke cue looked for a global shift."""
    detector = SmokeFireDetector()
    for sample in panning_texture_clip(width, height, 60, seed=6):
        assert detector.process(sample) == [], f"a smoke alarm at {sample.timestamp} s"


def test_the_burst_is_asked_for_only_when_the_key_frame_has_flame_colours() -> None:
    quiet = smoke_clip(1)[0].key
    burning = flame_clip(1)[0].key
    assert SmokeFireDetector().pictures_after(quiet, 0.0) == 0
    assert SmokeFireDetector().pictures_after(burning, 0.0) == 2
    assert SmokeFireDetector(config(fire_detection_sw=0)).pictures_after(burning, 0.0) == 0


def test_bursts_on_demand_give_the_same_candidates_and_alarms() -> None:
    """Samples cut to what ``pictures_after`` asked for, as the engine now decodes them."""
    clip = flame_clip(14, off=(4, 8))
    whole, lazy = SmokeFireDetector(), SmokeFireDetector()
    cut = 0
    for sample in clip:
        keep = 1 + lazy.pictures_after(sample.key, sample.timestamp)
        cut += keep < len(sample.frames)
        short = Sample(sample.frames[:keep], sample.timestamps[:keep])
        assert lazy.process(short) == whole.process(sample)
        assert lazy.last_candidates == whole.last_candidates
    assert cut >= 4  # the samples without the flame


def test_detections_outside_the_roi_are_ignored() -> None:
    elsewhere = roi([[0, 0], [200, 0], [200, 150], [0, 150]])
    assert run(SmokeFireDetector(config(target_roi=elsewhere)), flame_clip(10)) == []
    around = roi(
        [[0, 0], [200, 0], [200, 150], [0, 150]], [[200, 150], [640, 150], [640, 360], [200, 360]]
    )
    alarms = run(SmokeFireDetector(config(target_roi=around)), flame_clip(10))
    assert {d.state for _, d in alarms} == {STATE_FIRE}


def test_switches_disable_each_state() -> None:
    assert run(SmokeFireDetector(config(fire_detection_sw=0)), flame_clip(10)) == []
    assert run(SmokeFireDetector(config(smoke_detection_sw=0)), smoke_clip(10)) == []
    both_off = SmokeFireDetector(config(fire_detection_sw=0, smoke_detection_sw=0))
    assert run(both_off, flame_clip(6) + smoke_clip(6)) == []


def test_cooldown_gives_one_alarm_per_onset() -> None:
    """Fire for 10 s, out for 10 s, back for 10 s: exactly two alarms."""
    clip = flame_clip(30, off=(10, 20))
    times = sorted({t for t, _ in run(SmokeFireDetector(), clip)})
    assert len(times) == 2, times
    assert times[0] < 10 <= 20 <= times[1]


def test_a_burning_fire_does_not_alarm_again() -> None:
    times = {t for t, _ in run(SmokeFireDetector(), flame_clip(40))}
    assert len(times) == 1


def test_reset_forgets_the_latch() -> None:
    detector = SmokeFireDetector()
    clip = flame_clip(8)
    assert run(detector, clip)
    detector.reset()
    assert run(detector, clip)


def test_still_picture_falls_back_to_shape_and_colour() -> None:
    """The same frame again and again carries no temporal cue: a large ragged flame still
    alarms, a steady orange disc does not, and nothing is ever called smoke."""
    flame = flame_clip(8, seed=5)[7].key
    stills = [Sample.single(flame, float(i)) for i in range(4)]
    assert {d.state for _, d in run(SmokeFireDetector(), stills)} == {STATE_FIRE}
    lamp = plain_clip(1)[0].key
    assert run(SmokeFireDetector(), [Sample.single(lamp, float(i)) for i in range(4)]) == []


def test_a_wide_strip_needs_flicker() -> None:
    """A fire front far wider than tall alarms in live video; the same frame as a still
    picture does not (without flicker a warm horizontal strip is likelier reflections or
    lit windows), and it is the upright-box rule alone that turns it down."""
    front = fire_front_clip(8)
    alarms = run(SmokeFireDetector(), front)
    assert [d.state for _, d in alarms] == [STATE_FIRE]
    assert alarms[0][1].w > 5 * alarms[0][1].h
    stills = [Sample.single(front[5].key, float(i)) for i in range(4)]
    assert run(SmokeFireDetector(), stills) == []
    any_shape = SmokeFireParams(flame=FlameParams(upright_ramp=(0.0, 0.0)))
    assert [d.state for _, d in run(SmokeFireDetector(params=any_shape), stills)] == [STATE_FIRE]


def test_resolution_change_restarts_history() -> None:
    detector = SmokeFireDetector()
    clip = flame_clip(6)
    run(detector, clip[:2])
    small = np.ascontiguousarray(clip[2].key[::2, ::2])
    assert detector.process(Sample.single(small, 2.0)) == []
    assert all(d.x + d.w <= small.shape[1] for d in detector.last_candidates)


@pytest.mark.parametrize(
    ("frames", "stamps"),
    [
        ((), ()),
        ((np.zeros((4, 4, 3), np.uint8),), (0.0, 1.0)),
        ((np.zeros((4, 4), np.uint8),), (0.0,)),
        ((np.zeros((4, 4, 3), np.uint8), np.zeros((5, 4, 3), np.uint8)), (0.0, 0.1)),
        ((np.zeros((4, 4, 3), np.uint8), np.zeros((4, 4, 3), np.uint8)), (1.0, 0.5)),
    ],
)
def test_sample_rejects_malformed_bursts(
    frames: tuple[np.ndarray, ...], stamps: tuple[float, ...]
) -> None:
    with pytest.raises(ValueError, match=r".+"):
        Sample(frames, stamps)
