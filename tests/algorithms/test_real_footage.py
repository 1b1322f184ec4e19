"""One check on real footage from the shared evaluation set; skipped when it is absent.

The set lives outside the repository (``../shared/data`` from the repository root) and is
internal material: it is read in place, never copied. The full evaluation is
``benchmarks/fire_accuracy.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from openvias.algorithms.base import Frame, Sample
from openvias.algorithms.smoke_fire import SmokeFireDetector

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"

pytestmark = pytest.mark.skipif(
    not (DATA / "labels.csv").exists(),
    reason=f"shared fire/smoke evaluation data not found at {DATA}",
)


def samples(path: Path, burst: int = 3) -> Iterator[Sample]:
    """One 3-frame burst per second of video, decoded with PyAV."""
    av = pytest.importorskip("av")
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        due = 0.0
        frames: list[Frame] = []
        stamps: list[float] = []
        for frame in container.decode(stream):
            t = float(frame.pts * frame.time_base)
            if frames or t + 1e-6 >= due:
                if not frames:
                    due += 1.0
                frames.append(frame.to_ndarray(format="bgr24"))
                stamps.append(t)
                if len(frames) == burst:
                    yield Sample(tuple(frames), tuple(stamps))
                    frames, stamps = [], []


def first_alarm(path: Path) -> float | None:
    detector = SmokeFireDetector()
    for sample in samples(path):
        if detector.process(sample):
            return sample.timestamp
    return None


def test_real_fire_alarms_within_five_seconds_and_rain_does_not() -> None:
    fire = first_alarm(DATA / "fire" / "wsy0331_fire_smoke5.mp4")
    assert fire is not None
    assert fire <= 5
    assert first_alarm(DATA / "nofire" / "burgerz_rain.mp4") is None
