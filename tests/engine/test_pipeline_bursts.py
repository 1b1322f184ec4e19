"""The pipeline decodes the pictures after a key picture only when the algorithm asks."""

from __future__ import annotations

import itertools
from pathlib import Path

from openvias.algorithms.base import Detection, Frame, Sample
from openvias.algorithms.registry import SMOKE_FIRE, AlgorithmPlugin, AlgorithmRegistry
from openvias.engine.job import Report, StreamCounters, StreamJob
from openvias.engine.media import MediaReader, MediaSource
from openvias.engine.pipeline import Pipeline, default_reader
from tests.engine.conftest import Clips


class Choosy:
    """Asks for the burst at odd seconds only; ``fail`` makes the choice raise."""

    def __init__(self, *, fail: bool = False) -> None:
        self.fail = fail
        self.bursts: list[int] = []

    def reset(self) -> None:
        pass

    def pictures_after(self, key: Frame, timestamp: float) -> int:
        if self.fail:
            raise RuntimeError("a bug in the burst choice")
        return 2 if round(timestamp) % 2 else 0

    def process(self, sample: Sample) -> list[Detection]:
        self.bursts.append(len(sample.frames))
        return []


def run(
    path: Path, algorithm: Choosy, reports: list[Report] | None = None
) -> tuple[Report, MediaReader]:
    plugin = AlgorithmPlugin(
        type="test/choosy",
        service_names=SMOKE_FIRE.service_names,
        config_model=SMOKE_FIRE.config_model,
        factory=lambda _: algorithm,
    )
    readers: list[MediaReader] = []

    def reader(source: MediaSource, job: StreamJob, side: int | None) -> MediaReader:
        readers.append(default_reader(source, job, side))
        return readers[-1]

    job = StreamJob(
        task_id="d" * 32, project_id="p" * 32, service_name=SMOKE_FIRE.service_names[0],
        url=str(path), live=False,
    )  # fmt: skip
    reports = [] if reports is None else reports
    registry = AlgorithmRegistry([plugin])
    final = Pipeline(job, reports.append, registry=registry, reader_factory=reader).run()
    return final, readers[0]


def test_the_algorithm_chooses_the_burst_of_each_sample(clips: Clips) -> None:
    algorithm = Choosy()
    final, reader = run(clips.gop_1s, algorithm)

    assert final.kind == "finished"
    assert algorithm.bursts == [1, 3] * 4
    whole = Choosy(fail=True)  # a failing choice: the whole burst, and the task goes on
    final, whole_reader = run(clips.gop_1s, whole)
    assert final.kind == "finished"
    assert whole.bursts == [3] * 8
    assert reader.frames_decoded < whole_reader.frames_decoded


def test_progress_reports_count_the_work_of_each_stage(clips: Clips) -> None:
    reports: list[Report] = []
    final, reader = run(clips.gop_1s, Choosy(), reports)

    assert final.kind == "finished"
    counted = [
        StreamCounters.from_wire(r.stats) for r in reports if r.kind == "progress" and r.stats
    ]
    assert [c.analysed for c in counted] == list(range(1, 9))
    assert all(a.decoded <= b.decoded for a, b in itertools.pairwise(counted))
    last = counted[-1]
    assert 0 < last.decoded <= reader.frames_decoded
    assert last.decode_s > 0
    assert last.convert_s > 0
    assert last.analyse_s > 0
    assert last.lag_s is None  # a file has no live edge to lag behind
    assert last.interval_s == 1.0
