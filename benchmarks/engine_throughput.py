"""Engine throughput: how fast one stream is analysed, and how many live cameras a node takes.

    .venv/bin/python benchmarks/engine_throughput.py [--runs 3] [--steps 4,8,12,16,20,24]
        [--window 30] [--settle 10] [--clips DIR] [--skip-files | --skip-live]

**Clips.** Synthetic camera-like H.264 (PyAV's libx264, preset ``superfast``: CABAC,
deblocking, one reference, no B-frames, VBV-capped at 4 Mbit/s for 1080p and 2 Mbit/s for
720p, as IP cameras send): a dim textured scene with sensor noise, a grey box crossing it, a
smaller one moving down, and a flickering flame (the drawing of the detector's tests, scaled)
that burns from 2 s to 6 s of every 10 s cycle, so that every cycle raises one fire alarm.
Each clip is two cycles (20 s, 500 pictures), in 1080p25 and 720p25, with a key frame every
25 pictures (1 s: the media layer decodes key frames only at interval 1) and every 50 (2 s:
it decodes everything). Clips are cached in ``--clips`` (a temporary folder by default).

**1. Decode limit vs full pipeline, per clip** (``video_sampling_interval`` 1, bursts of 3,
one thread, medians of ``--runs``):

- *limit*: ``MediaReader(...).samples()`` consumed with no analysis: demux, decode and the
  BGR conversion of the sampled pictures (at the detector's analysis size, as the engine
  does);
- *pipeline*: ``Pipeline(job, emit)`` with the smoke-and-fire detector (fire and smoke on,
  boxes rendered), where ``emit`` does what the engine does with each report: the JSON line
  the stream process writes, the engine's parse of it, and for an alarm ``insert_alarm`` in
  its own transaction in a SQLite database (WAL, the server's settings) on an asyncio loop
  in another thread; ``emit`` waits for the commit, so storing is inside the pipeline's time;
- the ratio of their throughputs (target >= 0.8) and the time per sample split into decode
  (+ convert), detect, render (alarm JPEG), report (JSON, base64), store and the rest.

**2. Live RTSP streams** through the real engine: ``tests/rtsp_server.py`` (GStreamer,
Debian's ``/usr/bin/python3``) serves the 1080p25 1 s-GOP clip in a loop on as many mounts as
the largest step, in real time; a real ``openvias serve`` (SQLite, ``OPENVIAS_ENGINE_SLOTS``
= the largest step) runs one task per mount, created through the API with an ``url`` video
source, i.e. one stream process per camera. Streams are added step by step (``--steps``); at
each step, once every task is RUNNING, ``--settle`` seconds have passed and every stream's
latest alarm came less than 1 s late (new streams start behind; at most 40 s), a
``--window`` of seconds is measured.

Latency, per fire alarm stored in the window (read from ``alarm_events`` in the server's
database): the RTSP server is started with a small wrapper that logs the wall-clock time at
which each mount's first picture goes out (its appsrc is live and paced by the pipeline
clock, so a picture at clip time *t* goes out at that time + *t*); the alarm's picture is
identified by its place in the clip (the detector is deterministic: the alarms fall on the
same samples as in part 1's run of the same file, and the n-th alarm of a stream belongs to
the n-th such sample, which is checked against the timing), so

- *camera→analysed* = ``media_ms`` (the engine's wall clock after the detector returned, for
  live streams) - the time the picture went out: decode lag, burst wait, decode, detect;
- *analysed→stored* = ``created_at - media_ms``: render, JSON, the pipe, the engine's
  parse, the lease check and the insert (``created_at`` is taken just before the INSERT, so
  the commit, measured in part 1, is not in it);
- *frame→stored* = their sum (target: p95 < 1 s).

A stream *kept up* when none of its expected alarms is missing, its alarms match the
expected pictures, its camera→analysed lag stayed under 1 s without growing, and its task
stayed RUNNING. CPU is measured from ``/proc`` over the window: the whole machine, the
server process, all stream processes together, the RTSP server (the test rig, not openvias)
and this script. Steps stop at the first that misses a criterion.

**3.** A summary table with the targets.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import selectors
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Coroutine, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from types import FrameType
from typing import IO, Any, TypeVar, cast

import av
import cv2
import httpx
import numpy as np

from openvias.algorithms.base import Algorithm, Detection, Frame, Sample
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.algorithms.synthetic import draw_flame
from tests.rtsp_support import SERVER_SCRIPT, SYSTEM_PYTHON, free_port, missing_rtsp_server
from tests.support import Server, running_server

T = TypeVar("T")

# -- what is measured ---------------------------------------------------------------------

FPS = 25
CYCLE_S = 10  #: the scene repeats every cycle; one fire alarm per cycle
FLAME_S = (2, 6)  #: the flame burns from 2 s to 6 s of a cycle
CYCLES = 2  #: a clip is two cycles (20 s)
CLIP_VERSION = 1  #: bump when the drawing or the encoding changes (clips are cached)
SERVICE = "c-smoke-and-fire-cloud"
COMMON: dict[str, Any] = {
    "video_sampling_interval": 1,
    "fire_detection_sw": 1,
    "smoke_detection_sw": 1,
    "render_result_sw": 1,
}
STATE_FIRE = 1

TARGET_RATIO = 0.8
TARGET_STREAMS = 16
TARGET_P95_S = 1.0
MAX_LAG_S = 1.0  #: camera→analysed lag above which a stream did not keep up
LAG_GROWTH_S = 0.5  #: ... or growth of that lag over the window
LATE_GRACE_S = 3.0  #: wait after a window for its last alarms to be stored
MAX_SETTLE_S = 40.0  #: longest wait for new streams to catch up before a window

CLK_TCK = os.sysconf("SC_CLK_TCK")
CORES = os.cpu_count() or 1


@dataclass(frozen=True, slots=True)
class ClipSpec:
    label: str
    width: int
    height: int
    gop: int
    kbps: int

    @property
    def filename(self) -> str:
        return f"{self.label}-v{CLIP_VERSION}.mp4"


CLIPS = (
    ClipSpec("1080p25 gop25", 1920, 1080, 25, 4000),
    ClipSpec("1080p25 gop50", 1920, 1080, 50, 4000),
    ClipSpec("720p25 gop25", 1280, 720, 25, 2000),
    ClipSpec("720p25 gop50", 1280, 720, 50, 2000),
)
LIVE_CLIP = CLIPS[0]


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (``nan`` for no values)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def ms(seconds: float) -> str:
    return "-" if math.isnan(seconds) else f"{seconds * 1000:.0f}"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


# -- clips ----------------------------------------------------------------------------------


class Scene:
    """A 1080p camera-like scene; picture ``i`` of a cycle is always the same."""

    WIDTH, HEIGHT = 1920, 1080
    SCALE = 3  #: the flame drawing is made for 360p

    def __init__(self, seed: int = 7) -> None:
        rng = np.random.default_rng(seed)
        w, h = self.WIDTH, self.HEIGHT
        coarse = rng.normal(60, 18, (h // 3, w // 3)).astype(np.float32)
        smooth = cv2.resize(cv2.GaussianBlur(coarse, (0, 0), 4), (w, h))
        tint = np.array([1.0, 1.02, 0.98], np.float32)
        self.background: Frame = np.clip(smooth[..., None] * tint, 0, 255).astype(np.uint8)
        self.noise: list[tuple[Frame, Frame]] = []  # (+, -) sensor noise, sigma 2
        for _ in range(8):
            values = rng.normal(0, 2.0, (h, w, 3))
            self.noise.append(
                (
                    np.clip(values, 0, 255).astype(np.uint8),
                    np.clip(-values, 0, 255).astype(np.uint8),
                )
            )
        self.flame_rng = rng

    def picture(self, i: int) -> Frame:
        w, h = self.WIDTH, self.HEIGHT
        frame = self.background.copy()
        x = (i * 10) % (w + 300) - 300  # a grey "vehicle" crossing the view
        cv2.rectangle(frame, (x, 520), (x + 300, 700), (118, 120, 124), -1)
        y = (i * 3) % h  # a dark "person" walking down
        cv2.rectangle(frame, (1500, y), (1570, y + 170), (50, 60, 80), -1)
        second = i / FPS
        if FLAME_S[0] <= second < FLAME_S[1]:
            size = self.SCALE * (50 + 8 * int(second - FLAME_S[0]))
            cx, base = 560, 900
            draw_flame(frame, self.flame_rng, cx, base, size)
            x0, x1 = cx - size, cx + size
            y0, y1 = max(0, base - 2 * size), min(h, base + size)
            frame[y0:y1, x0:x1] = cv2.GaussianBlur(frame[y0:y1, x0:x1], (5, 5), 0)
        plus, minus = self.noise[i % len(self.noise)]
        cv2.add(frame, plus, dst=frame)
        cv2.subtract(frame, minus, dst=frame)
        return frame


@dataclass
class _Encoder:
    spec: ClipSpec
    path: Path
    container: Any
    stream: Any
    packets: list[tuple[bytes, int | None, int | None, bool, Fraction | None]] = field(
        default_factory=list
    )

    def encode(self, picture: av.VideoFrame | None) -> None:
        for packet in self.stream.encode(picture):
            self.packets.append(
                (bytes(packet), packet.pts, packet.dts, packet.is_keyframe, packet.time_base)
            )
            self.container.mux(packet)

    def finish(self) -> None:
        """Flushes, then muxes the first cycle's packets again, shifted, as the second."""
        self.encode(None)
        shift = CYCLE_S * FPS
        for _ in range(CYCLES - 1):
            for data, pts, dts, key, time_base in self.packets:
                packet = av.Packet(data)
                packet.pts = None if pts is None else pts + shift
                packet.dts = None if dts is None else dts + shift
                packet.is_keyframe = key
                if time_base is not None:
                    packet.time_base = time_base
                packet.stream = self.stream
                self.container.mux(packet)
            shift += CYCLE_S * FPS
        self.container.close()


def make_clips(folder: Path) -> dict[ClipSpec, Path]:
    """The four clips, from the cache when they are there (one pass draws all four)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {spec: folder / spec.filename for spec in CLIPS}
    missing = [spec for spec, path in paths.items() if not path.is_file()]
    if not missing:
        return paths
    started = time.perf_counter()
    scene = Scene()
    encoders: list[_Encoder] = []
    for spec in missing:
        partial = paths[spec].with_suffix(".partial.mp4")
        container = av.open(str(partial), "w")
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = spec.width, spec.height, "yuv420p"
        stream.codec_context.gop_size = spec.gop
        stream.options = {
            "preset": "superfast",
            "x264-params": (
                f"keyint={spec.gop}:min-keyint={spec.gop}:scenecut=0:bframes=0:"
                f"bitrate={spec.kbps}:vbv-maxrate={spec.kbps}:vbv-bufsize={2 * spec.kbps}"
            ),
        }
        encoders.append(_Encoder(spec, partial, container, stream))
    for i in range(CYCLE_S * FPS):
        big = scene.picture(i)
        pictures: dict[tuple[int, int], av.VideoFrame] = {}
        for encoder in encoders:
            size = (encoder.spec.width, encoder.spec.height)
            if size not in pictures:
                frame = big
                if size != (big.shape[1], big.shape[0]):
                    frame = cast(Frame, cv2.resize(big, size, interpolation=cv2.INTER_AREA))
                pictures[size] = av.VideoFrame.from_ndarray(frame, format="bgr24").reformat(
                    format="yuv420p"
                )
            encoder.encode(pictures[size])
    for encoder in encoders:
        encoder.finish()
        encoder.path.rename(paths[encoder.spec])
    print(
        f"  made {len(missing)} clip(s) in {time.perf_counter() - started:.0f} s "
        f"(cached in {folder})"
    )
    return paths


def bitrate_kbps(path: Path) -> float:
    return path.stat().st_size * 8 / 1000 / (CYCLES * CYCLE_S)


# -- part 1: decode limit vs pipeline -------------------------------------------------------


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

    def process(self, sample: Sample) -> list[Detection]:
        with self.timers.part("detect"):
            return self.inner.process(sample)


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


# -- part 2: live RTSP streams --------------------------------------------------------------

#: Runs tests/rtsp_server.py with every mount sharing one parsed clip and logging, per mount,
#: the wall-clock time its first picture goes out (argv: tests folder, log file, then the
#: server's own arguments). Debian's Python 3.11 runs it.
RTSP_WRAPPER = r"""
import sys, time
sys.path.insert(0, sys.argv[1])
log = open(sys.argv[2], "a", buffering=1)
sys.argv = ["rtsp_server"] + sys.argv[3:]
import rtsp_server as rs

_load, _cache = rs.load, {}

def load(path):
    if path not in _cache:
        _cache[path] = _load(path)
    return _cache[path]

class Feeder(rs.Feeder):
    def __init__(self, clip, name):
        super().__init__(clip)
        self.name = name

    def need_data(self, source, length):
        first = self.offset is None
        now = time.time()
        super().need_data(source, length)
        if first:
            log.write("%s %.6f\n" % (self.name, now))

def mount(server, name, clip):
    factory = rs.GstRtspServer.RTSPMediaFactory()
    factory.set_launch(rs._SERVE.format(caps=clip.caps.replace('"', '\\"')))
    factory.set_shared(True)

    def configure(_factory, media):
        source = media.get_element().get_by_name("src")
        source.connect("need-data", Feeder(clip, name).need_data)

    factory.connect("media-configure", configure)
    server.get_mount_points().add_factory("/" + name, factory)

rs.load, rs.mount = load, mount
sys.exit(rs.main())
"""


class RtspRig:
    """The looping RTSP cameras: ``mounts`` mounts of one clip on one server process."""

    def __init__(self, clip: Path, mounts: int, folder: Path) -> None:
        self.clip = clip
        self.names = [f"cam{i}" for i in range(mounts)]
        self.port = free_port()
        self.plays_path = folder / "rtsp-plays.log"
        self.log_path = folder / "rtsp-server.log"
        self.process: subprocess.Popen[str] | None = None
        self._log: IO[str] | None = None

    def url(self, name: str) -> str:
        return f"rtsp://127.0.0.1:{self.port}/{name}"

    def start(self, timeout: float = 60.0) -> None:
        command = [SYSTEM_PYTHON, "-c", RTSP_WRAPPER, str(SERVER_SCRIPT.parent)]
        command += [str(self.plays_path), "--port", str(self.port)]
        command += [f"{name}={self.clip}" for name in self.names]
        self._log = open(self.log_path, "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=self._log, text=True
        )
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        line = ""
        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ)
            while time.monotonic() < deadline and self.process.poll() is None:
                if selector.select(timeout=0.1):
                    line = self.process.stdout.readline().strip()
                    break
        if not line.startswith("ready"):
            self.stop()
            complaint = self.log_path.read_text().strip()[-500:] or line or "no output"
            raise RuntimeError(f"the RTSP server did not start: {complaint}")

    def plays(self) -> dict[str, list[float]]:
        """Wall-clock times at which each mount's stream (re)started from the clip's start."""
        found: dict[str, list[float]] = {}
        with contextlib.suppress(FileNotFoundError):
            for line in self.plays_path.read_text().splitlines():
                name, _, stamp = line.partition(" ")
                found.setdefault(name, []).append(float(stamp))
        return found

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        if process is not None and process.stdout is not None:
            process.stdout.close()
        if self._log is not None:
            self._log.close()
            self._log = None


def proc_cpu_s(pid: int) -> float | None:
    """User + system CPU seconds of one process (None when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def machine_cpu() -> tuple[float, float, float]:
    """(busy, steal, total) jiffies of all cores since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (values + [0] * 8)[:8]
    total = user + nice + system + idle + iowait + irq + softirq + steal
    return total - idle - iowait - steal, steal, total


def stream_pids(server_pid: int) -> list[int]:
    """The server's stream processes (its children running openvias.engine.stream_process)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if parent == server_pid and b"openvias.engine.stream_process" in cmdline:
            found.append(int(entry.name))
    return found


@dataclass
class CpuSnapshot:
    at: float
    machine: tuple[float, float, float]
    server: float
    rtsp: float
    me: float
    streams: dict[int, float]


def cpu_snapshot(server: Server, rig: RtspRig) -> CpuSnapshot:
    assert rig.process is not None
    streams = {pid: cpu for pid in stream_pids(server.process.pid) if (cpu := proc_cpu_s(pid))}
    return CpuSnapshot(
        at=time.monotonic(),
        machine=machine_cpu(),
        server=proc_cpu_s(server.process.pid) or 0.0,
        rtsp=proc_cpu_s(rig.process.pid) or 0.0,
        me=time.process_time(),
        streams=streams,
    )


@dataclass
class CpuShare:
    """Percent of one core over the window (the machine: of all cores together)."""

    machine: float
    steal: float
    server: float
    streams: float
    rtsp: float
    me: float
    stream_count: int

    @property
    def per_stream(self) -> float:
        return self.streams / max(1, self.stream_count)

    @property
    def others(self) -> float:
        """Everything else on the machine (other users' work, the kernel, the database)."""
        return max(0.0, self.machine - self.server - self.streams - self.rtsp - self.me)

    def projected_streams(self) -> int:
        """Streams the whole machine would take at this step's cost per stream (its own
        CPU, its share of the RTSP rig and of the server), with nothing else running."""
        n = max(1, self.stream_count)
        per_stream = (self.streams + self.rtsp + self.server) / n
        return int(100 * CORES / per_stream) if per_stream > 0 else 0


def cpu_share(before: CpuSnapshot, after: CpuSnapshot) -> CpuShare:
    seconds = after.at - before.at
    busy = after.machine[0] - before.machine[0]
    steal = after.machine[1] - before.machine[1]
    total = after.machine[2] - before.machine[2]
    common = [pid for pid in after.streams if pid in before.streams]
    streams = sum(after.streams[pid] - before.streams[pid] for pid in common)
    return CpuShare(
        machine=100 * CORES * busy / total if total else 0.0,
        steal=100 * CORES * steal / total if total else 0.0,
        server=100 * (after.server - before.server) / seconds,
        streams=100 * streams / seconds,
        rtsp=100 * (after.rtsp - before.rtsp) / seconds,
        me=100 * (after.me - before.me) / seconds,
        stream_count=len(common),
    )


@dataclass
class StoredAlarm:
    task_id: str
    media_ms: int
    created_at: int
    fire: bool


def read_alarms(server: Server) -> list[StoredAlarm]:
    """Every alarm in the server's database, read-only (SQLite WAL allows it meanwhile)."""
    uri = f"file:{server.data_dir / 'openvias.db'}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=10)) as db:
        rows = db.execute("SELECT task_id, media_ms, created_at, data FROM alarm_events").fetchall()
    alarms = []
    for task_id, media_ms, created_at, data in rows:
        event_set = json.loads(data).get("event_set", []) if data else []
        fire = any(int(item.get("state", 0)) == STATE_FIRE for item in event_set)
        alarms.append(StoredAlarm(str(task_id), int(media_ms), int(created_at), fire))
    return alarms


@dataclass
class StreamCheck:
    name: str
    expected: int = 0
    stored: int = 0
    mismatched: int = 0  # alarms whose picture is not the one the timing says
    extra: int = 0  # alarms at no expected picture (e.g. smoke)
    lags: list[float] = field(default_factory=list)  # camera→analysed, window order
    running: bool = True

    @property
    def kept_up(self) -> bool:
        growth = self.lags[-1] - self.lags[0] if len(self.lags) > 1 else 0.0
        return (
            self.running
            and self.stored >= self.expected
            and self.mismatched == 0
            and all(lag < MAX_LAG_S for lag in self.lags)
            and growth < LAG_GROWTH_S
        )


@dataclass
class LiveStep:
    n: int
    running: int
    window_s: float
    cpu: CpuShare
    checks: list[StreamCheck]
    frame_to_stored: list[float]
    camera_to_analysed: list[float]
    analysed_to_stored: list[float]
    all_alarms: int
    load: tuple[float, float, float]
    settled_s: float

    @property
    def expected(self) -> int:
        return sum(c.expected for c in self.checks)

    @property
    def stored(self) -> int:
        return sum(c.stored for c in self.checks)

    @property
    def kept_up(self) -> int:
        return sum(c.kept_up for c in self.checks)

    @property
    def p95(self) -> float:
        return percentile(self.frame_to_stored, 95)

    def misses(self) -> list[str]:
        found = []
        if self.running < self.n:
            found.append(f"{self.n - self.running} not RUNNING")
        if self.kept_up < self.n:
            found.append(f"{self.n - self.kept_up} fell behind")
        if self.stored == 0:
            found.append("no alarm stored")
        elif not self.p95 < TARGET_P95_S:
            found.append("p95 >= 1 s")
        return found

    @property
    def passed(self) -> bool:
        return not self.misses()


def alarm_pictures(phases: Sequence[float], until_s: float) -> list[float]:
    """Clip seconds (from a stream's start) of the pictures that raise alarms, in order."""
    lap = CYCLES * CYCLE_S
    out: list[float] = []
    k = 0
    while k * lap <= until_s + lap:
        out.extend(k * lap + phase for phase in phases)
        k += 1
    return sorted(out)


@dataclass(frozen=True, slots=True)
class Attributed:
    alarm: StoredAlarm
    picture_at: float  # wall-clock time its picture went out
    mismatched: bool  # the n-th alarm is not at the picture the timing says

    @property
    def lag(self) -> float:
        return self.alarm.media_ms / 1000 - self.picture_at

    @property
    def store(self) -> float:
        return (self.alarm.created_at - self.alarm.media_ms) / 1000


def attribute(
    alarms: Sequence[StoredAlarm], play: float, phases: Sequence[float], until: float
) -> list[Attributed]:
    """One stream's fire alarms since its ``play``, each with the picture it was raised on.

    The n-th alarm is the n-th alarm picture (a lost alarm or a lag over one cycle shows
    as a mismatch with the picture the timing says: the latest that went out before the
    analysis, with 0.5 s of slack for clock granularity)."""
    pictures = alarm_pictures(phases, until - play)
    fire = sorted((a for a in alarms if a.fire and a.media_ms / 1000 >= play), key=_media)
    out = []
    for index, alarm in enumerate(fire):
        analysed = alarm.media_ms / 1000
        by_timing = sum(1 for p in pictures if play + p <= analysed + 0.5) - 1
        picture_at = play + pictures[index] if index < len(pictures) else math.nan
        out.append(Attributed(alarm, picture_at, by_timing != index))
    return out


def _media(alarm: StoredAlarm) -> int:
    return alarm.media_ms


def check_streams(
    tasks: dict[str, str],
    alarms: Sequence[StoredAlarm],
    plays: dict[str, list[float]],
    phases: Sequence[float],
    window: tuple[float, float],
    states: dict[str, str],
) -> tuple[list[StreamCheck], list[float], list[float], list[float]]:
    """Per stream: which alarms were due in the window, which came, and their latencies."""
    frame_to_stored: list[float] = []
    camera_to_analysed: list[float] = []
    analysed_to_stored: list[float] = []
    checks = []
    start, end = window
    for task_id, name in tasks.items():
        check = StreamCheck(name, running=states.get(task_id) == "RUNNING")
        checks.append(check)
        starts = plays.get(name, [])
        if not starts:
            check.running = False
            continue
        play = starts[-1]
        mine = [a for a in alarms if a.task_id == task_id and a.media_ms / 1000 >= play]
        check.expected = sum(
            1 for p in alarm_pictures(phases, end - play) if start <= play + p <= end
        )
        check.extra = sum(1 for a in mine if not a.fire)
        for item in attribute(mine, play, phases, end):
            in_window = start <= item.picture_at <= end
            if item.mismatched and (in_window or start <= item.alarm.media_ms / 1000 <= end):
                check.mismatched += 1
            if not in_window:
                continue
            check.stored += 1
            check.lags.append(item.lag)
            camera_to_analysed.append(item.lag)
            analysed_to_stored.append(item.store)
            frame_to_stored.append(item.lag + item.store)
    return checks, frame_to_stored, camera_to_analysed, analysed_to_stored


def unsettled(
    tasks: dict[str, str], server: Server, rig: RtspRig, phases: Sequence[float]
) -> list[str]:
    """Streams without an alarm yet, or whose latest alarm came MAX_LAG_S or more late."""
    alarms = read_alarms(server)
    plays = rig.plays()
    now = time.time()
    behind = []
    for task_id, name in tasks.items():
        starts = plays.get(name)
        if not starts:
            behind.append(name)
            continue
        mine = [a for a in alarms if a.task_id == task_id]
        items = attribute(mine, starts[-1], phases, now)
        if not items or items[-1].mismatched or not items[-1].lag < MAX_LAG_S:
            behind.append(name)
    return behind


class Api:
    """The few API calls the live benchmark makes (no schema checks: they would cost CPU)."""

    def __init__(self, server: Server) -> None:
        self.client = server.client()
        self.base = f"/v2/{server.project_id}"

    def _ok(self, response: httpx.Response) -> Any:
        if response.status_code != 200:
            raise RuntimeError(f"{response.request.url}: {response.status_code} {response.text}")
        return response.json()

    def live_task(self, url: str, name: str) -> str:
        tag = uuid.uuid4().hex[:8]
        source = {
            "access_type": "cloud",
            "type": "url",
            "type_config": f"<type_config><url_address>{url}</url_address></type_config>",
            "video_source_name": f"bench-{name}-{tag}",
            "latitude": "",
            "longitude": "",
            "tag": [],
            "video_group_ids": [],
        }
        source_id = self._ok(self.client.post(f"{self.base}/source", json=source))[
            "video_source_id"
        ]
        task = {
            "name": f"bench-{name}-{tag}",
            "input": {"type": "video_source", "data": [{"video_source_id": source_id}]},
            "output": {"event_center": True},
            "config": {"common": COMMON},
            "service_version": "3.0",
        }
        body = self._ok(self.client.post(f"{self.base}/services/{SERVICE}/tasks", json=task))
        return str(body["tasks"][0]["id"])

    def states(self, task_ids: Sequence[str]) -> dict[str, str]:
        return {
            task_id: str(self._ok(self.client.get(f"{self.base}/tasks/{task_id}"))["state"])
            for task_id in task_ids
        }

    def close(self) -> None:
        self.client.close()


def wait_running(api: Api, task_ids: Sequence[str], timeout: float) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    states = api.states(task_ids)
    while time.monotonic() < deadline and any(s != "RUNNING" for s in states.values()):
        time.sleep(1.0)
        states = api.states(task_ids)
    return states


def measure_live(
    clip: Path,
    phases: Sequence[float],
    steps: Sequence[int],
    window_s: float,
    settle_s: float,
    folder: Path,
) -> list[LiveStep]:
    results: list[LiveStep] = []
    rig = RtspRig(clip, max(steps), folder)
    rig.start()
    try:
        slots = str(max(steps))
        with running_server("sqlite", OPENVIAS_ENGINE_SLOTS=slots) as server:
            api = Api(server)
            try:
                tasks: dict[str, str] = {}
                for n in steps:
                    while len(tasks) < n:
                        name = rig.names[len(tasks)]
                        tasks[api.live_task(rig.url(name), name)] = name
                    states = wait_running(api, list(tasks), timeout=30 + 3 * n)
                    if sum(s == "RUNNING" for s in states.values()) < n:
                        print(
                            f"   N={n}: only {sum(s == 'RUNNING' for s in states.values())} RUNNING"
                        )
                    # Settle: at least settle_s, then until every stream's latest alarm came
                    # less than MAX_LAG_S late (new streams start behind), at most MAX_SETTLE_S.
                    settle_start = time.monotonic()
                    time.sleep(settle_s)
                    while (
                        unsettled(tasks, server, rig, phases)
                        and time.monotonic() - settle_start < MAX_SETTLE_S
                    ):
                        time.sleep(2.0)
                    settled_after = time.monotonic() - settle_start
                    before = cpu_snapshot(server, rig)
                    start = time.time()
                    time.sleep(window_s)
                    end = time.time()
                    after = cpu_snapshot(server, rig)
                    load = os.getloadavg()
                    time.sleep(LATE_GRACE_S)
                    states = api.states(list(tasks))
                    alarms = read_alarms(server)
                    checks, total, lag, store = check_streams(
                        tasks, alarms, rig.plays(), phases, (start, end), states
                    )
                    step = LiveStep(
                        n=n,
                        running=sum(s == "RUNNING" for s in states.values()),
                        window_s=end - start,
                        cpu=cpu_share(before, after),
                        checks=checks,
                        frame_to_stored=total,
                        camera_to_analysed=lag,
                        analysed_to_stored=store,
                        all_alarms=len(alarms),
                        load=load,
                        settled_s=settled_after,
                    )
                    results.append(step)
                    print_step(step)
                    if not step.passed:
                        break
            finally:
                api.close()
    finally:
        rig.stop()
    return results


def print_live_header(window_s: float, settle_s: float) -> None:
    print(
        f"\n2. Live 1080p25 RTSP streams through openvias serve (SQLite), interval 1; "
        f"{window_s:.0f} s windows after >= {settle_s:.0f} s of settling (until every stream"
        f" caught up, at most {MAX_SETTLE_S:.0f} s)"
    )
    print(
        "   latency ms: frame→stored = camera→analysed + analysed→stored (p50/p95[/max]);"
        f" CPU in % of one core ({CORES} cores = {100 * CORES}%)"
    )
    print(
        f"   {'N':>3} {'run':>3} {'kept':>4} {'alarms':>7} | {'frame→stored':>12}"
        f" {'cam→analysed':>16} {'analysed→stored':>15} | {'machine':>7} {'streams':>7}"
        f" {'/stream':>7} {'server':>6} {'rtsp':>5} {'others':>6} {'steal':>5} {'load1':>5}"
        f" | {'proj.':>5} {'settle':>6}"
    )


def print_step(s: LiveStep) -> None:
    c = s.cpu
    lag = s.camera_to_analysed
    store = s.analysed_to_stored
    total = f"{ms(percentile(s.frame_to_stored, 50))}/{ms(s.p95)}"
    lags = f"{ms(percentile(lag, 50))}/{ms(percentile(lag, 95))}/{ms(max(lag, default=math.nan))}"
    stores = f"{ms(percentile(store, 50))}/{ms(percentile(store, 95))}"
    result = verdict(s.passed) + ("" if s.passed else f" ({', '.join(s.misses())})")
    print(
        f"   {s.n:>3} {s.running:>3} {s.kept_up:>4} {s.stored:>3}/{s.expected:<3} |"
        f" {total:>12} {lags:>16} {stores:>15} | {c.machine:>6.0f}% {c.streams:>6.0f}%"
        f" {c.per_stream:>6.1f}% {c.server:>5.0f}% {c.rtsp:>4.0f}% {c.others:>5.0f}%"
        f" {c.steal:>4.0f}% {s.load[0]:>5.1f} | {c.projected_streams():>5} {s.settled_s:>5.0f}s"
        f"  {result}"
    )
    for check in s.checks:
        if not check.kept_up or check.extra:
            growth = check.lags[-1] - check.lags[0] if len(check.lags) > 1 else 0.0
            lags = "/".join(ms(lag) for lag in check.lags) or "-"
            print(
                f"       {check.name}: running={check.running} alarms {check.stored}/"
                f"{check.expected} mismatched={check.mismatched} extra={check.extra} "
                f"lags ms {lags} (growth {ms(growth)})"
            )


# -- main -----------------------------------------------------------------------------------


def _interrupt(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per clip (medians)")
    parser.add_argument("--steps", default="4,8,12,16,20,24", help="live stream counts")
    parser.add_argument("--window", type=float, default=30.0, help="live window, seconds")
    parser.add_argument("--settle", type=float, default=10.0, help="settling before a window")
    parser.add_argument(
        "--clips",
        type=Path,
        default=Path(tempfile.gettempdir()) / "openvias-engine-throughput",
        help="where the synthetic clips are cached",
    )
    parser.add_argument("--skip-files", action="store_true", help="live streams only")
    parser.add_argument("--skip-live", action="store_true", help="files only")
    args = parser.parse_args()
    steps = sorted({int(s) for s in args.steps.split(",") if s.strip()})
    signal.signal(signal.SIGTERM, _interrupt)
    started = time.monotonic()

    print(
        f"engine throughput, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {CORES} cores "
        f"({cpu_model()}), PyAV {av.__version__} (FFmpeg {ffmpeg_version()}), "
        f"OpenCV {cv2.__version__}; load at start {os.getloadavg()[0]:.2f}"
    )
    paths = make_clips(args.clips)

    files: list[FileResult] = []
    phases: list[float] = []
    with tempfile.TemporaryDirectory(prefix="openvias-throughput-") as tmp:
        folder = Path(tmp)
        store = AlarmStore(folder)
        try:
            specs = [LIVE_CLIP] if args.skip_files else list(CLIPS)
            for index, spec in enumerate(specs):
                runs = 1 if args.skip_files else args.runs
                files.append(measure_file(spec, paths[spec], store, runs, warm_up=index == 0))
        finally:
            store.close()
        live_file = next(r for r in files if r.spec == LIVE_CLIP)
        phases = sorted(
            position / 1000
            for position, states in live_file.alarm_positions
            if STATE_FIRE in states
        )
        if not args.skip_files:
            print_files(files, args.runs)
        print(
            f"   fire alarms of the live clip at clip seconds {phases} (lap {CYCLES * CYCLE_S} s)"
        )

        live: list[LiveStep] = []
        if not args.skip_live:
            reason = missing_rtsp_server()
            if reason is not None:
                print(f"\n2. Live streams skipped: {reason}")
            elif not phases:
                print("\n2. Live streams skipped: the live clip raised no fire alarm")
            else:
                print_live_header(args.window, args.settle)
                live = measure_live(
                    paths[LIVE_CLIP], phases, steps, args.window, args.settle, folder
                )
    print_summary(files if not args.skip_files else [], live)
    print(f"\n(total {time.monotonic() - started:.0f} s)")
    return 0


def print_summary(files: Sequence[FileResult], live: Sequence[LiveStep]) -> None:
    print("\n3. Summary")
    rows: list[tuple[str, str, str, str]] = []
    for r in files:
        rows.append(
            (f"pipeline/limit {r.spec.label} ({r.mode}), CPU (wall)",
             f"{r.cpu_ratio:.2f} ({r.ratio:.2f})", f">= {TARGET_RATIO}",
             verdict(r.cpu_ratio >= TARGET_RATIO))
        )  # fmt: skip
    if live:
        passed = [s for s in live if s.passed]
        best = max((s.n for s in passed), default=0)
        at_best = next((s for s in passed if s.n == best), None)
        tried = ",".join(str(s.n) for s in live)
        rows.append(
            (f"live 1080p25 streams kept up (tried {tried})", str(best), f">= {TARGET_STREAMS}",
             verdict(best >= TARGET_STREAMS))
        )  # fmt: skip
        if at_best is not None:
            rows.append(
                (f"frame→stored p95 at N={best}", f"{ms(at_best.p95)} ms",
                 f"< {TARGET_P95_S * 1000:.0f} ms", verdict(at_best.p95 < TARGET_P95_S))
            )  # fmt: skip
        last = live[-1]
        rows.append(
            (f"CPU of other work on the machine at N={last.n} (not openvias)",
             f"{last.cpu.others:.0f}%", "", "")
        )  # fmt: skip
        rows.append(
            (f"projected streams with the machine to itself (cost at N={last.n})",
             str(last.cpu.projected_streams()), f">= {TARGET_STREAMS}", "(estimate)")
        )  # fmt: skip
    width = max((len(r[0]) for r in rows), default=10)
    for metric, value, target, result in rows:
        print(f"   {metric:<{width}}  {value:>11}  {target:>9}  {result}")


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown CPU"


def ffmpeg_version() -> str:
    versions = cast(dict[str, Any], av.library_versions)
    major, minor, _ = versions.get("libavcodec", (0, 0, 0))
    return f"libavcodec {major}.{minor}"


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted; servers stopped", file=sys.stderr)
        sys.exit(130)
