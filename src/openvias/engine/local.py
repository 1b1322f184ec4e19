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

The engine runs as a background service of the API process (``create_app(background=...)``)
or alone in ``openvias worker`` (``engine/worker.py``): every engine registers in
``engine_workers`` at its heartbeat, claims only tasks of its pool, and takes its fair share
of them (``engine/assignment.py``). Lease times are of the database clock: each heartbeat
measures the offset of this machine's clock to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from openvias import __version__
from openvias.domain.clock import now_ms
from openvias.engine import assignment, stream_metrics
from openvias.engine.job import Report, StreamCounters, StreamJob
from openvias.engine.jobs import build_job
from openvias.engine.pipeline import ANALYSIS_CRASHED, alarm_from_wire
from openvias.engine.stream_health import StreamHealth
from openvias.engine.supervisor import Supervisor
from openvias.metrics import ALARMS_STORED, DETECTOR_LATENCY_SECONDS
from openvias.services.doorbell import DELIVERIES, ring
from openvias.services.node_names import stable_name
from openvias.services.scheduler import active_now
from openvias.settings import Settings
from openvias.store.db import transaction
from openvias.store.models.workers import DEFAULT_POOL
from openvias.store.outage import DatabaseOutage, database_unreachable, until_written
from openvias.store.repositories import workers
from openvias.store.repositories.alarm_events import insert_alarm
from openvias.store.repositories.deliveries import enqueue_deliveries
from openvias.store.repositories.stream_leases import (
    WANTS_RUNNING,
    Lease,
    StreamHealthRecord,
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

    @classmethod
    def from_settings(cls, settings: Settings) -> EngineTimings:
        return cls(
            tick=settings.engine_tick_seconds,
            heartbeat=settings.heartbeat_seconds,
            lease_ttl=settings.lease_ttl_seconds,
        )


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
    video_source_id: str | None = None


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
        pool: str = DEFAULT_POOL,
        hand_over_on_shutdown: bool = False,
    ) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.timings = timings or EngineTimings.from_settings(settings)
        self.owner = owner or node_id(settings.data_dir)
        self.pool = pool
        #: ``openvias worker``: a shutdown releases the leases so others take over at once;
        #: the embedded engine keeps them, so that its restart resumes its own streams.
        self.hand_over_on_shutdown = hand_over_on_shutdown
        self.identity = workers.WorkerInfo(
            self.owner, pool, settings.engine_slots, socket.gethostname(), os.getpid(), __version__
        )
        self.draining = False
        #: Database clock minus this machine's, measured at every heartbeat (ms).
        self.clock_offset_ms = 0
        self.supervisor = Supervisor(self)
        self.local: dict[str, _Local] = {}
        #: task id -> monotonic time before which a crashed stream is not restarted.
        self.backoff_until: dict[str, float] = {}
        self.crashes: dict[str, int] = {}
        #: task id -> how its stream does; kept across crash restarts, dropped on a stop.
        self.health: dict[str, StreamHealth] = {}
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()
        #: A database restart: streams keep running, their reports wait until it is back.
        self.outage = DatabaseOutage(log, "the engine keeps its streams running")

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
                self.outage.answered()
            except Exception as exc:
                if database_unreachable(exc):
                    self.outage.failed(exc)
                else:
                    log.exception("engine reconcile failed; retrying")
            wait = self.outage.retry_delay() if self.outage.down else self.timings.tick
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)
            self._wake.clear()

    async def shutdown(self) -> None:
        """Stop every stream. The embedded engine keeps its leases, so a restart resumes
        them; a worker (``hand_over_on_shutdown``) releases them and leaves the pool."""
        self._stopping.set()
        self.draining = True
        self._wake.set()
        stream_metrics.unregister()
        await self.supervisor.stop_all()
        if not self.hand_over_on_shutdown:
            return
        held = list(self.local.items())
        self.local.clear()
        try:
            async with transaction(self.sessionmaker) as session:
                leases = StreamLeaseRepository(session, self.owner)
                for task_id, known in held:
                    await leases.release(task_id, known.lease.epoch)
                await workers.unregister(session, self.owner)
        except Exception:
            log.exception("could not release the leases: others take them when they expire")
            return
        log.info("handed over %d streams and left pool %s", len(held), self.pool)

    def now(self) -> int:
        """Epoch ms of the database clock (as of the last heartbeat's measure)."""
        return now_ms() + self.clock_offset_ms

    # -- reconciling ------------------------------------------------------------------

    async def _reconcile(self) -> None:
        now = self.now()
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
        if free <= 0 or self.draining:
            return
        busy = set(self.local) | {
            t for t, until in self.backoff_until.items() if until > time.monotonic()
        }
        async with transaction(self.sessionmaker) as session:
            candidates = await StreamLeaseRepository(session, self.owner).claimable(
                now, busy, free, workers.pool_tasks(self.pool)
            )
            if candidates:
                load = await workers.pool_load(session, self.pool, now, self._ttl_ms)
                # Each worker its own order: several workers do not all race for the oldest.
                random.shuffle(candidates)
                candidates = candidates[: assignment.claim_limit(load, len(self.local), free)]
        for task_id in candidates:
            await self._claim_and_start(task_id)

    @property
    def _ttl_ms(self) -> int:
        return int(self.timings.lease_ttl * 1000)

    async def _claim_and_start(self, task_id: str) -> None:
        ttl = int(self.timings.lease_ttl * 1000)
        async with transaction(self.sessionmaker) as session:
            leases = StreamLeaseRepository(session, self.owner)
            lease = await leases.claim(task_id, self.now(), ttl)
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
            if not built.job.live and lease.run > 1 and lease.position_ms == 0:
                log.info("task %s: run %d reads its file again from the start", task_id, lease.run)
                await leases.set_status_note(task_id, lease.epoch, rerun_note(lease.run))
        self.local[task_id] = _Local(
            lease=lease, revision=built.revision, video_source_id=built.job.video_source_id
        )
        health = self.health.get(task_id)
        if health is None or health.run != lease.run:  # a crash restart keeps its history
            health = self.health[task_id] = StreamHealth(
                run=lease.run,
                live=built.job.live,
                interval_s=built.job.interval,
                heartbeat_s=self.timings.heartbeat,
            )
        health.process_started()
        await self.supervisor.start(built.job)

    async def _stop(self, task_id: str, *, release: bool) -> None:
        known = self.local.pop(task_id, None)
        self.health.pop(task_id, None)
        await self.supervisor.stop(task_id)
        if known is not None and release:
            async with transaction(self.sessionmaker) as session:
                leases = StreamLeaseRepository(session, self.owner)
                await leases.release(task_id, known.lease.epoch)
                if known.video_source_id:
                    await leases.source_unread(known.video_source_id, self.now())

    async def _heartbeat(self) -> None:
        async with transaction(self.sessionmaker) as session:
            leases = StreamLeaseRepository(session, self.owner)
            now = await workers.database_now_ms(session)
            self.clock_offset_ms = now - now_ms()
            held = await leases.renew(now, self._ttl_ms)
            used = sum(
                1 for task_id, known in self.local.items() if held.get(task_id) == known.lease.epoch
            )
            await workers.heartbeat(session, self.identity, used, self.draining, now)
            await leases.write_health(
                [
                    self._health_record(task_id, known.lease.epoch)
                    for task_id, known in self.local.items()
                    if held.get(task_id) == known.lease.epoch and task_id in self.health
                ],
                now,
            )
        for task_id, known in list(self.local.items()):
            if held.get(task_id) != known.lease.epoch:
                log.warning("lost the lease of task %s; stopping its stream", task_id)
                await self._stop(task_id, release=False)
        await self._share_out()

    async def _share_out(self) -> None:
        """Lead this beat if no other engine does; give up one stream above a fair share."""
        if self.draining:
            return
        now = self.now()
        async with transaction(self.sessionmaker) as session:
            await assignment.lead(session, now, self._ttl_ms)
            free = self.settings.engine_slots - len(self.local)
            load = await workers.pool_load(session, self.pool, now, self._ttl_ms)
        if self.local and assignment.should_hand_over(load, len(self.local), free):
            task_id = next(reversed(self.local))  # the last claimed
            log.info("handing task %s over to a less loaded worker of pool %s", task_id, self.pool)
            self.backoff_until[task_id] = time.monotonic() + 2 * self.timings.heartbeat
            await self._stop(task_id, release=True)

    # -- reports from stream processes -----------------------------------------------

    async def on_report(self, job: StreamJob, report: Report) -> None:
        known = self.local.get(job.task_id)
        if known is None or known.lease.epoch != job.epoch:
            return
        # Held (the stream's later reports wait) until stored: none is lost to a restart.
        if report.kind == "alarm" and report.alarm is not None:
            await self._until_written(lambda: self._store_alarm(job, report))
        elif report.kind == "state":
            await self._until_written(lambda: self._state(job, known, report))
        elif report.kind == "progress" and report.position_ms is not None:
            self._note_progress(job, report)
            known.crashes = 0
            self.crashes.pop(job.task_id, None)
            if (
                not job.live
                and report.position_ms > known.lease.position_ms
                and time.monotonic() - known.last_checkpoint >= self.timings.checkpoint_every
            ):
                known.last_checkpoint = time.monotonic()
                try:
                    async with transaction(self.sessionmaker) as session:
                        await StreamLeaseRepository(session, self.owner).checkpoint(
                            job.task_id, job.epoch, report.position_ms, self.now()
                        )
                except Exception as exc:  # a later checkpoint will do
                    if not database_unreachable(exc):
                        raise
                    self.outage.failed(exc)

    async def _until_written(self, write: Callable[[], Awaitable[None]]) -> None:
        await until_written(write, self.outage, give_up=self._stopping.is_set)

    def _note_progress(self, job: StreamJob, report: Report) -> None:
        health = self.health.get(job.task_id)
        if health is None or report.stats is None or report.position_ms is None:
            return
        counters = StreamCounters.from_wire(report.stats)
        done = health.progress(counters, report.position_ms, time.monotonic(), self.now())
        if done.analysed > 0 and done.analyse_s >= 0:
            DETECTOR_LATENCY_SECONDS.labels(job.service_name).observe(
                done.analyse_s / done.analysed
            )

    def _health_record(self, task_id: str, epoch: int) -> StreamHealthRecord:
        return StreamHealthRecord(task_id, epoch, self.health[task_id].record(time.monotonic()))

    async def _store_alarm(self, job: StreamJob, report: Report) -> None:
        assert report.alarm is not None
        alarm = alarm_from_wire(report.alarm)
        known = self.local.get(job.task_id)
        resumed_at = known.lease.position_ms if known is not None and not job.live else 0
        if resumed_at > 0 and alarm.media_ms <= resumed_at:
            # A resumed file replays a few samples before its checkpoint (engine/jobs.py):
            # what they raise up to the checkpoint was stored by the previous owner.
            return
        async with transaction(self.sessionmaker) as session:
            if not await StreamLeaseRepository(session, self.owner).holds(job.task_id, job.epoch):
                return  # fenced: a newer owner runs this task
            now = self.now()
            stored = await insert_alarm(session, alarm, now)
            if stored:
                await enqueue_deliveries(session, alarm, job.output, now)
        if stored:
            for state in sorted({str(item.get("state", "")) for item in alarm.event_set}):
                ALARMS_STORED.labels(job.service_name, state).inc()
        ring(DELIVERIES)

    async def _state(self, job: StreamJob, known: _Local, report: Report) -> None:
        running = report.state == "running"
        health = self.health.get(job.task_id)
        if health is not None:
            health.state(report.state or "abnormal", time.monotonic())
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
            if health is not None:  # at once: a state report is rare (one per attempt)
                await leases.write_health([self._health_record(job.task_id, job.epoch)], self.now())
        known.announced_running = known.announced_running or running

    async def on_exit(self, job: StreamJob, final: Report | None, returncode: int) -> None:
        known = self.local.pop(job.task_id, None)
        if known is None or known.lease.epoch != job.epoch:
            return
        health = self.health.pop(job.task_id, None)
        crashes = self.crashes.get(job.task_id, 0) + 1
        if final is None:
            self.crashes[job.task_id] = crashes
        await self._until_written(
            lambda: self._record_exit(job, final, returncode, health, crashes)
        )
        self._wake.set()

    async def _record_exit(
        self,
        job: StreamJob,
        final: Report | None,
        returncode: int,
        health: StreamHealth | None,
        crashes: int,
    ) -> None:
        async with transaction(self.sessionmaker) as session:
            leases = StreamLeaseRepository(session, self.owner)
            ended = True
            if final is not None and final.kind == "finished":
                await leases.set_state(job.task_id, job.epoch, "SUCCEEDED", final=True)
            elif final is not None:
                error = (final.code or ANALYSIS_CRASHED, final.message or "analysis failed")
                await leases.set_state(job.task_id, job.epoch, "FAILED", error=error, final=True)
            else:
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
                    ended = False
                    if health is not None:
                        health.restarted(time.monotonic())
                        self.health[job.task_id] = health
                        record = self._health_record(job.task_id, job.epoch)
                        await leases.write_health([record], self.now())
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
            if ended and job.video_source_id:
                await leases.source_unread(job.video_source_id, self.now())


def rerun_note(run: int) -> str:
    """``status`` of a file task started again: VIAS analyses it anew, and so do we."""
    return (
        f"RERUN: run {run} analyses the file again from the start; its alarms are stored "
        "and delivered again, under new message ids."
    )


class _AppResources(Protocol):
    settings: Settings
    sessionmaker: async_sessionmaker[AsyncSession]


def embedded_engine(app: _AppResources) -> LocalEngine:
    """The engine of ``openvias serve`` (a background service of the API process)."""
    engine = LocalEngine(app.settings, app.sessionmaker)
    collector = stream_metrics.EngineCollector(engine.supervisor, app.settings.engine_slots)
    stream_metrics.register(collector)
    return engine
