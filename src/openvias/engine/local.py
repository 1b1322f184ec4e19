"""The embedded engine: a reconciler and a stream supervisor inside ``openvias serve``.

Every ``tick`` seconds it compares what the database wants with what runs here:

- tasks that want running (``desired_state='running'`` in an analysing state) and that no
  live owner holds are claimed (a lease, ``research/scale-out.md`` §4) up to ``slots`` and
  started as stream processes — a task that was running when the server stopped is simply
  claimed again (its lease names this node), resuming a file at its checkpoint;
- streams whose task was stopped, deleted, reconfigured or restarted by the user are
  stopped (and restarted with the new configuration where it still wants running);
- every ``heartbeat`` seconds the leases are renewed; a stream whose lease was lost stops.

Stream reports become task states (epoch-checked), alarms (stored once, by message id) and
checkpoints. A stream process that crashes is restarted with exponential backoff; after
``max_crashes`` crashes in a row its task fails.

The engine runs as a background service of the API process (``create_app(background=...)``); a
distributed one (Celery workers holding the same leases) plugs in behind the same API.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from openvias.domain.clock import now_ms
from openvias.engine import stream_metrics
from openvias.engine.job import Report, StreamJob
from openvias.engine.jobs import build_job
from openvias.engine.pipeline import ANALYSIS_CRASHED, alarm_from_wire
from openvias.engine.supervisor import Supervisor
from openvias.metrics import ALARMS_STORED
from openvias.services.doorbell import DELIVERIES, ring
from openvias.services.node_names import stable_name
from openvias.services.scheduler import active_now
from openvias.settings import Settings
from openvias.store.db import transaction
from openvias.store.repositories.alarm_events import insert_alarm
from openvias.store.repositories.deliveries import enqueue_deliveries
from openvias.store.repositories.stream_leases import (
    WANTS_RUNNING,
    Lease,
    StreamLeaseRepository,
)

log = logging.getLogger(__name__)

TASKS_CHANGED = "tasks.changed"


@dataclass(frozen=True, slots=True)
class EngineTimings:
    tick: float = 0.25
    heartbeat: float = 5.0
    lease_ttl: float = 15.0
    checkpoint_every: float = 2.0
    crash_backoff_first: float = 1.0
    crash_backoff_max: float = 30.0
    max_crashes: int = 5


@dataclass
class _Local:
    """What this node knows about a task it runs."""

    lease: Lease
    revision: int
    announced_running: bool = False
    #: The last state its stream reported (logged when it changes, not at every retry).
    reported_state: str | None = None
    crashes: int = 0
    last_checkpoint: float = 0.0


def node_id(data_dir: Path) -> str:
    """A stable name for this node: a restarted server reclaims its own leases at once."""
    return stable_name(data_dir, "engine-node-id", "local")


class LocalEngine:
    def __init__(
        self,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        timings: EngineTimings | None = None,
        owner: str | None = None,
    ) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.timings = timings or EngineTimings()
        self.owner = owner or node_id(settings.data_dir)
        self.supervisor = Supervisor(self)
        self.local: dict[str, _Local] = {}
        #: task id -> monotonic time before which a crashed stream is not restarted.
        self.backoff_until: dict[str, float] = {}
        self.crashes: dict[str, int] = {}
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()

    async def run(self) -> None:
        """Reconcile until ``shutdown``; errors are logged, never fatal."""
        next_heartbeat = 0.0
        while not self._stopping.is_set():
            try:
                if time.monotonic() >= next_heartbeat:
                    await self._heartbeat()
                    next_heartbeat = time.monotonic() + self.timings.heartbeat
                await self._reconcile()
                self.supervisor.check_hangs()
            except Exception:
                log.exception("engine reconcile failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.timings.tick)
            self._wake.clear()

    async def shutdown(self) -> None:
        """Stop every stream; leases stay with this node, so a restart resumes them."""
        self._stopping.set()
        self._wake.set()
        stream_metrics.unregister()
        await self.supervisor.stop_all()

    # -- reconciling ------------------------------------------------------------------

    async def _reconcile(self) -> None:
        now = now_ms()
        async with transaction(self.sessionmaker) as session:
            leases = StreamLeaseRepository(session, self.owner)
            await leases.consume_outbox(TASKS_CHANGED, now)
            snapshots = await leases.snapshots(list(self.local))
        for task_id, known in list(self.local.items()):
            snapshot = snapshots.get(task_id)
            wants = (
                snapshot is not None
                and snapshot.desired_state == "running"
                and snapshot.state in WANTS_RUNNING
            )
            restarted = (
                snapshot is not None
                and known.announced_running
                and snapshot.state in ("PENDING", "STARTING")
            )
            if not wants or restarted or (snapshot and snapshot.revision != known.revision):
                await self._stop(task_id, release=True)
        free = self.settings.engine_slots - len(self.local)
        if free <= 0:
            return
        busy = set(self.local) | {
            t for t, until in self.backoff_until.items() if until > time.monotonic()
        }
        async with transaction(self.sessionmaker) as session:
            candidates = await StreamLeaseRepository(session, self.owner).claimable(now, busy, free)
        for task_id in candidates:
            await self._claim_and_start(task_id)

    async def _claim_and_start(self, task_id: str) -> None:
        ttl = int(self.timings.lease_ttl * 1000)
        async with transaction(self.sessionmaker) as session:
            leases = StreamLeaseRepository(session, self.owner)
            lease = await leases.claim(task_id, now_ms(), ttl)
            if lease is None:
                return
            built = await build_job(session, task_id, lease, self.settings)
            if built.error is not None:
                await leases.set_state(
                    task_id, lease.epoch, "FAILED", error=built.error, final=True
                )
                await leases.release(task_id, lease.epoch)
                return
            if not active_now(built.schedule):
                # Outside its window: the scheduler starts it when the window opens.
                await leases.set_state(task_id, lease.epoch, "SCHEDULING")
                await leases.release(task_id, lease.epoch)
                return
        assert built.job is not None
        self.local[task_id] = _Local(lease=lease, revision=built.revision)
        await self.supervisor.start(built.job)

    async def _stop(self, task_id: str, *, release: bool) -> None:
        known = self.local.pop(task_id, None)
        await self.supervisor.stop(task_id)
        if known is not None and release:
            async with transaction(self.sessionmaker) as session:
                await StreamLeaseRepository(session, self.owner).release(task_id, known.lease.epoch)

    async def _heartbeat(self) -> None:
        async with transaction(self.sessionmaker) as session:
            held = await StreamLeaseRepository(session, self.owner).renew(
                now_ms(), int(self.timings.lease_ttl * 1000)
            )
        for task_id, known in list(self.local.items()):
            if held.get(task_id) != known.lease.epoch:
                log.warning("lost the lease of task %s; stopping its stream", task_id)
                await self._stop(task_id, release=False)

    # -- reports from stream processes -----------------------------------------------

    async def on_report(self, job: StreamJob, report: Report) -> None:
        known = self.local.get(job.task_id)
        if known is None or known.lease.epoch != job.epoch:
            return
        if report.kind == "alarm" and report.alarm is not None:
            await self._store_alarm(job, report)
        elif report.kind == "state":
            await self._state(job, known, report)
        elif report.kind == "progress" and report.position_ms is not None:
            known.crashes = 0
            self.crashes.pop(job.task_id, None)
            if (
                not job.live
                and time.monotonic() - known.last_checkpoint >= self.timings.checkpoint_every
            ):
                known.last_checkpoint = time.monotonic()
                async with transaction(self.sessionmaker) as session:
                    await StreamLeaseRepository(session, self.owner).checkpoint(
                        job.task_id, job.epoch, report.position_ms, now_ms()
                    )

    async def _store_alarm(self, job: StreamJob, report: Report) -> None:
        assert report.alarm is not None
        alarm = alarm_from_wire(report.alarm)
        async with transaction(self.sessionmaker) as session:
            if not await StreamLeaseRepository(session, self.owner).holds(job.task_id, job.epoch):
                return  # fenced: a newer owner runs this task
            now = now_ms()
            stored = await insert_alarm(session, alarm, now)
            if stored:
                await enqueue_deliveries(session, alarm, job.output, now)
        if stored:
            for state in sorted({str(item.get("state", "")) for item in alarm.event_set}):
                ALARMS_STORED.labels(job.service_name, state).inc()
        ring(DELIVERIES)

    async def _state(self, job: StreamJob, known: _Local, report: Report) -> None:
        running = report.state == "running"
        error = (report.code or "", report.message or "") if not running else None
        if report.state != known.reported_state:
            known.reported_state = report.state
            if running:
                log.info("stream of task %s is running", job.task_id)
            else:  # the message names the source without its credentials (redact_url)
                log.warning("stream of task %s: %s %s", job.task_id, report.code, report.message)
        async with transaction(self.sessionmaker) as session:
            leases = StreamLeaseRepository(session, self.owner)
            await leases.set_state(
                job.task_id, job.epoch, "RUNNING" if running else "ABNORMAL", error=error
            )
            if job.video_source_id:
                await leases.set_source_status(
                    job.video_source_id, "online" if running else "abnormal"
                )
        known.announced_running = known.announced_running or running

    async def on_exit(self, job: StreamJob, final: Report | None, returncode: int) -> None:
        known = self.local.pop(job.task_id, None)
        if known is None or known.lease.epoch != job.epoch:
            return
        async with transaction(self.sessionmaker) as session:
            leases = StreamLeaseRepository(session, self.owner)
            if final is not None and final.kind == "finished":
                await leases.set_state(job.task_id, job.epoch, "SUCCEEDED", final=True)
            elif final is not None:
                error = (final.code or ANALYSIS_CRASHED, final.message or "analysis failed")
                await leases.set_state(job.task_id, job.epoch, "FAILED", error=error, final=True)
            else:
                crashes = self.crashes.get(job.task_id, 0) + 1
                self.crashes[job.task_id] = crashes
                if crashes >= self.timings.max_crashes:
                    message = f"the analysis process crashed {crashes} times (exit {returncode})"
                    await leases.set_state(
                        job.task_id,
                        job.epoch,
                        "FAILED",
                        error=(ANALYSIS_CRASHED, message),
                        final=True,
                    )
                else:
                    message = f"the analysis process exited with {returncode}; restarting it"
                    await leases.set_state(
                        job.task_id, job.epoch, "RECOVERING", error=(ANALYSIS_CRASHED, message)
                    )
                    delay = min(
                        self.timings.crash_backoff_max,
                        self.timings.crash_backoff_first * 2 ** (crashes - 1),
                    )
                    log.warning(
                        "stream of task %s exited with %s; restarting in %.0f s",
                        job.task_id,
                        returncode,
                        delay,
                    )
                    self.backoff_until[job.task_id] = time.monotonic() + delay
            await leases.release(job.task_id, job.epoch)
        self._wake.set()


class _AppResources(Protocol):
    settings: Settings
    sessionmaker: async_sessionmaker[AsyncSession]


def embedded_engine(app: _AppResources) -> LocalEngine:
    """The engine of ``openvias serve`` (a background service of the API process)."""
    engine = LocalEngine(app.settings, app.sessionmaker)
    collector = stream_metrics.EngineCollector(engine.supervisor, app.settings.engine_slots)
    stream_metrics.register(collector)
    return engine
