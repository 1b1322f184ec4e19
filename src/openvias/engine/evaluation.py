"""One evaluation of a labelled folder, shared by ``openvias evaluate`` and evaluation jobs.

Every file of the data set runs in a worker process through the engine's ``Pipeline``
(``engine/evaluation_runner.py``) and the alarms are scored with the one scoring
implementation (``engine/evaluation_scoring.py`` over ``domain/evaluation.py``). The CLI
writes what this returns to files (``cli/evaluation_report.py``); an evaluation job stores
it (``engine/evaluation_jobs.py``). Both build the report body with :func:`report_body`.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openvias.domain.datasets import Dataset
from openvias.domain.evaluation_requests import SMOKE_FIRE, EvaluationPlan, Goal
from openvias.engine.evaluation_runner import FileRun, run_file
from openvias.engine.evaluation_scoring import (
    Scored,
    score_people,
    score_smoke_fire,
    target_roi,
)

#: Called after each file: the run, how many are done, how many there are.
Progress = Callable[[FileRun, int, int], None]


@dataclass(slots=True)
class ConfigurationResult:
    """One configuration over the whole data set."""

    common: dict[str, Any]
    scored: Scored
    runs: dict[str, FileRun]

    @property
    def errors(self) -> list[FileRun]:
        return [run for run in self.runs.values() if run.error]


def dataset_section_problem(data: Dataset, kind: str, service: str) -> str | None:
    """Why ``data`` has nothing for ``service`` to be scored on, or None."""
    section = data.smoke_fire if kind == SMOKE_FIRE else data.people
    if section is None:
        wanted = "smoke_fire" if kind == SMOKE_FIRE else "people"
        return f"the data set has no {wanted!r} section for {service}"
    return None


def file_items(
    data: Dataset, kind: str, common: dict[str, Any]
) -> list[tuple[str, dict[str, Any], bool]]:
    """(file, config.common, is a picture) for every file the configuration runs on."""
    if kind == SMOKE_FIRE:
        assert data.smoke_fire is not None
        return [(name, common, False) for name in data.smoke_fire.videos] + [
            (name, common, True) for name in data.smoke_fire.images
        ]
    assert data.people is not None
    return [
        (name, {**common, "target_roi": target_roi(clip)}, False)
        for name, clip in data.people.clips.items()
    ]


def score_configuration(
    folder: Path,
    data: Dataset,
    service: str,
    kind: str,
    common: dict[str, Any],
    *,
    workers: int,
    progress: Progress,
) -> ConfigurationResult:
    """Every file of ``data`` analysed with ``common`` and scored."""
    items = file_items(data, kind, common)
    runs: dict[str, FileRun] = {}
    # Forked from a clean fork server, never from this process: its threads (OpenCV's pool
    # after a report's thumbnails, a server's connections) would leave locks held in the
    # child, which then hangs at its first OpenCV call.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["openvias.engine.evaluation_runner"])
    with ProcessPoolExecutor(max_workers=max(1, workers), mp_context=context) as pool:
        futures = [
            pool.submit(run_file, str(folder), name, service, config, picture)
            for name, config, picture in items
        ]
        try:
            for done, future in enumerate(as_completed(futures), start=1):
                result = future.result()
                runs[result.name] = result
                progress(result, done, len(items))
        except BaseException:
            # ``progress`` may stop the evaluation: the files not started are not run.
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    if kind == SMOKE_FIRE:
        return ConfigurationResult(common, score_smoke_fire(data, runs), runs)
    return ConfigurationResult(common, score_people(data, runs, kind), runs)


def headline(kind: str, summary: dict[str, Any]) -> list[str]:
    """The figures in the words of the benchmarks (``benchmarks/*_accuracy.py``)."""
    if kind == SMOKE_FIRE:
        v, p = summary["videos"], summary["pictures"]
        return [
            f"clips: {v['alarmed_in_time']}/{v['positive']} positive clips alarmed within "
            f"{v['deadline_s']:.0f} s; {v['negative_alarmed']}/{v['negative']} negative clips "
            "alarmed",
            f"images: recall {p['recall']:.1%} ({p['tp']}/{p['tp'] + p['fn']}), false-positive "
            f"rate {p['false_positive_rate']:.1%} ({p['fp']}/{p['fp'] + p['tn']}), precision "
            f"{p['precision']:.1%}",
            f"alarms: precision {v['alarm_precision']:.1%} ({v['true_alarms']} true, "
            f"{v['false_alarms']} false), {v['false_alarms_per_hour']:.1f} false alarms per hour "
            f"of negative video ({v['negative_hours'] * 3600:.0f} s)",
        ]
    if "region_entries" in summary:
        e = summary["region_entries"]
        return [
            f"region entries: recall {summary['recall']:.0%}, precision "
            f"{summary['precision']:.0%} ({e['matched']} matched of {e['truth']} entries, "
            f"{e['alarms']} alarms)",
            f"entry -> alarm: worst {summary['seconds_to_alarm_worst']:+.1f} s, mean "
            f"{summary['seconds_to_alarm_mean']:+.1f} s",
        ]
    return [
        f"line counts exact: {'yes' if summary['lines_exact'] else 'NO'}; occupancy within "
        f"+-1: {'yes' if summary['occupancy_within_1'] else 'NO'}",
        f"crossings: recall {summary['recall']:.0%}, precision {summary['precision']:.0%}",
    ]


def report_body(meta: dict[str, Any], scored: Scored, thumbnails: list[str]) -> dict[str, Any]:
    """``report.json``: the request (``meta``), the totals, every file and every finding."""
    return {
        **meta,
        "summary": scored.summary,
        "files": scored.files,
        "findings": [
            {"file": f.file, "what": f.what, "t": f.t, "thumbnail": t}
            for f, t in zip(scored.findings, thumbnails, strict=True)
        ],
    }


def sweep_rows(plan: EvaluationPlan, results: list[ConfigurationResult]) -> list[dict[str, Any]]:
    return [
        {
            "value": value,
            "recall": result.scored.summary["recall"],
            "precision": result.scored.summary["precision"],
            "headline": headline(plan.kind, result.scored.summary),
        }
        for value, result in zip(plan.sweep_values, results, strict=True)
    ]


def pick(rows: list[dict[str, Any]], goal: Goal) -> int | None:
    """The row meeting the goal with the best other figure; among equals the first."""
    other = "precision" if goal.metric == "recall" else "recall"
    meeting = [i for i, r in enumerate(rows) if r[goal.metric] >= goal.bar]
    return max(meeting, key=lambda i: (rows[i][other], rows[i][goal.metric]), default=None)


def sweep_body(
    plan: EvaluationPlan, rows: list[dict[str, Any]], picked: int | None
) -> dict[str, Any]:
    """``sweep.json``: the key, the goal, one row per value and the picked configuration."""
    choice = None if picked is None else {**plan.common, plan.sweep_key: rows[picked]["value"]}
    return {"key": plan.sweep_key, "goal": plan.goal.text, "rows": rows, "picked": choice}
