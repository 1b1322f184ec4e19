"""``openvias evaluate``: ``report.json``, ``report.md``, thumbnails and the sweep plot."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from openvias.engine.evaluation import headline, report_body
from openvias.engine.evaluation_runner import read_frame_at
from openvias.engine.evaluation_scoring import Finding, Scored

THUMB_SIDE = 480


def write_report(
    out: Path, data: Path, kind: str, meta: dict[str, Any], scored: Scored
) -> list[str]:
    """Write ``report.json``, ``report.md`` and the thumbnails; the headline lines."""
    out.mkdir(parents=True, exist_ok=True)
    lines = headline(kind, scored.summary)
    thumbs = [write_thumbnail(out, data, f) for f in scored.findings]
    body = report_body(meta, scored, thumbs)
    (out / "report.json").write_text(json.dumps(body, indent=2, default=str) + "\n")
    md = [f"# Evaluation: {meta['service']} on `{meta['dataset']}`", ""]
    md += [f"Configuration: `{json.dumps(meta['config'])}`", ""]
    md += [f"- {line}" for line in lines] + ["", "## Files", ""]
    md += ["| file | verdict | alarms | detail |", "|---|---|---|---|"]
    for row in scored.files:
        md.append(f"| `{row['file']}` | {_verdict(row)} | {_alarm_text(row)} | {_detail(row)} |")
    md += ["", "## Misses and false alarms", ""]
    if not scored.findings:
        md.append("None.")
    for finding, thumb in zip(scored.findings, thumbs, strict=True):
        where = "" if finding.picture else f" at {finding.t:.1f} s"
        md += [f"### {finding.what}: `{finding.file}`{where}", ""]
        md.append(f"![{finding.what}]({thumb})" if thumb else "(no picture could be read)")
        md.append("")
    (out / "report.md").write_text("\n".join(md) + "\n")
    return lines


def _verdict(row: dict[str, Any]) -> str:
    if row.get("error"):
        return f"ERROR: {row['error']}"
    if "passed" in row:
        return "pass" if row["passed"] else "FAIL"
    return ""


def _alarm_text(row: dict[str, Any]) -> str:
    if row["kind"] == "picture":
        return ", ".join(f"state {s}" for s in row["states"]) or "-"
    if "alarms" in row:
        return ", ".join(f"{a['t']:.1f} s" for a in row["alarms"]) or "-"
    return ""


def _detail(row: dict[str, Any]) -> str:
    parts = []
    for i in row.get("intervals", []):
        late = (
            "no alarm"
            if i["first_alarm"] is None
            else f"alarm after {i['seconds_to_alarm']:+.1f} s"
        )
        parts.append(f"visible {i['start']:.1f}-{i['end']:.1f} s: {late}")
    if row.get("false_alarms"):
        parts.append("false alarms at " + ", ".join(f"{t:.1f} s" for t in row["false_alarms"]))
    for r in row.get("regions", []):
        parts.append(
            f"region {r['region']}: {r['matched']}/{len(r['truth_starts'])} entries, "
            f"{len(r['alarms'])} alarms"
        )
    for line in row.get("lines", []):
        if "counted" in line:
            parts.append(f"line {line['line']}: {line['counted']} vs {line['truth']}")
        else:
            parts.append(f"line {line['line']}: {line['hit']}/{len(line['truth'])} crossings hit")
    for o in row.get("occupancy", []):
        parts.append(f"{o['region']} at {o['t']:.1f} s: {o['count']} vs {o['truth']}")
    return "; ".join(parts)


def write_thumbnail(out: Path, data: Path, finding: Finding) -> str:
    """The picture of a miss or false alarm with its boxes (red: alarm, green: truth)."""
    image: np.ndarray[Any, Any] | None = None
    if finding.jpeg:
        image = cv2.imdecode(np.frombuffer(finding.jpeg, np.uint8), cv2.IMREAD_COLOR)
    elif finding.picture:
        image = cv2.imread(str(data / finding.file), cv2.IMREAD_COLOR)
    else:
        image = read_frame_at(data / finding.file, finding.t)
    if image is None:
        return ""
    # Every thumbnail THUMB_SIDE on its longer side, so that small clips show their boxes.
    scale = THUMB_SIDE / max(image.shape[:2])
    shrink = cv2.INTER_AREA if scale < 1.0 else cv2.INTER_LINEAR
    image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=shrink)
    colour = (0, 0, 255) if finding.what == "false alarm" else (0, 200, 0)
    for box in finding.boxes:
        x, y, w, h = (round(int(box[k]) * scale) for k in ("x", "y", "w", "h"))
        # a white rim keeps the box visible on red or green scenes
        cv2.rectangle(image, (x - 2, y - 2), (x + w + 2, y + h + 2), (255, 255, 255), 1)
        cv2.rectangle(image, (x, y), (x + w, y + h), colour, 2)
    if finding.polygon:
        scaled = [(round(px * scale), round(py * scale)) for px, py in finding.polygon]
        points = np.array(scaled, np.int32).reshape(-1, 1, 2)
        cv2.polylines(image, [points], True, (0, 255, 255), 2)
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", finding.file)
    kind = "miss" if finding.what == "miss" else "false"
    name = f"thumbs/{stem}_{kind}_{finding.t:.1f}s.jpg"
    (out / "thumbs").mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(out / name), image, [cv2.IMWRITE_JPEG_QUALITY, 85])
    return name


def plot_sweep(path: Path, key: str, rows: list[dict[str, Any]], picked: int | None) -> None:
    """Precision (y) against recall (x), one labelled point per swept value (OpenCV)."""
    width, height, margin = 640, 480, 60
    canvas = np.full((height, width, 3), 255, np.uint8)
    x0, y0, x1, y1 = margin, height - margin, width - 20, 30

    def at(recall: float, precision: float) -> tuple[int, int]:
        return round(x0 + recall * (x1 - x0)), round(y0 - precision * (y0 - y1))

    for tick in range(11):
        gx, gy = at(tick / 10, tick / 10)
        cv2.line(canvas, (gx, y0), (gx, y1), (225, 225, 225), 1)
        cv2.line(canvas, (x0, gy), (x1, gy), (225, 225, 225), 1)
        if tick % 2 == 0:
            cv2.putText(
                canvas,
                f"{tick / 10:.1f}",
                (gx - 12, y0 + 18),
                cv2.FONT_HERSHEY_SIMPLEX,
                0.4,
                (0, 0, 0),
                1,
            )
            cv2.putText(
                canvas,
                f"{tick / 10:.1f}",
                (x0 - 32, gy + 4),
                cv2.FONT_HERSHEY_SIMPLEX,
                0.4,
                (0, 0, 0),
                1,
            )
    cv2.rectangle(canvas, (x0, y1), (x1, y0), (0, 0, 0), 1)
    cv2.putText(
        canvas,
        "recall",
        ((x0 + x1) // 2 - 20, height - 15),
        cv2.FONT_HERSHEY_SIMPLEX,
        0.5,
        (0, 0, 0),
        1,
    )
    cv2.putText(canvas, "precision", (5, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1)
    cv2.putText(
        canvas, f"sweep of {key}", (x0 + 100, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1
    )
    points = [at(r["recall"], r["precision"]) for r in rows]
    if len(points) > 1:
        cv2.polylines(
            canvas, [np.array(points, np.int32).reshape(-1, 1, 2)], False, (200, 80, 0), 2
        )
    for i, (point, row) in enumerate(zip(points, rows, strict=True)):
        colour = (0, 0, 255) if i == picked else (200, 80, 0)
        cv2.circle(canvas, point, 6 if i == picked else 4, colour, -1)
        cv2.putText(
            canvas,
            str(row["value"]),
            (point[0] + 6, point[1] - 6 - 12 * (i % 2)),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.4,
            colour,
            1,
        )
    cv2.imwrite(str(path), canvas)
