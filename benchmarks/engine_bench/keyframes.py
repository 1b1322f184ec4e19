"""Part 1b: the engine against PyAV decoding key frames only, as a new user compares them.

Per clip (a key frame every second, ``video_sampling_interval`` 1), one thread each:

- *keyframes*: PyAV alone, ``skip_frame="NONKEY"``, every key frame decoded and nothing
  converted: the least any keyframe-sampling analysis must decode;
- *pipeline*: ``Pipeline(job, emit)`` with the smoke-and-fire detector (fire and smoke on,
  boxes rendered), reports dropped, in this process (start-up excluded by a warm-up run),
  on the looped clip (below) against the keyframe decoding of the same file;
- *analyze*: ``openvias analyze CLIP`` in a subprocess, as a user runs it, alarms to a pipe,
  on the clip looped ``LAPS`` times (stream copy, 200 s). Its start-up is excluded by
  subtracting the median of ``HEAD_RUNS_PER_RUN * runs + 1`` runs on the clip's first second
  (cut with stream copy: one key picture), and the keyframe time of that first second
  likewise, so both sides count the same video. Why this is start-up, exactly: a run pays,
  whatever the clip's length, the interpreter, the imports, the plugin registry, opening
  the file and reading its first key frames ahead, and then a cost per second of video; the
  first-second run pays the first part and one second of the second, which the keyframe
  side subtracts too. Timing from the first decoded picture instead would need a hook in
  the command that users do not have. One short run swings by a few hundred ms of wall
  clock on a loaded machine (its CPU time does not), which moved the 720p ratio by ±0.2;
  the median of several runs interleaved with the long ones does not.

Ratios are throughputs relative to *keyframes* (target >= 0.8), by wall clock and by CPU
time (``RUSAGE_CHILDREN`` for the subprocess: less sensitive to other load on the machine);
runs are interleaved and medians of ``runs`` are taken.
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import av

from engine_bench.clips import ClipSpec
from engine_bench.common import COMMON, SERVICE
from openvias.engine.job import Report, StreamJob
from openvias.engine.media import MediaReader, MediaSource
from openvias.engine.pipeline import Pipeline, default_reader

#: The first second of each clip: what start-up costs, subtracted from whole runs.
HEAD_S = 1.0
#: ``openvias analyze`` runs on the clip looped this many times.
LAPS = 10
#: Start-up runs (on the first second) per measured run; their median is subtracted.
HEAD_RUNS_PER_RUN = 2


@dataclass(frozen=True, slots=True)
class Cost:
    wall: float
    cpu: float

    def __sub__(self, other: Cost) -> Cost:
        return Cost(self.wall - other.wall, self.cpu - other.cpu)


@dataclass
class KeyframeResult:
    spec: ClipSpec
    keyframes: Cost  #: medians, looped clip minus its first second
    pipeline: Cost  #: looped clip, warm
    pipeline_keyframes: Cost  #: the looped clip's keyframe decode, for the pipeline's ratio
    analyze: Cost
    #: ``openvias analyze`` on the first second, median: what is subtracted as start-up.
    start_up: Cost
    key_pictures: int
    decoded: int  #: pictures the pipeline decoded
    samples: int

    @property
    def pipeline_ratio(self) -> Cost:
        return Cost(
            self.pipeline_keyframes.wall / self.pipeline.wall,
            self.pipeline_keyframes.cpu / self.pipeline.cpu,
        )

    @property
    def analyze_ratio(self) -> Cost:
        return Cost(self.keyframes.wall / self.analyze.wall, self.keyframes.cpu / self.analyze.cpu)


def decode_keyframes(path: Path) -> tuple[Cost, int]:
    """PyAV alone: open, decode every key frame (one thread), nothing else."""
    wall, cpu = time.perf_counter(), time.process_time()
    pictures = 0
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        codec = stream.codec_context
        codec.thread_count = 1
        codec.thread_type = "NONE"
        codec.skip_frame = "NONKEY"
        for packet in container.demux(stream):
            pictures += len(codec.decode(packet))
    return Cost(time.perf_counter() - wall, time.process_time() - cpu), pictures


def run_pipeline(path: Path) -> tuple[Cost, int, int]:
    """The engine's pipeline on the clip: cost, pictures decoded, samples."""
    readers: list[MediaReader] = []

    def reader_factory(source: MediaSource, job: StreamJob, side: int | None) -> MediaReader:
        reader = default_reader(source, job, side)
        readers.append(reader)
        return reader

    job = StreamJob(
        task_id=uuid.uuid4().hex, project_id="bench", service_name=SERVICE, url=str(path),
        live=False, common=dict(COMMON),
    )  # fmt: skip
    reports: list[Report] = []
    pipeline = Pipeline(job, reports.append, reader_factory=reader_factory)
    wall, cpu = time.perf_counter(), time.process_time()
    final = pipeline.run()
    cost = Cost(time.perf_counter() - wall, time.process_time() - cpu)
    if final.kind != "finished":
        raise RuntimeError(f"the pipeline failed on {path}: {final.message}")
    return cost, readers[0].frames_decoded, pipeline.samples


def run_analyze(path: Path) -> Cost:
    """``openvias analyze`` as a user runs it (alarms to a pipe, no progress bar)."""
    openvias = Path(sys.executable).with_name("openvias")
    command = [str(openvias), "analyze", str(path), "--config", json.dumps(COMMON)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Cost(wall, cpu)


def cut_head(path: Path, seconds: float = HEAD_S) -> Path:
    """The clip's first ``seconds`` (stream copy; the next key frame ends it)."""
    head = path.with_name(f"{path.stem}-head.mp4")
    if head.is_file():
        return head
    with av.open(str(path)) as source, av.open(str(head), "w") as target:
        video = source.streams.video[0]
        copy = target.add_stream_from_template(video)
        for packet in source.demux(video):
            if packet.dts is None:
                continue
            start = packet.pts
            if start is not None and float(start * packet.time_base) >= seconds:
                break
            packet.stream = copy
            target.mux(packet)
    return head


def looped(path: Path, laps: int = LAPS) -> Path:
    """The clip played ``laps`` times in a row (stream copy, timestamps shifted)."""
    target_path = path.with_name(f"{path.stem}-x{laps}.mp4")
    if target_path.is_file():
        return target_path
    with av.open(str(path)) as source:
        video = source.streams.video[0]
        packets = [p for p in source.demux(video) if p.dts is not None]
        time_base = video.time_base
        assert time_base is not None
        assert video.duration is not None
        span = video.duration
        partial = target_path.with_suffix(".partial.mp4")
        with av.open(str(partial), "w") as target:
            copy = target.add_stream_from_template(video)
            for lap in range(laps):
                for original in packets:
                    packet = av.Packet(bytes(original))
                    shift = lap * span
                    packet.pts = None if original.pts is None else original.pts + shift
                    packet.dts = None if original.dts is None else original.dts + shift
                    packet.is_keyframe = original.is_keyframe
                    packet.time_base = time_base
                    packet.stream = copy
                    target.mux(packet)
    partial.rename(target_path)
    return target_path


def measure_keyframes(spec: ClipSpec, path: Path, runs: int) -> KeyframeResult:
    head = cut_head(path)
    long = looped(path)
    decode_keyframes(long)  # the page cache
    run_pipeline(head)  # first-use costs of this process
    run_analyze(head)
    key_long: list[Cost] = []
    key_head: list[Cost] = []
    pipelines: list[Cost] = []
    whole: list[Cost] = []
    heads: list[Cost] = [run_analyze(head)]
    key_pictures = decoded = samples = 0
    for _ in range(runs):  # interleaved, so that other load hits every side alike
        cost, key_pictures = decode_keyframes(long)
        key_long.append(cost)
        key_head.append(decode_keyframes(head)[0])
        cost, decoded, samples = run_pipeline(long)
        pipelines.append(cost)
        for _ in range(HEAD_RUNS_PER_RUN // 2):
            heads.append(run_analyze(head))
        whole.append(run_analyze(long))
        for _ in range(HEAD_RUNS_PER_RUN - HEAD_RUNS_PER_RUN // 2):
            heads.append(run_analyze(head))
    start_up = _median(heads)
    return KeyframeResult(
        spec=spec,
        keyframes=_median(key_long) - _median(key_head),
        pipeline=_median(pipelines),
        pipeline_keyframes=_median(key_long),
        analyze=_median(whole) - start_up,
        start_up=start_up,
        key_pictures=key_pictures,
        decoded=decoded,
        samples=samples,
    )


def _median(costs: list[Cost]) -> Cost:
    return Cost(statistics.median(c.wall for c in costs), statistics.median(c.cpu for c in costs))


def print_keyframes(results: list[KeyframeResult], runs: int) -> None:
    print(
        f"\n1b. Against PyAV keyframe-only decoding (one thread, nothing converted), interval 1,"
        f" medians of {runs}; throughput ratio to it by wall clock (CPU time beside it)"
    )
    print(
        f"   {'clip':<20} {'key pictures':>12} {'pipeline decoded':>16} {'samples':>7}"
        f" | {'keyframes ms':>12} | {'pipeline ms':>11} {'ratio':>11}"
        f" | {'analyze ms':>10} {'ratio':>11} | {'start-up ms (CPU)':>17}"
    )
    for r in results:
        p, a = r.pipeline_ratio, r.analyze_ratio
        print(
            f"   {r.spec.label:<20} {r.key_pictures:>12} {r.decoded:>16} {r.samples:>7}"
            f" | {r.pipeline_keyframes.wall * 1000:>12.0f} | {r.pipeline.wall * 1000:>11.0f}"
            f" {p.wall:>5.2f} ({p.cpu:.2f}) | {r.analyze.wall * 1000:>10.0f}"
            f" {a.wall:>5.2f} ({a.cpu:.2f})"
            f" | {r.start_up.wall * 1000:>8.0f} ({r.start_up.cpu * 1000:.0f})"
        )
    print(
        f"   (analyze and its keyframe figure: the clip looped {LAPS} times minus the median of"
        f" {HEAD_RUNS_PER_RUN}n+1 runs on its first second, i.e. start-up excluded; pipeline:"
        " the looped clip, warm, against its keyframe decode)"
    )
