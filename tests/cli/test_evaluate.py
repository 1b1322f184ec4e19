"""``openvias evaluate``: a labelled data set through the engine's pipeline, scored."""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import cv2
import numpy as np
import pytest

from openvias.domain.evaluation import Interval, score_video
from tests.cli.test_admin import assert_fails
from tests.engine.clips import write_clip

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"


def evaluate(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "openvias", "evaluate", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two clips (a growing flame, a steady orange lamp) and two pictures, hand labelled."""
    folder = tmp_path_factory.mktemp("tiny")
    (folder / "clips").mkdir()
    write_clip(folder / "clips" / "flame.mp4", 8, flame=True)
    write_clip(folder / "clips" / "lamp.mp4", 6, flame=False)
    (folder / "pictures").mkdir()
    grey = np.full((240, 320, 3), 128, np.uint8)
    cv2.imwrite(str(folder / "pictures" / "grey.png"), grey)
    cv2.imwrite(str(folder / "pictures" / "grey-too.png"), grey)
    dataset = {
        "format": "openvias-dataset/1",
        "smoke_fire": {
            "deadline_s": 3,
            "videos": {
                # flames from 2 s: an alarm before that is a false alarm
                "clips/flame.mp4": {"intervals": [{"start": 2.0, "end": None}]},
                "clips/lamp.mp4": {"intervals": []},
            },
            # a grey picture labelled positive: a miss, pictured
            "images": {"pictures/grey.png": "positive", "pictures/grey-too.png": "negative"},
        },
    }
    (folder / "dataset.json").write_text(json.dumps(dataset))
    return folder


def test_the_report_holds_what_the_scoring_gives_for_the_truth(tiny: Path, tmp_path: Path) -> None:
    done = evaluate(tiny, "--out", tmp_path, "--jobs", "2")
    assert done.returncode == 0, done.stderr
    assert "[4/4]" in done.stderr  # progress per file on stderr
    report = json.loads((tmp_path / "report.json").read_text())
    rows = {row["file"]: row for row in report["files"]}
    flame, lamp = rows["clips/flame.mp4"], rows["clips/lamp.mp4"]
    assert flame["alarms"], "the synthetic flame raises an alarm"
    expected = {
        name: score_video(
            [a["t"] for a in row["alarms"]],
            [Interval(i["start"], row["duration_s"]) for i in row["intervals"]],
            row["duration_s"],
            deadline_s=3,
        )
        for name, row in rows.items()
        if row["kind"] == "video"
    }
    for name, score in expected.items():
        assert rows[name]["passed"] == score.passed
        assert rows[name]["false_alarms"] == list(score.false_alarms)
    flame_score = expected["clips/flame.mp4"]
    assert flame["intervals"][0]["first_alarm"] == flame_score.intervals[0].first_alarm
    videos = report["summary"]["videos"]
    assert videos["positive"] == 1
    assert videos["negative"] == 1
    assert videos["alarmed_in_time"] == int(flame_score.passed)
    assert videos["negative_alarmed"] == int(bool(lamp["alarms"]))
    true_alarms = sum(len(s.true_alarms) for s in expected.values())
    assert videos["true_alarms"] == true_alarms
    pictures = report["summary"]["pictures"]
    assert (pictures["tp"], pictures["fn"], pictures["fp"], pictures["tn"]) == (0, 1, 0, 1)
    # every miss and false alarm is pictured and linked from the Markdown
    findings = report["findings"]
    assert {"file": "pictures/grey.png", "what": "miss"}.items() <= findings[-1].items()
    markdown = (tmp_path / "report.md").read_text()
    for finding in findings:
        assert (tmp_path / finding["thumbnail"]).is_file()
        assert f"]({finding['thumbnail']})" in markdown
    assert "images: recall 0.0% (0/1)" in done.stdout


def test_a_sweep_tabulates_each_value_and_picks_one_meeting_the_goal(
    tiny: Path, tmp_path: Path
) -> None:
    done = evaluate(
        tiny,
        "--out",
        tmp_path,
        "--sweep",
        "openvias_fire_confirm_samples=2:4:2",
        "--goal",
        "precision>=0.5",
    )
    assert done.returncode == 0, done.stderr
    sweep = json.loads((tmp_path / "sweep.json").read_text())
    assert [row["value"] for row in sweep["rows"]] == [2, 4]
    for row in sweep["rows"]:
        single = json.loads(
            (tmp_path / f"openvias_fire_confirm_samples={row['value']}" / "report.json").read_text()
        )
        assert row["recall"] == single["summary"]["recall"]
    meeting = [r for r in sweep["rows"] if r["precision"] >= 0.5]
    best = max(meeting, key=lambda r: r["recall"], default=None)
    picked = sweep["picked"]
    assert (picked or {}).get("openvias_fire_confirm_samples") == (best or {}).get("value")
    assert cv2.imread(str(tmp_path / "sweep.png")) is not None


def test_a_bad_data_set_file_names_the_file_the_key_and_the_problem(tmp_path: Path) -> None:
    (tmp_path / "a.mp4").write_bytes(b"")
    bad = {"smoke_fire": {"videos": {"a.mp4": {"intervals": [{"start": 5, "end": 2}]}}}}
    (tmp_path / "dataset.json").write_text(json.dumps(bad))
    line = assert_fails(evaluate(tmp_path), "dataset.json", "smoke_fire.videos.a.mp4.intervals.0")
    assert "end (2" in line
    assert "before start (5" in line
    bad["smoke_fire"]["images"] = {"b.jpg": "maybe"}  # type: ignore[dict-item]
    (tmp_path / "dataset.json").write_text(json.dumps(bad))
    assert_fails(evaluate(tmp_path), "smoke_fire.images.b.jpg", "'positive' or 'negative'")
    (tmp_path / "dataset.json").write_text(
        json.dumps({"smoke_fire": {"videos": {"gone.mp4": {"intervals": []}}}})
    )
    assert_fails(evaluate(tmp_path), "dataset.json", "gone.mp4", "not in the folder")
    (tmp_path / "dataset.json").write_text("{not json")
    assert_fails(evaluate(tmp_path), "dataset.json", "invalid json")


def _fire_benchmark() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "fire_accuracy", ROOT / "benchmarks" / "fire_accuracy.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


SUBSET = (
    "fire/emoy-kim_test2.mp4",
    "nofire/gitihm_111.mp4",
    "fire/images/cair_fire_14.jpg",
    "nofire/images/cair_normal_red_room_sml.jpg",
)


def test_a_subset_of_the_shared_data_scores_as_the_benchmark_does(tmp_path: Path) -> None:
    if not (SHARED / "labels.csv").is_file():
        pytest.skip(f"no evaluation data at {SHARED} (internal material, not in the repository)")
    folder = tmp_path / "data"
    with (SHARED / "labels.csv").open(newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["file"] in SUBSET]
    for name in SUBSET:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(SHARED / name, folder / name)
    with (folder / "labels.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    done = evaluate(folder, "--out", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads((tmp_path / "out" / "report.json").read_text())
    verdicts = {row["file"]: row["passed"] for row in report["files"]}
    bench = _fire_benchmark()
    for name in SUBSET[:2]:
        result = bench.run_clip(SHARED / name, name.startswith("fire/"), 0.0, bench.BURST, False)
        assert verdicts[name] == result.passed, name
    for name in SUBSET[2:]:
        alarmed = bool(bench.run_image(SHARED / name))
        assert verdicts[name] == (alarmed == name.startswith("fire/")), name


def test_the_schema_and_the_documented_example_agree_with_the_loader(tiny: Path) -> None:
    import jsonschema  # type: ignore[import-untyped]

    from openvias.domain.datasets import json_schema, parse_dataset

    validator = jsonschema.Draft202012Validator(json_schema())
    validator.validate(json.loads((tiny / "dataset.json").read_text()))
    bad = {"smoke_fire": {"images": {"a.jpg": "maybe"}}}
    assert not validator.is_valid(bad)
    guide = (ROOT / "docs" / "evaluate.md").read_text()
    example = guide.split("```json\n", 1)[1].split("```", 1)[0]
    validator.validate(json.loads(example))
    dataset = parse_dataset(example, "docs/evaluate.md")
    assert dataset.smoke_fire is not None
    assert dataset.smoke_fire.videos["lobby/2024-03-01.mp4"].intervals[1].end is None
