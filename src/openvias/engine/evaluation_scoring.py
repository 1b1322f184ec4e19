"""An evaluation: the runs of one configuration scored against the data set.

Turns the alarms of every file (``engine/evaluation_runner.py``) into the report's numbers
with the one scoring implementation (``domain/evaluation.py``). The result is plain JSON
(``report.json``) plus, per file, the misses and false alarms to picture.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from openvias.domain.alarms import LINE_COUNT_EVENT_TYPE, REGION_COUNT_EVENT_TYPE
from openvias.domain.datasets import Dataset, PeopleClip
from openvias.domain.evaluation import (
    Confusion,
    Interval,
    count_within,
    counts_exact,
    events_hit,
    match_entries,
    nearest_report,
    score_video,
    video_totals,
)
from openvias.domain.evaluation_requests import INTRUSION
from openvias.engine.evaluation_runner import FileRun


@dataclass(slots=True)
class Finding:
    """A miss or a false alarm worth a picture: where in which file, and what to draw."""

    file: str
    what: str  # "miss" or "false alarm"
    t: float
    picture: bool = False
    jpeg: bytes = b""
    boxes: list[dict[str, int]] = field(default_factory=list)
    polygon: list[tuple[int, int]] = field(default_factory=list)


@dataclass(slots=True)
class Scored:
    summary: dict[str, Any]
    files: list[dict[str, Any]]
    findings: list[Finding]


def target_roi(clip: PeopleClip) -> str:
    """The clip's lines and polygons as a VIAS ``target_roi`` (what the benchmark sends)."""
    lines = [{"data": [list(line.a), list(line.b)], "name": n} for n, line in clip.lines.items()]
    polygons = [
        {"data": [list(p) for p in polygon.points], "name": n}
        for n, polygon in clip.polygons.items()
    ]
    return json.dumps({"lines": lines, "polygons": polygons})


def _boxes(event_set: list[dict[str, Any]]) -> list[dict[str, int]]:
    return [e["bounding_box"] for e in event_set if isinstance(e.get("bounding_box"), dict)]


def score_smoke_fire(dataset: Dataset, runs: dict[str, FileRun]) -> Scored:
    section = dataset.smoke_fire
    assert section is not None
    files, findings, scores = [], [], []
    clips = Confusion()
    for name, video in section.videos.items():
        run = runs[name]
        intervals = [
            Interval(i.start, run.duration_s if i.end is None else i.end) for i in video.intervals
        ]
        score = score_video(
            [a.t for a in run.alarms],
            intervals,
            run.duration_s,
            tolerance_s=section.tolerance_s,
            deadline_s=section.deadline_s,
        )
        scores.append(score)
        clips = clips.add(positive=score.positive, alarmed=score.positive == score.passed)
        files.append(
            {
                "file": name,
                "kind": "video",
                "label": video.label,
                "positive": score.positive,
                "passed": score.passed,
                "duration_s": run.duration_s,
                "error": run.error,
                "alarms": [{"t": a.t, "events": a.event_set} for a in run.alarms],
                "intervals": [
                    {
                        "start": r.interval.start,
                        "end": r.interval.end,
                        "first_alarm": r.first_alarm,
                        "seconds_to_alarm": r.seconds_to_alarm,
                        "in_time": r.in_time,
                    }
                    for r in score.intervals
                ],
                "false_alarms": list(score.false_alarms),
            }
        )
        for result, truth in zip(score.intervals, video.intervals, strict=True):
            if not result.in_time:
                boxes = [{"x": b.x, "y": b.y, "w": b.w, "h": b.h} for b in truth.boxes[:1]]
                findings.append(Finding(name, "miss", result.interval.start, boxes=boxes))
        for alarm in run.alarms:
            if alarm.t in score.false_alarms:
                findings.append(
                    Finding(
                        name, "false alarm", alarm.t, jpeg=alarm.jpeg, boxes=_boxes(alarm.event_set)
                    )
                )
    images = Confusion()
    for name, verdict in section.images.items():
        run = runs[name]
        positive, alarmed = verdict == "positive", bool(run.alarms)
        images = images.add(positive=positive, alarmed=alarmed)
        states = sorted({int(e.get("state", 0)) for a in run.alarms for e in a.event_set})
        files.append(
            {
                "file": name,
                "kind": "picture",
                "positive": positive,
                "passed": positive == alarmed,
                "states": states,
                "error": run.error,
            }
        )
        if positive != alarmed:
            boxes = [b for a in run.alarms[-1:] for b in _boxes(a.event_set)]
            what = "miss" if positive else "false alarm"
            findings.append(Finding(name, what, 0.0, picture=True, boxes=boxes))
    totals = video_totals(scores)
    every = Confusion(
        clips.tp + images.tp, clips.fn + images.fn, clips.fp + images.fp, clips.tn + images.tn
    )
    delays = totals.seconds_to_alarm
    summary = {
        "videos": {
            "positive": totals.positive_files,
            "alarmed_in_time": totals.positive_passed,
            "negative": totals.negative_files,
            "negative_alarmed": totals.negative_alarmed,
            "intervals": totals.intervals,
            "intervals_in_time": totals.intervals_in_time,
            "interval_recall": totals.recall,
            "alarm_precision": totals.precision,
            "true_alarms": totals.true_alarms,
            "false_alarms": totals.false_alarms,
            "negative_hours": totals.negative_hours,
            "false_alarms_per_hour": totals.false_alarms_per_hour,
            "seconds_to_alarm_mean": sum(delays) / len(delays) if delays else None,
            "seconds_to_alarm_worst": max(delays, default=None),
            "deadline_s": section.deadline_s,
        },
        "pictures": _confusion(images),
        "recall": every.recall,
        "precision": every.precision,
    }
    return Scored(summary, files, findings)


def _confusion(c: Confusion) -> dict[str, Any]:
    return {
        "tp": c.tp,
        "fn": c.fn,
        "fp": c.fp,
        "tn": c.tn,
        "recall": c.recall,
        "false_positive_rate": c.false_positive_rate,
        "precision": c.precision,
    }


def score_people(dataset: Dataset, runs: dict[str, FileRun], kind: str) -> Scored:
    section = dataset.people
    assert section is not None
    files: list[dict[str, Any]] = []
    findings: list[Finding] = []
    matched = found = truths = 0
    counted_ok = counted_total = 0
    delays: list[float] = []
    for name, clip in section.clips.items():
        run = runs[name]
        row: dict[str, Any] = {"file": name, "kind": "video", "error": run.error}
        if kind == INTRUSION:
            row["regions"], row["lines"] = [], []
            for polygon_name, polygon in clip.polygons.items():
                if not polygon.inside_intervals:
                    continue
                times = _event_times(run, "region", "region_id", polygon_name)
                starts = [s for s, _ in polygon.inside_intervals]
                match = match_entries(times, starts, polygon.tolerance_s)
                matched, found, truths = (
                    matched + match.matched,
                    found + len(times),
                    truths + len(starts),
                )
                delays += match.delays
                row["regions"].append(
                    {
                        "region": polygon_name,
                        "alarms": times,
                        "truth_starts": starts,
                        "matched": match.matched,
                        "delays": match.delays,
                    }
                )
                points = [(p[0], p[1]) for p in polygon.points]
                findings += [Finding(name, "miss", starts[i], polygon=points) for i in match.missed]
                for alarm in run.alarms:
                    if alarm.t in match.false_alarms:
                        findings.append(
                            Finding(
                                name,
                                "false alarm",
                                alarm.t,
                                jpeg=alarm.jpeg,
                                boxes=_boxes(alarm.event_set),
                                polygon=points,
                            )
                        )
            for line_name, line in clip.lines.items():
                times = _event_times(run, "line", "line_id", line_name)
                truth = [float(e.get("t", e.get("t_feet", 0.0))) for e in line.events]
                row["lines"].append(
                    {
                        "line": line_name,
                        "alarms": times,
                        "truth": truth,
                        "hit": events_hit(times, truth, 1.0),
                    }
                )
        else:
            row["lines"], row["occupancy"] = [], []
            for line_name, line in clip.lines.items():
                counted = line_counts(run, line_name, line.a, line.b)
                exact = counts_exact(counted, line.counts)
                row["lines"].append(
                    {"line": line_name, "counted": counted, "truth": line.counts, "exact": exact}
                )
                for key, value in line.counts.items():
                    counted_ok += min(value, counted.get(key, 0))
                    counted_total += value
                found += sum(counted.values())
            for polygon_name, polygon in clip.polygons.items():
                reports = region_counts(run, polygon_name)
                for instant in polygon.people_inside:
                    near = nearest_report(reports, instant.t)
                    if near is None:
                        continue
                    low, high = instant.range or (instant.count, instant.count)
                    row["occupancy"].append(
                        {
                            "region": polygon_name,
                            "t": instant.t,
                            "reported_at": near[0],
                            "count": near[1],
                            "truth": instant.count,
                            "within_1": count_within(near[1], low, high),
                        }
                    )
        files.append(row)
    if kind == INTRUSION:
        recall, precision = (
            (matched / truths if truths else 1.0),
            (matched / found if found else 1.0),
        )
        summary = {
            "region_entries": {"matched": matched, "alarms": found, "truth": truths},
            "seconds_to_alarm_worst": max(delays, default=0.0),
            "seconds_to_alarm_mean": sum(delays) / max(1, len(delays)),
            "recall": recall,
            "precision": precision,
        }
    else:
        summary = {
            "recall": counted_ok / counted_total if counted_total else 1.0,
            "precision": counted_ok / found if found else 1.0,
            "lines_exact": all(ln["exact"] for f in files for ln in f["lines"]),
            "occupancy_within_1": all(o["within_1"] for f in files for o in f["occupancy"]),
        }
    return Scored(summary, files, findings)


def _event_times(run: FileRun, event: str, key: str, name: str) -> list[float]:
    return [
        a.t
        for a in run.alarms
        for e in a.event_set
        if e.get("event") == event and e.get(key) == name
    ]


def line_counts(run: FileRun, name: str, a: tuple[int, int], b: tuple[int, int]) -> dict[str, int]:
    """Crossings counted per direction, in the ground truth's direction names."""
    forward, backward = ("down", "up") if a[1] == b[1] else ("L->R", "R->L")
    counted = {forward: 0, backward: 0}
    for alarm in run.alarms:
        if alarm.event_type != LINE_COUNT_EVENT_TYPE:
            continue
        for entry in alarm.event_set:
            if entry.get("line_id") == name:
                counted[forward] += int(entry["side1_count"])
                counted[backward] += int(entry["side2_count"])
    return counted


def region_counts(run: FileRun, name: str) -> list[tuple[float, int]]:
    return [
        (a.t, int(e["count"]))
        for a in run.alarms
        if a.event_type == REGION_COUNT_EVENT_TYPE
        for e in a.event_set
        if e.get("region_id") == name
    ]
