"""Smoke-and-fire accuracy on real footage, and time per sample.

Reads the labelled evaluation set from ``../shared/data`` (relative to the repository root;
internal material, never copied into the repo) and exits with a message when it is absent.

Clips (``fire/*.mp4`` positive, ``nofire/*.mp4`` negative) are read by the engine's own
media layer (``MediaReader``: keyframe-only decoding where the GOP allows, frames converted
at the detector's analysis size). Every second (``video_sampling_interval`` = 1) the
detector gets one sample: the frame at that instant plus the next two decoded frames (a
burst, ~66 ms at 30 fps), exactly what the engine hands it. Fire is taken as visible from the first
frame, except in ``furg_house6`` where the first frame with a box in the FURG XML counts.
A positive clip passes when the first alarm (any state) comes within ``DEADLINE_S`` of that
moment; a negative clip passes when it never alarms. The clips are run a second time with
single-frame samples (what a keyframe-only decoder gives), and the people/vehicle clips of
``../shared/data/people`` (no fire) are run as extra negatives, reported apart.

Still images (``fire/images`` positive, ``nofire/images`` negative) are fed as ``STILL_SAMPLES``
identical single-frame samples one second apart. Nothing changes between them, so the
temporal cues (flicker, motion, smoke's change against a background) carry no information
and the detector falls back on single-frame colour and shape cues with a stricter bar; smoke
needs change, so stills can only yield fire. An image counts as positive when an alarm comes.

Time per sample is measured on synthetic 1080p and 720p scenes (textured background, a
flickering flame-coloured blob, a drifting grey patch), one thread, single frames and
3-frame bursts, and on the largest real fire clip (1080p). Decoding is not included.

``--dump DIR`` writes every misclassified image as a PNG under DIR (outside the repository):
the picture at analysis size next to a copy with the flame-colour mask in magenta and the
fire candidates of the last sample in red, for looking at false positives and misses.

Run: ``.venv/bin/python benchmarks/fire_accuracy.py [--data DIR] [--verbose] [--dump DIR]``
"""

from __future__ import annotations

import argparse
import csv
import math
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from openvias.algorithms.base import Frame, Sample
from openvias.algorithms.flame import flame_mask
from openvias.algorithms.registry import SMOKE_FIRE
from openvias.algorithms.smoke_fire import SmokeFireDetector, downscale
from openvias.domain.evaluation import Confusion, Interval, score_video
from openvias.engine.evaluation_data import clip_fps, furg_onset_s
from openvias.engine.media import MediaReader, MediaSource

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
INTERVAL_S = 1.0
BURST = 3
DEADLINE_S = 5.0
STILL_SAMPLES = 3
TARGET_IMAGE_RECALL = 0.90
TARGET_IMAGE_FPR = 0.10
TARGET_MS = 20.0
STATE_NAMES = {1: "fire", 2: "smoke"}


def bursts(
    path: Path,
    interval: float = INTERVAL_S,
    size: int = BURST,
    pictures_after: Callable[[Frame, float], int] | None = None,
) -> Iterator[Sample]:
    """The samples the engine hands the detector: one every ``interval`` s, the frame at that
    time and the next size-1 frames when ``pictures_after`` (the detector's) asks for them,
    decoded and scaled exactly as in production (keyframe-only decoding where the GOP
    allows, frames converted at the detector's analysis size)."""
    source = MediaSource(url=str(path), live=False)
    with MediaReader(
        source,
        interval=interval,
        burst=size,
        analysis_side=SMOKE_FIRE.analysis_side,
        pictures_after=pictures_after,
    ) as reader:
        yield from reader.samples()


@dataclass
class ClipResult:
    name: str
    positive: bool
    onset: float | None
    first_alarm: float | None
    states: list[str]
    samples: int
    candidate_samples: int
    alarm_times: list[float]

    @property
    def passed(self) -> bool:
        """Scored as ``openvias evaluate`` scores it (``domain/evaluation.py``): fire
        visible from the onset to the end, the first alarm within the deadline of it."""
        if self.positive and self.onset is None:
            return False
        truth = [Interval(self.onset or 0.0, math.inf)] if self.positive else []
        duration = self.samples * INTERVAL_S
        return score_video(self.alarm_times, truth, duration, deadline_s=DEADLINE_S).passed


def run_clip(
    path: Path, positive: bool, onset: float | None, burst: int, verbose: bool
) -> ClipResult:
    detector = SmokeFireDetector()
    first: float | None = None
    states: list[str] = []
    times: list[float] = []
    samples = with_candidates = 0
    for sample in bursts(path, size=burst, pictures_after=detector.pictures_after):
        alarms = detector.process(sample)
        samples += 1
        if detector.last_candidates:
            with_candidates += 1
        if verbose:
            marks = " ".join(
                f"{STATE_NAMES[d.state]}@{d.x},{d.y},{d.w}x{d.h}:{d.score:.2f}"
                for d in detector.last_candidates
            )
            print(f"    t={sample.timestamp:5.1f} {'ALARM ' if alarms else ''}{marks}")
        if alarms:
            times.append(sample.timestamp)
        for alarm in alarms:
            if first is None:
                first = sample.timestamp
            states.append(f"{STATE_NAMES[alarm.state]}@{sample.timestamp:.0f}s")
    return ClipResult(path.name, positive, onset, first, sorted(set(states)), samples,
                      with_candidates, times)  # fmt: skip


def read_image(path: Path) -> Frame:
    read = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if read is None:
        raise RuntimeError(f"cannot read {path}")
    return cast(Frame, read)


def run_image(path: Path, dump: Path | None = None, positive: bool = True) -> list[int]:
    image = read_image(path)
    detector = SmokeFireDetector()
    states: list[int] = []
    for i in range(STILL_SAMPLES):
        states.extend(d.state for d in detector.process(Sample.single(image, float(i))))
    if dump is not None and bool(states) != positive:
        dump_image(dump / f"{'miss' if positive else 'fp'}_{path.stem}.png", image, detector)
    return sorted(set(states))


def dump_image(out: Path, image: Frame, detector: SmokeFireDetector) -> None:
    """The image at analysis size beside its flame mask (magenta) and candidates (red)."""
    small = downscale(image, detector.params.analysis_side)
    marked = small.copy()
    marked[flame_mask(small, detector.params.flame)] = (255, 0, 255)
    scale = small.shape[1] / image.shape[1]
    for d in detector.last_candidates:
        x0, y0 = round(d.x * scale), round(d.y * scale)
        x1, y1 = round((d.x + d.w) * scale), round((d.y + d.h) * scale)
        cv2.rectangle(marked, (x0, y0), (x1, y1), (0, 0, 255), 1)
    out.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(out), np.hstack([small, marked]))


def labels(data: Path) -> dict[str, str]:
    with (data / "labels.csv").open(newline="") as handle:
        return {row["file"]: row["label"] for row in csv.DictReader(handle)}


def clip_set(data: Path) -> list[tuple[str, Path, bool, float | None]]:
    """(folder, path, positive, onset) of every clip to evaluate."""
    out: list[tuple[str, Path, bool, float | None]] = []
    for folder, positive in (("fire", True), ("nofire", False), ("people", False)):
        for path in sorted((data / folder).glob("*.mp4")):
            onset: float | None = None
            if positive:
                xml = path.with_suffix(".xml")
                onset = furg_onset_s(xml, clip_fps(path)) if xml.exists() else 0.0
            out.append((folder, path, positive, onset))
    return out


def describe(result: ClipResult) -> str:
    if result.positive:
        if result.first_alarm is None:
            return "NO ALARM"
        return f"alarm {result.first_alarm - (result.onset or 0):.0f} s after fire visible"
    if result.first_alarm is None:
        return "no alarm"
    return f"FALSE ALARM at {result.first_alarm:.0f} s"


def clips(data: Path, burst: int, verbose: bool) -> bool:
    kind = f"{burst}-frame bursts" if burst > 1 else "single frames"
    print(f"== clips (1 sample/s, {kind})")
    results: dict[str, list[ClipResult]] = {}
    for folder, path, positive, onset in clip_set(data):
        if verbose:
            print(f"  {folder}/{path.name}")
        result = run_clip(path, positive, onset, burst, verbose)
        results.setdefault(folder, []).append(result)
        print(
            f"  {'PASS' if result.passed else 'FAIL'} {folder}/{result.name}: "
            f"{describe(result)}; alarms {result.states or '-'}; samples with candidates "
            f"{result.candidate_samples}/{result.samples}"
        )
    pos, neg, extra = results.get("fire", []), results.get("nofire", []), results.get("people", [])
    in_time = sum(r.passed for r in pos)
    false = sum(not r.passed for r in neg)
    print(
        f"  clips: {in_time}/{len(pos)} positive clips alarmed within {DEADLINE_S:.0f} s; "
        f"{false}/{len(neg)} negative clips alarmed"
    )
    if extra:
        extra_false = sum(not r.passed for r in extra)
        print(
            f"  extra negatives (people/, no fire; not part of the targets): "
            f"{extra_false}/{len(extra)} alarmed"
        )
    return in_time == len(pos) and false == 0


def images(data: Path, truth: dict[str, str], verbose: bool, dump: Path | None = None) -> bool:
    print(f"== images ({STILL_SAMPLES} identical samples each: colour/shape cues only)")
    counts = Confusion()
    by_label: dict[str, list[int]] = {}
    for folder, positive in (("fire/images", True), ("nofire/images", False)):
        for path in sorted((data / folder).iterdir()):
            states = run_image(path, dump, positive)
            hit = bool(states)
            label = truth.get(f"{folder}/{path.name}", "?")
            by_label.setdefault(label, [0, 0])[0 if hit else 1] += 1
            counts = counts.add(positive=positive, alarmed=hit)
            if verbose or hit != positive:
                kind = "+".join(STATE_NAMES[s] for s in states) or "none"
                verdict = "ok  " if hit == positive else ("MISS" if positive else "FP  ")
                print(f"  {verdict} {folder}/{path.name}: {kind} (label {label})")
    tp, fn, fp, tn = counts.tp, counts.fn, counts.fp, counts.tn
    recall, fpr, precision = counts.recall, counts.false_positive_rate, counts.precision
    for label, (hits, misses) in sorted(by_label.items()):
        print(f"  label {label}: {hits}/{hits + misses} alarmed")
    print(
        f"  images: recall {recall:.1%} ({tp}/{tp + fn}), false-positive rate {fpr:.1%} "
        f"({fp}/{fp + tn}), precision {precision:.1%} "
        f"(targets: recall >= {TARGET_IMAGE_RECALL:.0%}, FPR <= {TARGET_IMAGE_FPR:.0%})"
    )
    return recall >= TARGET_IMAGE_RECALL and fpr <= TARGET_IMAGE_FPR


def synthetic_burst(width: int, height: int, t: int, size: int, rng: np.random.Generator) -> Sample:
    """A textured scene with a flickering flame-coloured blob and a drifting grey patch."""
    noise = rng.integers(60, 140, (height, width, 3), dtype=np.uint8)
    base = cast(Frame, cv2.GaussianBlur(noise, (0, 0), 3))
    frames = []
    for k in range(size):
        frame = base.copy()
        cx, cy = width // 2, height // 2
        r = height // 10 + int(rng.integers(0, height // 40 + 1))
        cv2.ellipse(frame, (cx, cy), (r // 2, r), 0, 0, 360, (0, 140, 255), -1)
        cv2.ellipse(frame, (cx, cy + r // 3), (r // 4, r // 2), 0, 0, 360, (200, 250, 255), -1)
        gx = width // 5 + 4 * (t + k)
        cv2.rectangle(frame, (gx, height // 5), (gx + width // 8, height // 3), (150, 150, 150), -1)
        frames.append(frame)
    return Sample(tuple(frames), tuple(t + k / 30 for k in range(size)))


def timing() -> None:
    cv2.setNumThreads(1)
    print("== time per sample (synthetic scene, 1 thread)")
    rng = np.random.default_rng(7)
    for width, height in ((1920, 1080), (1280, 720)):
        for size in (1, BURST):
            samples = [synthetic_burst(width, height, t, size, rng) for t in range(12)]
            detector = SmokeFireDetector()
            times: list[float] = []
            for _ in range(5):
                for sample in samples:
                    start = time.perf_counter()
                    detector.process(sample)
                    times.append((time.perf_counter() - start) * 1000)
            times = times[len(samples) :]
            p95 = sorted(times)[int(0.95 * (len(times) - 1))]
            print(
                f"  {height}p, {size}-frame samples: median {statistics.median(times):.1f} ms, "
                f"p95 {p95:.1f} ms per sample (target < {TARGET_MS:.0f} ms)"
            )


def timing_real(data: Path) -> None:
    """Time per sample on the largest real fire clip (busy scene, many candidates)."""
    cv2.setNumThreads(1)
    paths = sorted((data / "fire").glob("*.mp4"))
    if not paths:
        return
    largest = max(paths, key=lambda p: next(bursts(p, size=1)).key.size)
    samples = list(bursts(largest))
    detector = SmokeFireDetector()
    times: list[float] = []
    for sample in samples:
        start = time.perf_counter()
        detector.process(sample)
        times.append((time.perf_counter() - start) * 1000)
    print(
        f"  real clip fire/{largest.name} ({samples[0].width}x{samples[0].height}, "
        f"{BURST}-frame samples): median {statistics.median(times):.1f} ms, "
        f"max {max(times):.1f} ms per sample"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--no-timing", action="store_true")
    parser.add_argument("--dump", type=Path, help="write misclassified images here (PNG)")
    args = parser.parse_args()
    data: Path = args.data
    if not (data / "labels.csv").exists():
        print(f"evaluation data not found at {data} (expected labels.csv); skipping accuracy")
    else:
        ok_clips = clips(data, BURST, args.verbose)
        ok_single = clips(data, 1, args.verbose)
        ok_images = images(data, labels(data), args.verbose, args.dump)
        print(
            f"== targets met: clips {'yes' if ok_clips else 'NO'} "
            f"(single frames: {'yes' if ok_single else 'NO'}), "
            f"images {'yes' if ok_images else 'NO'}"
        )
    if not args.no_timing:
        timing()
        if (data / "labels.csv").exists():
            timing_real(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
