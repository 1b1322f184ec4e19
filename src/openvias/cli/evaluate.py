"""``openvias evaluate``: an algorithm on a labelled data set, scored (``docs/evaluate.md``).

Every file runs in a worker process (``--jobs``, default the cores available) through the
engine's own ``Pipeline`` (pictures: see ``engine/evaluation_runner.py``); progress goes to
stderr, the headline figures to stdout, and ``report.json``, ``report.md`` and thumbnails of
every miss and false alarm to ``--out``. ``--sweep KEY=LO:HI:STEP`` runs the data set once
per value of one configuration key and adds a precision/recall table, ``sweep.png`` and the
value that meets ``--goal``. Exit status: 0 done, 1 a file could not be analysed, 2 bad
arguments or data set.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from openvias.domain.datasets import Dataset
    from openvias.domain.evaluation_requests import EvaluationPlan
    from openvias.engine.evaluation import ConfigurationResult
    from openvias.engine.evaluation_runner import FileRun


def evaluate(
    dataset: Annotated[
        Path | None, typer.Argument(metavar="DATASET", help="Data set folder.")
    ] = None,
    service: Annotated[str, typer.Option(help="Algorithm service.")] = "c-smoke-and-fire-cloud",
    config: Annotated[str | None, typer.Option(help="config.common as JSON.")] = None,
    sweep: Annotated[str | None, typer.Option(help="KEY=LO:HI:STEP, one run per value.")] = None,
    goal: Annotated[str, typer.Option(help="recall>=X or precision>=X.")] = "recall>=0.9",
    out: Annotated[Path, typer.Option(help="Report folder.")] = Path("evaluation"),
    jobs: Annotated[int, typer.Option(help="Worker processes (0: the cores).")] = 0,
    schema: Annotated[bool, typer.Option(help="Print the data set JSON Schema.")] = False,
) -> None:
    """Score an algorithm on a labelled data set: report.json, report.md, thumbnails."""
    if schema:
        from openvias.domain.datasets import json_schema

        typer.echo(json.dumps(json_schema(), indent=2))
        return
    if dataset is None:
        raise typer.Exit(code=_fail("missing the DATASET folder (see 'openvias evaluate --help')"))
    raise typer.Exit(code=run(dataset, service, config, sweep, goal, out, jobs))


def _fail(message: str, code: int = 2) -> int:
    typer.echo(f"openvias: error: {message}", err=True)
    return code


def run(
    folder: Path,
    service: str,
    config: str | None,
    sweep: str | None,
    goal: str,
    out: Path,
    jobs: int,
) -> int:
    from openvias.algorithms.registry import build_registry
    from openvias.domain.datasets import DatasetError
    from openvias.domain.evaluation_requests import EvaluationRequestError, plan_evaluation
    from openvias.engine.evaluation import dataset_section_problem
    from openvias.engine.evaluation_data import load_dataset

    parsed: Any = None
    if config is not None:
        try:
            parsed = json.loads(config)
        except ValueError as exc:
            return _fail(f"--config is not valid JSON: {exc}")
    plugin = build_registry().get(service)
    if plugin is None:
        return _fail(f"no algorithm serves {service!r}")
    try:
        plan = plan_evaluation(service, plugin.config_model, parsed, sweep, goal)
    except EvaluationRequestError as exc:
        return _fail(exc.message)
    try:
        data = load_dataset(folder)
    except DatasetError as exc:
        return _fail(str(exc))
    problem = dataset_section_problem(data, plan.kind, service)
    if problem is not None:
        return _fail(f"{folder}: {problem}")
    workers = jobs or len(os.sched_getaffinity(0))
    if not plan.sweep_values:
        return _evaluate_once(folder, data, plan, out, workers)
    return _sweep(folder, data, plan, out, workers)


def _evaluate_once(
    folder: Path, data: Dataset, plan: EvaluationPlan, out: Path, workers: int
) -> int:
    from openvias.cli.evaluation_report import write_report

    result = _score(folder, data, plan, plan.common, workers, "")
    meta = {"dataset": str(folder), "service": plan.service, "config": plan.common}
    for line in write_report(out, folder, plan.kind, meta, result.scored):
        typer.echo(line)
    typer.echo(f"report: {out / 'report.md'}", err=True)
    return 1 if result.errors else 0


def _score(
    folder: Path,
    data: Dataset,
    plan: EvaluationPlan,
    common: dict[str, Any],
    workers: int,
    label: str,
) -> ConfigurationResult:
    from openvias.engine.evaluation import score_configuration

    def progress(run_: FileRun, done: int, total: int) -> None:
        typer.echo(
            f"{label}[{done}/{total}] {run_.name}: {len(run_.alarms)} alarms ({run_.wall_s:.1f} s)",
            err=True,
        )

    result = score_configuration(
        folder, data, plan.service, plan.kind, common, workers=workers, progress=progress
    )
    for run_ in result.errors:
        typer.echo(f"openvias: {run_.name}: {run_.error}", err=True)
    return result


def _sweep(folder: Path, data: Dataset, plan: EvaluationPlan, out: Path, workers: int) -> int:
    from openvias.cli.evaluation_report import plot_sweep, write_report
    from openvias.engine.evaluation import pick, sweep_body, sweep_rows

    key = plan.sweep_key
    results = []
    for value, config in zip(plan.sweep_values, plan.configurations(), strict=True):
        result = _score(folder, data, plan, config, workers, f"{key}={value} ")
        meta = {"dataset": str(folder), "service": plan.service, "config": config}
        write_report(out / f"{key}={value}", folder, plan.kind, meta, result.scored)
        results.append(result)
    rows = sweep_rows(plan, results)
    picked = pick(rows, plan.goal)
    plot_sweep(out / "sweep.png", key, rows, picked)
    body = sweep_body(plan, rows, picked)
    choice = body["picked"]
    (out / "sweep.json").write_text(json.dumps(body, indent=2) + "\n")
    metric, bar = plan.goal.metric, plan.goal.bar
    md = [
        f"# Sweep of `{key}`: {plan.service} on `{folder}`",
        "",
        f"Goal: {metric} >= {bar}",
        "",
        "| value | recall | precision | report |",
        "|---|---|---|---|",
    ]
    for i, r in enumerate(rows):
        mark = " **picked**" if i == picked else ""
        md.append(
            f"| {r['value']}{mark} | {r['recall']:.1%} | {r['precision']:.1%} | "
            f"[report]({key}={r['value']}/report.md) |"
        )
    md += ["", "![precision against recall](sweep.png)", ""]
    md.append(
        f"Picked configuration: `{json.dumps(choice)}`"
        if choice is not None
        else f"No value meets {metric} >= {bar}."
    )
    (out / "report.md").parent.mkdir(parents=True, exist_ok=True)
    (out / "report.md").write_text("\n".join(md) + "\n")
    for r in rows:
        typer.echo(f"{key}={r['value']}: recall {r['recall']:.1%}, precision {r['precision']:.1%}")
    typer.echo(
        f"picked: {json.dumps(choice)}"
        if choice is not None
        else f"no value meets {plan.goal.text}"
    )
    return 1 if any(result.errors for result in results) else 0
