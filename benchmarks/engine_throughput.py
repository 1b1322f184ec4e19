"""Engine throughput: how fast one stream is analysed, and how many live cameras a node takes.

    .venv/bin/python benchmarks/engine_throughput.py [--runs 3] [--steps 8,16,24,32,40,48]
        [--window 30] [--settle 10] [--clips DIR] [--skip-files | --skip-live]
        [--skip-limit] [--plain-only]

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
  does), whole bursts at every sample (the pipeline decodes the pictures after a key
  picture only when the detector asks for them, so it may beat this "limit");
- *pipeline*: ``Pipeline(job, emit)`` with the smoke-and-fire detector (fire and smoke on,
  boxes rendered), where ``emit`` does what the engine does with each report: the JSON line
  the stream process writes, the engine's parse of it, and for an alarm ``insert_alarm`` in
  its own transaction in a SQLite database (WAL, the server's settings) on an asyncio loop
  in another thread; ``emit`` waits for the commit, so storing is inside the pipeline's time;
- the ratio of their throughputs (target >= 0.8) and the time per sample split into decode
  (+ convert), detect, render (alarm JPEG), report (JSON, base64), store and the rest.

**1b. Against PyAV keyframe-only decoding** (``engine_bench.keyframes``): the pipeline and
``openvias analyze`` (a subprocess, as a user runs it, start-up excluded) on plain 720p25 and
1080p25 clips (the same scene without the flame: nothing fire-coloured, so the detector asks
for no burst) and on the flame clips (1 s GOP), as throughput ratios to PyAV decoding the
key frames alone (target >= 0.8). ``--skip-limit`` runs part 1b without part 1,
``--plain-only`` only the plain clips in it.

**2. Live RTSP streams** through the real engine: ``tests/rtsp_server.py`` (GStreamer,
Debian's ``/usr/bin/python3``) serves the 1080p25 1 s-GOP clip in a loop on as many mounts as
the largest step, in real time; a real ``openvias serve`` (SQLite, ``OPENVIAS_ENGINE_SLOTS``
= the largest step) runs one task per mount, created through the API with an ``url`` video
source, i.e. one stream process per camera. Streams are added step by step (``--steps``); at
each step, once every task is RUNNING, ``--settle`` seconds have passed and every stream
has an alarm on a picture that went out after all of them ran, which came less than 1 s
late (new streams start behind; an older alarm says nothing of the new load; at most
40 s), a ``--window`` of seconds is measured.

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
import os
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any, cast

import av
import cv2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.rtsp_support import missing_rtsp_server

from engine_bench.alarms import LiveStep
from engine_bench.clips import CLIPS, LIVE_CLIP, PLAIN_CLIPS, make_clips
from engine_bench.common import (
    CORES,
    CYCLE_S,
    CYCLES,
    STATE_FIRE,
    TARGET_P95_S,
    TARGET_RATIO,
    TARGET_STREAMS,
    fire_probe,
    ms,
    verdict,
)
from engine_bench.files import AlarmStore, FileResult, measure_file, print_files
from engine_bench.keyframes import KeyframeResult, measure_keyframes, print_keyframes
from engine_bench.live import measure_live, print_live_header


def _interrupt(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per clip (medians)")
    parser.add_argument("--steps", default="8,16,24,32,40,48", help="live stream counts")
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
    parser.add_argument("--skip-limit", action="store_true", help="no part 1 (1b still runs)")
    parser.add_argument("--plain-only", action="store_true", help="part 1b: plain clips only")
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
            specs = [LIVE_CLIP] if args.skip_files or args.skip_limit else list(CLIPS)
            if args.skip_limit and args.skip_live:
                specs = []  # the live clip is measured only for the alarm phases of part 2
            for index, spec in enumerate(specs):
                runs = 1 if args.skip_files or args.skip_limit else args.runs
                files.append(measure_file(spec, paths[spec], store, runs, warm_up=index == 0))
        finally:
            store.close()
        keyframes: list[KeyframeResult] = []
        if not args.skip_files:
            if not args.skip_limit:
                print_files(files, args.runs)
            flame = () if args.plain_only else (spec for spec in CLIPS if spec.gop == 25)
            one_second_gops = [*PLAIN_CLIPS, *flame]
            for spec in one_second_gops:
                keyframes.append(measure_keyframes(spec, paths[spec], args.runs))
            print_keyframes(keyframes, args.runs)
            print(f"   load after part 1b: {os.getloadavg()[0]:.2f}")
        live_file = next((r for r in files if r.spec == LIVE_CLIP), None)
        if live_file is not None:
            phases = sorted(
                position / 1000
                for position, states in live_file.alarm_positions
                if STATE_FIRE in states
            )
            print(
                f"   fire alarms of the live clip at clip seconds {phases} "
                f"(lap {CYCLES * CYCLE_S} s)"
            )

        live: list[LiveStep] = []
        if not args.skip_live:
            reason = missing_rtsp_server()
            if reason is not None:
                print(f"\n2. Live streams skipped: {reason}")
            elif not phases:
                print("\n2. Live streams skipped: the live clip raised no fire alarm")
            else:
                probe = fire_probe(phases)
                print_live_header(args.window, args.settle, probe)
                live = measure_live(
                    paths[LIVE_CLIP], probe, steps, args.window, args.settle, folder
                )
    print_summary(files if not (args.skip_files or args.skip_limit) else [], keyframes, live)
    print(f"\n(total {time.monotonic() - started:.0f} s)")
    return 0


def print_summary(
    files: Sequence[FileResult], keyframes: Sequence[KeyframeResult], live: Sequence[LiveStep]
) -> None:
    print("\n3. Summary")
    rows: list[tuple[str, str, str, str]] = []
    for k in keyframes:
        for name, ratio in (("openvias analyze", k.analyze_ratio), ("pipeline", k.pipeline_ratio)):
            rows.append(
                (f"{name}/keyframe-only {k.spec.label}, wall (CPU)",
                 f"{ratio.wall:.2f} ({ratio.cpu:.2f})", f">= {TARGET_RATIO}",
                 "(reported)" if k.spec.flame else verdict(ratio.wall >= TARGET_RATIO))
            )  # fmt: skip
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
