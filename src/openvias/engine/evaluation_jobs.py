"""Evaluation jobs on the engine: claim one, read its data set, evaluate it, store the report.

A background service of every engine (the embedded one of ``openvias serve`` and
``openvias worker``). It runs one job at a time: it claims the oldest waiting job (or one
whose lease expired, its engine gone) with a lease of the database clock, renews the lease
with the progress while the files run, and writes the report, the same body
``openvias evaluate`` writes (``engine/evaluation.py``), or FAILED with the reason. An OBS
data set is downloaded to ``data_dir/evaluations/<id>`` first and removed afterwards. When
the lease is lost (the job was deleted, or another engine took it over) the job stops
after the files in progress; on shutdown the job is handed back at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from openvias.algorithms.registry import build_registry
from openvias.domain.datasets import Dataset, DatasetError
from openvias.domain.evaluation_requests import (
    EvaluationPlan,
    EvaluationRequestError,
    plan_evaluation,
)
from openvias.engine.evaluation import (
    ConfigurationResult,
    dataset_section_problem,
    file_items,
    pick,
    report_body,
    score_configuration,
    sweep_body,
    sweep_rows,
)
from openvias.engine.evaluation_data import load_dataset
from openvias.engine.evaluation_runner import FileRun
from openvias.engine.local import node_id
from openvias.services.evaluations import allowed_folder
from openvias.services.object_store import ObjectStoreError, download_folder
from openvias.settings import Settings
from openvias.store.db import transaction
from openvias.store.models import Evaluation
from openvias.store.repositories.evaluations import FAILED, SUCCEEDED, EvaluationClaims
from openvias.store.repositories.workers import database_now_ms

log = logging.getLogger(__name__)

POLL_SECONDS = 2.0
_SHOWN_ERRORS = 5


class JobStopped(Exception):
    """The job's lease was lost or the engine stops: analyse no further file."""


class JobFailed(Exception):
    """The job cannot be evaluated; the message is its reason."""


@dataclass
class _Running:
    """The job this engine runs, as the evaluating thread and the lease loop share it."""

    id: str
    epoch: int
    done: int = 0
    total: int = 0
    stop: threading.Event = field(default_factory=threading.Event)

    def progress(self, _run: FileRun, _done: int, _total: int) -> None:
        self.done += 1
        if self.stop.is_set():
            raise JobStopped


class EvaluationWorker:
    def __init__(
        self,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        owner: str,
        *,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.owner = owner
        self.poll_seconds = poll_seconds
        self.ttl_ms = int(settings.lease_ttl_seconds * 1000)
        self.renew_seconds = settings.heartbeat_seconds
        self.running: _Running | None = None
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        """Claim and run jobs until ``shutdown``; errors are logged, never fatal."""
        while not self._stopping.is_set():
            try:
                job = await self._claim()
                if job is not None:
                    await self._run(job)
                    continue
            except Exception:
                log.exception("evaluation jobs: a pass failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.poll_seconds)

    async def shutdown(self) -> None:
        """Stop after the files in progress and hand the job back for another engine."""
        self._stopping.set()
        running = self.running
        if running is None:
            return
        running.stop.set()
        try:
            async with transaction(self.sessionmaker) as session:
                await EvaluationClaims(session, self.owner).release(running.id, running.epoch)
        except Exception:
            log.exception("could not hand evaluation %s back; its lease expires", running.id)

    async def _claim(self) -> Evaluation | None:
        async with transaction(self.sessionmaker) as session:
            now = await database_now_ms(session)
            return await EvaluationClaims(session, self.owner).claim_next(now, self.ttl_ms)

    async def _run(self, job: Evaluation) -> None:
        running = self.running = _Running(job.id, job.epoch)
        log.info("evaluation %s: %s on %s", job.id, job.service_name, _address(job.dataset))
        work = asyncio.create_task(asyncio.to_thread(self._evaluate, job, running))
        held = True
        while held and not work.done():
            await asyncio.wait({work}, timeout=self.renew_seconds)
            if not work.done():
                try:
                    held = await self._renew(running)
                except Exception:  # the database away a moment: the lease may still hold
                    log.exception("evaluation %s: renewing its lease failed", job.id)
        if not held:
            running.stop.set()
            log.warning("evaluation %s: lease lost (deleted or taken over); stopping", job.id)
        state, reason, report = FAILED, "", None
        try:
            state, reason, report = await work
        except JobStopped:
            self.running = None
            return
        except JobFailed as exc:
            reason = str(exc)
        except Exception as exc:
            log.exception("evaluation %s failed", job.id)
            reason = f"the evaluation failed: {type(exc).__name__}: {exc}"
        self.running = None
        async with transaction(self.sessionmaker) as session:
            now = await database_now_ms(session)
            await EvaluationClaims(session, self.owner).renew(
                job.id, job.epoch, now, self.ttl_ms, running.done, running.total
            )
            written = await EvaluationClaims(session, self.owner).finish(
                job.id, job.epoch, now, state=state, reason=reason or None, report=report
            )
        outcome = (state if written else "no longer held") + (f" ({reason})" if reason else "")
        log.info("evaluation %s: %s", job.id, outcome)

    async def _renew(self, running: _Running) -> bool:
        async with transaction(self.sessionmaker) as session:
            now = await database_now_ms(session)
            return await EvaluationClaims(session, self.owner).renew(
                running.id, running.epoch, now, self.ttl_ms, running.done, running.total
            )

    # -- in a thread ---------------------------------------------------------------------

    def _evaluate(self, job: Evaluation, running: _Running) -> tuple[str, str, dict[str, Any]]:
        plugin = build_registry().get(job.service_name)
        if plugin is None:
            raise JobFailed(f"no algorithm serves {job.service_name!r} on this engine")
        try:
            plan = plan_evaluation(
                job.service_name, plugin.config_model, job.config, job.sweep, job.goal
            )
        except EvaluationRequestError as exc:
            raise JobFailed(exc.message) from None
        address = _address(job.dataset)
        scratch = self.settings.data_dir / "evaluations" / job.id
        try:
            folder = self._folder(job.dataset, scratch)
            try:
                data = load_dataset(folder)
            except DatasetError as exc:
                raise JobFailed(str(exc).replace(str(folder), address.rstrip("/"))) from None
            problem = dataset_section_problem(data, plan.kind, plan.service)
            if problem is not None:
                raise JobFailed(f"{address}: {problem}")
            configurations = plan.configurations()
            running.total = len(file_items(data, plan.kind, plan.common)) * len(configurations)
            results = [
                self._score(folder, data, plan, common, running) for common in configurations
            ]
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        return SUCCEEDED, _errors_reason(results), _report(plan, address, results)

    def _folder(self, dataset: dict[str, Any], scratch: Path) -> Path:
        if dataset.get("type") == "file":
            folder = allowed_folder(Path(str(dataset.get("path", ""))).as_uri(), self.settings)
            if folder is None:
                raise JobFailed(f"{dataset.get('path')} is outside OPENVIAS_FILE_ROOTS")
            return folder
        bucket, prefix = str(dataset.get("bucket", "")), str(dataset.get("prefix", ""))
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir(parents=True)
        try:
            count = download_folder(self.settings, bucket, prefix, scratch)
        except ObjectStoreError as exc:
            raise JobFailed(str(exc)) from None
        if count == 0:
            raise JobFailed(f"obs://{bucket}/{prefix} holds no objects")
        return scratch

    def _score(
        self,
        folder: Path,
        data: Dataset,
        plan: EvaluationPlan,
        common: dict[str, Any],
        running: _Running,
    ) -> ConfigurationResult:
        workers = len(os.sched_getaffinity(0))
        return score_configuration(
            folder,
            data,
            plan.service,
            plan.kind,
            common,
            workers=workers,
            progress=running.progress,
        )


def _address(dataset: dict[str, Any]) -> str:
    if dataset.get("type") == "obs":
        return f"obs://{dataset.get('bucket', '')}/{dataset.get('prefix', '')}"
    return str(dataset.get("path", ""))


def _report(
    plan: EvaluationPlan, address: str, results: list[ConfigurationResult]
) -> dict[str, Any]:
    """The body of ``report.json``, or with a sweep that of ``sweep.json`` plus one report
    per value (``reports``); the API keeps no thumbnails."""
    reports = [
        report_body(
            {"dataset": address, "service": plan.service, "config": result.common},
            result.scored,
            [""] * len(result.scored.findings),
        )
        for result in results
    ]
    if plan.sweep_values:
        rows = sweep_rows(plan, results)
        body = {**sweep_body(plan, rows, pick(rows, plan.goal)), "reports": reports}
    else:
        body = reports[0]
    # The JSON the CLI writes (``default=str`` as there), so that both read back the same.
    stored: dict[str, Any] = json.loads(json.dumps(body, default=str))
    return stored


def _errors_reason(results: list[ConfigurationResult]) -> str:
    failed = [run for result in results for run in result.errors]
    if not failed:
        return ""
    shown = "; ".join(f"{run.name}: {run.error}" for run in failed[:_SHOWN_ERRORS])
    more = f" and {len(failed) - _SHOWN_ERRORS} more" if len(failed) > _SHOWN_ERRORS else ""
    return f"{len(failed)} files could not be analysed (scored as no alarm): {shown}{more}"


class _AppResources(Protocol):
    settings: Settings
    sessionmaker: async_sessionmaker[AsyncSession]


def embedded_evaluations(app: _AppResources) -> EvaluationWorker:
    """The evaluation jobs of ``openvias serve``'s embedded engine (its node id as owner)."""
    return EvaluationWorker(app.settings, app.sessionmaker, node_id(app.settings.data_dir))
