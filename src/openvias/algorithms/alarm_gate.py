"""Alarm confirmation and de-duplication: N of M samples, then one alarm per onset.

Per-sample candidates are noisy (a red coat walks past, a vapour puff, one odd frame). A
candidate becomes an alarm target only when a candidate of the same state was seen at about
the same place in at least ``confirm_n`` of the last ``confirm_m`` samples (this one
included). "About the same place" is deliberately loose, since flames and smoke change shape
from one sample to the next: the two boxes, each grown by ``overlap_margin`` of its size,
intersect.

After an alarm for a state, that state is *latched*: no further alarm for it until it has
had no candidate at all for ``rearm_samples`` consecutive samples. So a fire that burns for
an hour raises one alarm, and a fire that goes out and starts again raises two.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

Box = tuple[int, int, int, int]  # x, y, w, h


@dataclass(frozen=True, slots=True)
class GateParams:
    confirm_n: int = 2
    confirm_m: int = 3
    overlap_margin: float = 0.25
    rearm_samples: int = 5

    def __post_init__(self) -> None:
        if not 1 <= self.confirm_n <= self.confirm_m:
            raise ValueError("need 1 <= confirm_n <= confirm_m")
        if self.rearm_samples < 1:
            raise ValueError("rearm_samples must be at least 1")


@dataclass(frozen=True, slots=True)
class Candidate:
    state: int
    box: Box
    score: float


def _grow(box: Box, margin: float) -> tuple[float, float, float, float]:
    x, y, w, h = box
    dx, dy = w * margin, h * margin
    return (x - dx, y - dy, x + w + dx, y + h + dy)


def near(a: Box, b: Box, margin: float) -> bool:
    """Whether the two boxes, each grown by ``margin`` of its size, intersect."""
    ax0, ay0, ax1, ay1 = _grow(a, margin)
    bx0, by0, bx1, by1 = _grow(b, margin)
    return ax0 <= bx1 and bx0 <= ax1 and ay0 <= by1 and by0 <= ay1


class AlarmGate:
    """Feed each sample's candidates to :meth:`update`; it returns the alarm's targets."""

    def __init__(self, params: GateParams | None = None) -> None:
        self.params = params or GateParams()
        self._history: deque[list[Candidate]] = deque(maxlen=self.params.confirm_m - 1)
        self._latched: set[int] = set()
        self._quiet: dict[int, int] = {}

    def reset(self) -> None:
        self._history.clear()
        self._latched.clear()
        self._quiet.clear()

    def confirmed(self, candidates: list[Candidate]) -> list[Candidate]:
        """The candidates seen in enough recent samples (history not updated)."""
        p = self.params
        out: list[Candidate] = []
        for cand in candidates:
            seen = 1 + sum(
                any(o.state == cand.state and near(o.box, cand.box, p.overlap_margin) for o in old)
                for old in self._history
            )
            if seen >= p.confirm_n:
                out.append(cand)
        return out

    def update(self, candidates: list[Candidate]) -> list[Candidate]:
        """Record this sample's candidates; return the targets of alarms starting now."""
        confirmed = self.confirmed(candidates)
        self._history.append(list(candidates))
        alarms: list[Candidate] = []
        states = {c.state for c in candidates}
        for state in sorted(set(self._latched) | states):
            if state in states:
                self._quiet[state] = 0
            else:
                self._quiet[state] = self._quiet.get(state, 0) + 1
                if self._quiet[state] >= self.params.rearm_samples:
                    self._latched.discard(state)
        for state in sorted({c.state for c in confirmed}):
            if state in self._latched:
                continue
            self._latched.add(state)
            alarms.extend(c for c in confirmed if c.state == state)
        return alarms
