"""``openvias analyze``: the engine's pipeline on one video, without a server.

Alarms (and the periodic counts of counting services) go to stdout, one VIAS envelope (with
``image_base64``) per line, as they are raised;
a progress bar goes to stderr when stderr is a terminal. Exit status: 0 when the video was
analysed to its end (or interrupted with Ctrl-C), 1 when it could not be read, 2 for bad
arguments.
"""

from __future__ import annotations

import json
import signal
import sys
import uuid
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from openvias.algorithms.registry import build_registry
from openvias.domain.roi import RoiError, parse_target_roi
from openvias.engine.job import Report, StreamJob
from openvias.engine.locate import NotPullable, resolve_address
from openvias.engine.media import MediaSource
from openvias.engine.pipeline import Pipeline, alarm_from_wire
from openvias.settings import Settings


def _fail(message: str, code: int = 2) -> int:
    typer.echo(f"openvias: error: {message}", err=True)
    return code


def _source(address: str, transport: str) -> MediaSource:
    if address.startswith("obs://"):
        return resolve_address(address, Settings())
    source = MediaSource.from_url(address)
    return MediaSource(url=source.url, live=source.live, rtsp_transport=transport)


def run_analysis(address: str, service: str, common: dict[str, Any], transport: str) -> int:
    registry = build_registry()
    plugin = registry.get(service)
    if plugin is None:
        known = ", ".join(registry.service_names)
        return _fail(f"no algorithm serves {service!r} (available: {known})")
    try:
        plugin.config_model.model_validate(common)
        if str(common.get("target_roi", "")).strip():
            parse_target_roi(str(common["target_roi"]))
    except (ValueError, RoiError) as exc:
        return _fail(f"invalid configuration: {' '.join(str(exc).split())}")
    try:
        source = _source(address, transport)
    except NotPullable as exc:
        return _fail(str(exc))
    job = StreamJob(
        task_id=uuid.uuid4().hex,
        project_id="local",
        service_name=service,
        url=source.url,
        live=source.live,
        rtsp_transport=source.rtsp_transport,
        common=common,
        stream_id=address,
        # The address comes from the operator's own command line, not from an API user.
        allow_private_targets=True,
    )
    with _ProgressSink(enabled=sys.stderr.isatty()) as sink:
        pipeline = Pipeline(job, sink, registry=registry)
        signal.signal(signal.SIGINT, lambda *_: pipeline.stop())
        signal.signal(signal.SIGTERM, lambda *_: pipeline.stop())
        final = pipeline.run()
    if final.kind == "failed":
        return _fail(final.message or "the analysis failed", code=1)
    return 0


class _ProgressSink:
    """Prints alarms to stdout and drives the progress bar from reports."""

    def __init__(self, *, enabled: bool) -> None:
        self.progress = Progress(
            TextColumn("analysing"),
            BarColumn(),
            TextColumn("{task.completed:.0f}/{task.total:.0f} s" if enabled else ""),
            TextColumn("{task.fields[alarms]} alarms"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
            disable=not enabled,
        )
        self.bar = self.progress.add_task("analyse", total=None, alarms=0)
        self.alarms = 0

    def __enter__(self) -> _ProgressSink:
        self.progress.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.progress.stop()

    def __call__(self, report: Report) -> None:
        if report.kind == "alarm" and report.alarm is not None:
            envelope = alarm_from_wire(report.alarm).envelope()
            sys.stdout.write(json.dumps(envelope, separators=(",", ":")) + "\n")
            sys.stdout.flush()
            self.alarms += 1
            self.progress.update(self.bar, alarms=self.alarms)
        elif report.kind == "state" and report.duration_ms:
            self.progress.update(self.bar, total=report.duration_ms / 1000)
        elif report.kind == "progress" and report.position_ms is not None:
            self.progress.update(self.bar, completed=report.position_ms / 1000)
