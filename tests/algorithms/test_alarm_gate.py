"""Confirmation over N of M samples and one alarm per onset."""

from __future__ import annotations

import pytest

from openvias.algorithms.alarm_gate import AlarmGate, Candidate, GateParams, near

FIRE = Candidate(1, (100, 100, 40, 60), 0.8)
FIRE_MOVED = Candidate(1, (110, 95, 45, 60), 0.7)
FIRE_FAR = Candidate(1, (500, 20, 40, 60), 0.9)
SMOKE = Candidate(2, (90, 20, 120, 80), 0.6)


def feed(gate: AlarmGate, samples: list[list[Candidate]]) -> list[list[Candidate]]:
    return [gate.update(s) for s in samples]


def test_two_of_three_confirms_at_the_second_sighting() -> None:
    out = feed(AlarmGate(GateParams(2, 3)), [[FIRE], [], [FIRE_MOVED]])
    assert out == [[], [], [FIRE_MOVED]]


def test_far_apart_sightings_do_not_confirm_each_other() -> None:
    out = feed(AlarmGate(GateParams(2, 3)), [[FIRE], [FIRE_FAR], [], [FIRE]])
    assert out == [[], [], [], []]


def test_three_of_four() -> None:
    gate = AlarmGate(GateParams(3, 4))
    assert feed(gate, [[FIRE], [], [FIRE], [FIRE]]) == [[], [], [], [FIRE]]


def test_latched_until_quiet_for_rearm_samples() -> None:
    gate = AlarmGate(GateParams(2, 3, rearm_samples=3))
    burning = [[FIRE]] * 6
    gap_too_short: list[list[Candidate]] = [[]] * 2
    gap: list[list[Candidate]] = [[]] * 3
    out = feed(gate, burning + gap_too_short + burning + gap + burning)
    alarms = [i for i, o in enumerate(out) if o]
    assert alarms == [1, 18]  # 0-5 burn, 6-7 gap, 8-13 burn, 14-16 gap, 17- burn


def test_states_latch_independently() -> None:
    gate = AlarmGate(GateParams(1, 1))
    out = feed(gate, [[FIRE], [FIRE, SMOKE], [FIRE, SMOKE]])
    assert out == [[FIRE], [SMOKE], []]


def test_all_confirmed_regions_of_the_state_are_reported() -> None:
    gate = AlarmGate(GateParams(1, 1))
    assert gate.update([FIRE, FIRE_FAR]) == [FIRE, FIRE_FAR]


def test_reset() -> None:
    gate = AlarmGate(GateParams(1, 1))
    assert gate.update([FIRE]) == [FIRE]
    assert gate.update([FIRE]) == []
    gate.reset()
    assert gate.update([FIRE]) == [FIRE]


def test_near_grows_boxes() -> None:
    assert near((0, 0, 10, 10), (12, 0, 10, 10), 0.25)
    assert not near((0, 0, 10, 10), (16, 0, 10, 10), 0.25)


@pytest.mark.parametrize(("n", "m", "rearm"), [(0, 3, 1), (4, 3, 1), (2, 3, 0)])
def test_invalid_params(n: int, m: int, rearm: int) -> None:
    with pytest.raises(ValueError, match=r".+"):
        GateParams(n, m, rearm_samples=rearm)
