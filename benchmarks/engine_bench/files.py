"""Part 1: the decode limit vs the full pipeline on each clip file."""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import threading
import time
import uuid
from collections.abc import Callable, Coroutine, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar, cast

from engine_bench.clips import ClipSpec, bitrate_kbps
from engine_bench.common import COMMON, CYCLE_S, CYCLES, FPS, SERVICE
from openvias.algorithms.base import (
    Algorithm,
    BurstOnDemand,
    Detection,
    Frame,
    Message,
    Sample,
)
from openvias.algorithms.registry import SMOKE_FIRE, AlgorithmPlugin, AlgorithmRegistry
from openvias.domain.alarms import Alarm
from openvias.domain.algorithm_configs import CommonConfig
from openvias.domain.clock import now_ms
from openvias.engine import pipeline as pipeline_module
from openvias.engine.job import Report, StreamJob
from openvias.engine.media import MediaReader, MediaSource
from openvias.engine.pipeline import BURST, Pipeline, alarm_from_wire
from openvias.store.db import create_engine, create_sessionmaker, transaction
from openvias.store.migrate import upgrade_to_head
from openvias.store.models.identity import Domain, Project
from openvias.store.repositories.alarm_events import insert_alarm

T = TypeVar("T")

PARTS = ("decode", "detect", "render", "report", "store")


@dataclass
class Timers:
    """Wall and CPU seconds per part of the pipeline (CPU: this process, all threads; the
    pipeline's thread is the only busy one but while it waits for a store, which runs on
    the store's loop thread and aiosqlite's thread)."""

    wall: dict[str, float] = field(default_factory=lambda: dict.fromkeys(PARTS, 0.0))
    cpu: dict[str, float] = field(default_factory=lambda: dict.fromkeys(PARTS, 0.0))
    samples: int = 0
    alarms: int = 0
    alarm_positions: list[tuple[int, list[int]]] = field(default_factory=list)

    @contextlib.contextmanager
    def part(self, name: str) -> Iterator[None]:
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.wall[name] += time.perf_counter() - wall
            self.cpu[name] += time.process_time() - cpu


class TimedReader(MediaReader):
    """A MediaReader that adds the time spent opening and producing samples to ``timers``."""

    def __init__(
        self, source: MediaSource, *, interval: float, timers: Timers, analysis_side: int | None
    ) -> None:
        super().__init__(source, interval=interval, burst=BURST, analysis_side=analysis_side)
        self.timers = timers

    def open(self) -> None:
        with self.timers.part("decode"):
            super().open()

    def samples(self) -> Iterator[Sample]:
        inner = cast(Generator[Sample, None, None], super().samples())
        try:
            while True:
                with self.timers.part("decode"):
                    sample = next(inner, None)
                if sample is None:
                    return
                self.timers.samples += 1
                yield sample
        finally:
            inner.close()


class TimedAlgorithm:
    def __init__(self, inner: Algorithm, timers: Timers) -> None:
        self.inner = inner
        self.timers = timers

    def reset(self) -> None:
        self.inner.reset()

    def process(self, sample: Sample) -> list[Detection] | list[Message]:
        with self.timers.part("detect"):
            return self.inner.process(sample)

    def pictures_after(self, key: Frame, timestamp: float) -> int:
        """The inner algorithm's burst choice (counted in "decode": the reader asks it)."""
        if isinstance(self.inner, BurstOnDemand):
            return self.inner.pictures_after(key, timestamp)
        return BURST


class AlarmStore:
    """A SQLite database like the server's, written from an asyncio loop in its own thread."""

    def __init__(self, folder: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.engine = create_engine(f"sqlite+aiosqlite:///{folder / 'alarms.db'}")
        self.sessionmaker = create_sessionmaker(self.engine)
        self.project_id = uuid.uuid4().hex
        self.call(upgrade_to_head(self.engine))
        self.call(self._seed())

    def call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    async def _seed(self) -> None:
        now = datetime.now(UTC)
        domain_id = uuid.uuid4().hex
        async with transaction(self.sessionmaker) as session:
            session.add(Domain(id=domain_id, name="bench", created_at=now))
            await session.flush()
            session.add(
                Project(id=self.project_id, domain_id=domain_id, name="bench", created_at=now)
            )

    async def _insert(self, alarm: Alarm) -> None:
        async with transaction(self.sessionmaker) as session:
            await insert_alarm(session, alarm, now_ms())

    def store(self, alarm: Alarm) -> None:
        self.call(self._insert(alarm))

    def close(self) -> None:
        self.call(self.engine.dispose())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


@contextlib.contextmanager
def timed_module_functions(timers: Timers) -> Iterator[None]:
    """Times the pipeline's alarm rendering and its wire encoding (restored afterwards)."""
    render: Callable[[Frame, Sequence[Detection], CommonConfig], bytes]
    render = getattr(pipeline_module, "render_alarm_image")  # noqa: B009
    to_wire = pipeline_module.alarm_to_wire

    def timed_render(frame: Frame, detections: Sequence[Detection], config: CommonConfig) -> bytes:
        with timers.part("render"):
            return render(frame, detections, config)

    def timed_to_wire(alarm: Alarm) -> dict[str, object]:
        with timers.part("report"):
            return to_wire(alarm)

    setattr(pipeline_module, "render_alarm_image", timed_render)  # noqa: B010
    setattr(pipeline_module, "alarm_to_wire", timed_to_wire)  # noqa: B010
    try:
        yield
    finally:
        setattr(pipeline_module, "render_alarm_image", render)  # noqa: B010
        setattr(pipeline_module, "alarm_to_wire", to_wire)  # noqa: B010


@dataclass(frozen=True, slots=True)
class Cost:
    wall: float
    cpu: float


def run_limit(path: Path) -> tuple[Cost, int, str, int]:
    """Cost, samples, decoding mode and pictures decoded of a decode-only pass."""
    wall, cpu = time.perf_counter(), time.process_time()
    with MediaReader(
        MediaSource.from_url(str(path)),
        interval=1.0,
        burst=BURST,
        analysis_side=SMOKE_FIRE.analysis_side,
    ) as reader:
        samples = sum(1 for _ in reader.samples())
    cost = Cost(time.perf_counter() - wall, time.process_time() - cpu)
    return cost, samples, reader.mode, reader.frames_decoded


def run_pipeline(path: Path, store: AlarmStore) -> tuple[Cost, Timers]:
    timers = Timers()
    plugin = AlgorithmPlugin(
        type="benchmark/timed-smoke-fire",
        service_names=SMOKE_FIRE.service_names,
        config_model=SMOKE_FIRE.config_model,
        factory=lambda config: TimedAlgorithm(SMOKE_FIRE.factory(config), timers),
        analysis_side=SMOKE_FIRE.analysis_side,
    )
    job = StreamJob(
        task_id=uuid.uuid4().hex,  # a new id per run: no alarm is skipped as a duplicate
        project_id=store.project_id,
        service_name=SERVICE,
        url=str(path),
        live=False,
        common=dict(COMMON),
    )

    def emit(report: Report) -> None:
        with timers.part("report"):
            line = report.to_json()  # what the stream process writes ...
            if report.kind != "alarm":
                return
            received = Report.from_json(line)  # ... and the engine reads
            assert received.alarm is not None
            alarm = alarm_from_wire(received.alarm)
        with timers.part("store"):
            store.store(alarm)
        timers.alarms += 1
        states = [int(item["state"]) for item in alarm.event_set]
        timers.alarm_positions.append((alarm.media_ms, states))

    pipeline = Pipeline(
        job,
        emit,
        registry=AlgorithmRegistry([plugin]),
        reader_factory=lambda source, job, side: TimedReader(
            source, interval=job.interval, timers=timers, analysis_side=side
        ),
    )
    with timed_module_functions(timers):
        wall, cpu = time.perf_counter(), time.process_time()
        final = pipeline.run()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if final.kind != "finished":
        raise RuntimeError(f"the pipeline failed on {path}: {final.message}")
    return Cost(wall, cpu), timers


@dataclass
class FileResult:
    spec: ClipSpec
    kbps: float
    mode: str
    frames_decoded: int
    samples: int
    limit: Cost  # medians
    pipeline: Cost
    alarms: int
    #: ms per sample: (wall, cpu) of each part, and "other" (the rest of the pipeline's time)
    split: dict[str, tuple[float, float]]
    alarm_positions: list[tuple[int, list[int]]]
    duration_s: float = CYCLES * CYCLE_S
    frames: int = CYCLES * CYCLE_S * FPS

    @property
    def ratio(self) -> float:
        """Pipeline throughput over the decode limit's (wall clock)."""
        return self.limit.wall / self.pipeline.wall

    @property
    def cpu_ratio(self) -> float:
        return self.limit.cpu / self.pipeline.cpu


def measure_file(
    spec: ClipSpec, path: Path, store: AlarmStore, runs: int, *, warm_up: bool
) -> FileResult:
    run_limit(path)  # the page cache
    if warm_up:
        run_pipeline(path, store)  # first-use costs (imports, OpenCV, the database)
    limits: list[tuple[Cost, int, str, int]] = []
    costs: list[Cost] = []
    timers: list[Timers] = []
    for _ in range(runs):  # interleaved, so that other load on the machine hits both alike
        limits.append(run_limit(path))
        cost, timer = run_pipeline(path, store)
        costs.append(cost)
        timers.append(timer)
    samples = timers[0].samples
    split: dict[str, tuple[float, float]] = {}
    for name in PARTS:
        split[name] = (
            statistics.median(t.wall[name] for t in timers) / samples * 1000,
            statistics.median(t.cpu[name] for t in timers) / samples * 1000,
        )
    split["other"] = (
        statistics.median(c.wall - sum(t.wall.values()) for c, t in zip(costs, timers, strict=True))
        / samples * 1000,
        statistics.median(c.cpu - sum(t.cpu.values()) for c, t in zip(costs, timers, strict=True))
        / samples * 1000,
    )  # fmt: skip
    return FileResult(
        spec=spec,
        kbps=bitrate_kbps(path),
        mode=limits[0][2],
        frames_decoded=limits[0][3],
        samples=limits[0][1],
        limit=Cost(
            statistics.median(x[0].wall for x in limits),
            statistics.median(x[0].cpu for x in limits),
        ),
        pipeline=Cost(
            statistics.median(c.wall for c in costs), statistics.median(c.cpu for c in costs)
        ),
        alarms=timers[0].alarms,
        split=split,
        alarm_positions=timers[0].alarm_positions,
    )


def print_files(results: Sequence[FileResult], runs: int) -> None:
    print(
        f"\n1. Decode limit vs full pipeline, interval 1, bursts of {BURST}, one thread, "
        f"medians of {runs} (throughput by wall clock; CPU-time ratio beside it)"
    )
    print(
        f"   {'clip':<14} {'kbit/s':>6} {'mode':<8} {'decoded':>7} {'samples':>7}"
        f" | {'limit src-s/s':>13} {'fps':>5} | {'pipeline src-s/s':>16} {'fps':>5}"
        f" | {'ratio':>5} {'(cpu)':>6} | alarms"
    )
    for r in results:
        print(
            f"   {r.spec.label:<14} {r.kbps:>6.0f} {r.mode:<8} {r.frames_decoded:>7} "
            f"{r.samples:>7} | {r.duration_s / r.limit.wall:>13.1f} {r.frames / r.limit.wall:>5.0f}"
            f" | {r.duration_s / r.pipeline.wall:>16.1f} {r.frames / r.pipeline.wall:>5.0f} | "
            f"{r.ratio:>5.2f} ({r.cpu_ratio:>4.2f}) | {r.alarms}"
        )
    print(
        "\n   per sample, CPU ms (wall ms in brackets); render and store happen once per alarm:"
        " per alarm = per sample x samples / alarms"
    )
    names = (*PARTS, "other")
    print("   " + f"{'clip':<14}" + "".join(f" {n:>15}" for n in names) + f" {'total':>15}")
    for r in results:
        cells = [f"{r.split[n][1]:6.2f} ({r.split[n][0]:6.2f})" for n in names]
        total_wall = sum(r.split[n][0] for n in names)
        total_cpu = sum(r.split[n][1] for n in names)
        cells.append(f"{total_cpu:6.1f} ({total_wall:6.1f})")
        print("   " + f"{r.spec.label:<14}" + "".join(f" {c:>15}" for c in cells))
    for r in results:
        per_alarm = r.samples / max(1, r.alarms)
        print(
            f"   {r.spec.label}: per alarm render {r.split['render'][1] * per_alarm:.1f} ms CPU, "
            f"store {r.split['store'][1] * per_alarm:.1f} ms CPU "
            f"({r.split['store'][0] * per_alarm:.1f} ms wall, insert + commit)"
        )
