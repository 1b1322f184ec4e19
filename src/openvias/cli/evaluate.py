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
import re
from pathlib import Path
from typing import Annotated, Any

import typer

GOAL = re.compile(r"^(recall|precision)\s*>=\s*([0-9.]+)$")


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


def parse_sweep(text: str) -> tuple[str, list[int | float]]:
    """``KEY=LO:HI:STEP`` as the key and its values (integers when all three are)."""
    key, _, span = text.partition("=")
    parts = span.split(":")
    if not key.strip() or len(parts) != 3:
        raise ValueError(f"--sweep must be KEY=LO:HI:STEP (got {text!r})")
    if all(re.fullmatch(r"-?\d+", p.strip()) for p in parts):
        low, high, step = (int(p) for p in parts)
        if step <= 0 or high < low:
            raise ValueError("--sweep needs LO <= HI and STEP > 0")
        return key.strip(), list(range(low, high + 1, step))
    lo, hi, st = (float(p) for p in parts)
    if st <= 0 or hi < lo:
        raise ValueError("--sweep needs LO <= HI and STEP > 0")
    count = round((hi - lo) / st) + 1
    return key.strip(), [round(lo + i * st, 10) for i in range(count)]


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
    from openvias.cli.evaluation_scoring import kind_of
    from openvias.domain.datasets import DatasetError
    from openvias.engine.evaluation_data import load_dataset

    common: dict[str, Any] = {}
    if config is not None:
        try:
            parsed = json.loads(config)
        except ValueError as exc:
            return _fail(f"--config is not valid JSON: {exc}")
        if not isinstance(parsed, dict) or not isinstance(parsed.get("common", parsed), dict):
            return _fail("--config must be a JSON object (config.common)")
        common = dict(parsed.get("common", parsed))
    plugin = build_registry().get(service)
    kind = kind_of(service)
    if plugin is None or kind is None:
        return _fail(f"no algorithm serves {service!r}")
    goal_match = GOAL.match(goal.replace(" ", ""))
    if goal_match is None:
        return _fail(f"--goal must be recall>=X or precision>=X (got {goal!r})")
    try:
        key, values = parse_sweep(sweep) if sweep else ("", [])
        plugin.config_model.model_validate(common)
        for value in values:
            plugin.config_model.model_validate({**common, key: value})
    except ValueError as exc:
        from openvias.cli.analyze import describe_invalid

        return _fail(f"invalid configuration: {describe_invalid(exc)}")
    try:
        data = load_dataset(folder)
    except DatasetError as exc:
        return _fail(str(exc))
    section = data.smoke_fire if kind == "smoke_fire" else data.people
    if section is None:
        wanted = "smoke_fire" if kind == "smoke_fire" else "people"
        return _fail(f"{folder}: the data set has no {wanted!r} section for {service}")
    workers = jobs or len(os.sched_getaffinity(0))
    if not values:
        return _evaluate_once(folder, data, service, kind, common, out, workers)
    return _sweep(folder, data, service, kind, common, key, values, goal_match, out, workers)


def _evaluate_once(
    folder: Path,
    data: Any,
    service: str,
    kind: str,
    common: dict[str, Any],
    out: Path,
    workers: int,
) -> int:
    from openvias.cli.evaluation_report import write_report

    scored, failed = _score(folder, data, service, kind, common, workers, "")
    meta = {"dataset": str(folder), "service": service, "config": common}
    for line in write_report(out, folder, kind, meta, scored):
        typer.echo(line)
    typer.echo(f"report: {out / 'report.md'}", err=True)
    return 1 if failed else 0


def _score(
    folder: Path,
    data: Any,
    service: str,
    kind: str,
    common: dict[str, Any],
    workers: int,
    label: str,
) -> tuple[Any, bool]:
    from openvias.cli.evaluation_scoring import score_people, score_smoke_fire, target_roi
    from openvias.engine.evaluation_runner import FileRun

    items: list[tuple[str, dict[str, Any], bool]] = []
    if kind == "smoke_fire":
        items += [(name, common, False) for name in data.smoke_fire.videos]
        items += [(name, common, True) for name in data.smoke_fire.images]
    else:
        for name, clip in data.people.clips.items():
            items.append((name, {**common, "target_roi": target_roi(clip)}, False))
    runs: dict[str, FileRun] = _run_all(folder, service, items, workers, label)
    failed = False
    for run_ in runs.values():
        if run_.error:
            failed = True
            typer.echo(f"openvias: {run_.name}: {run_.error}", err=True)
    if kind == "smoke_fire":
        return score_smoke_fire(data, runs), failed
    return score_people(data, runs, kind), failed


def _run_all(
    folder: Path,
    service: str,
    items: list[tuple[str, dict[str, Any], bool]],
    workers: int,
    label: str,
) -> dict[str, Any]:
    from concurrent.futures import ProcessPoolExecutor, as_completed

    from openvias.engine.evaluation_runner import run_file

    runs: dict[str, Any] = {}
    with ProcessPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = [
            pool.submit(run_file, str(folder), name, service, common, picture)
            for name, common, picture in items
        ]
        for done, future in enumerate(as_completed(futures), start=1):
            result = future.result()
            runs[result.name] = result
            typer.echo(
                f"{label}[{done}/{len(items)}] {result.name}: {len(result.alarms)} "
                f"alarms ({result.wall_s:.1f} s)",
                err=True,
            )
    return runs


def _sweep(
    folder: Path,
    data: Any,
    service: str,
    kind: str,
    common: dict[str, Any],
    key: str,
    values: list[int | float],
    goal: re.Match[str],
    out: Path,
    workers: int,
) -> int:
    from openvias.cli.evaluation_report import headline, plot_sweep, write_report

    rows: list[dict[str, Any]] = []
    failed = False
    for value in values:
        config = {**common, key: value}
        scored, bad = _score(folder, data, service, kind, config, workers, f"{key}={value} ")
        failed |= bad
        meta = {"dataset": str(folder), "service": service, "config": config}
        write_report(out / f"{key}={value}", folder, kind, meta, scored)
        rows.append(
            {
                "value": value,
                "recall": scored.summary["recall"],
                "precision": scored.summary["precision"],
                "headline": headline(kind, scored.summary),
            }
        )
    metric, bar = goal.group(1), float(goal.group(2))
    other = "precision" if metric == "recall" else "recall"
    meeting = [i for i, r in enumerate(rows) if r[metric] >= bar]
    picked = max(meeting, key=lambda i: (rows[i][other], rows[i][metric]), default=None)
    plot_sweep(out / "sweep.png", key, rows, picked)
    choice = None if picked is None else {**common, key: rows[picked]["value"]}
    (out / "sweep.json").write_text(
        json.dumps(
            {"key": key, "goal": f"{metric}>={bar}", "rows": rows, "picked": choice}, indent=2
        )
        + "\n"
    )
    md = [
        f"# Sweep of `{key}`: {service} on `{folder}`",
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
        f"picked: {json.dumps(choice)}" if choice is not None else f"no value meets {goal.group(0)}"
    )
    return 1 if failed else 0
