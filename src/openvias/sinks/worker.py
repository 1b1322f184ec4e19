"""The delivery worker: at-least-once delivery of stored alarms to their task's outputs.

A background service of every ``openvias serve`` process; any number of them may share one
database. The loop (``docs/design/delivery.md``):

1. **take** due rows (``state='pending' AND next_attempt_at <= now AND locked_until < now``)
   for a lease of ``lease`` seconds (``locked_by`` = this worker), as many as it has free
   slots (``delivery_concurrency``) and at most ``per_target`` in flight per (sink, target)
   so that one slow or dead receiver with a long backlog cannot starve the others;
2. **deliver** each through its sink, concurrently;
3. **record** every attempt (a ``delivery_attempts`` row) and its consequence, in batches:
   delivered; failed → due again after the backoff; refused for good or out of attempts →
   ``dead`` (the dead-letter record, sent again on demand through the API). The record is
   conditional on still holding the lease.

It wakes at once when the engine rings the ``deliveries`` doorbell after storing an alarm
(same process), and otherwise polls every ``poll`` seconds (other processes' alarms, rows
that became due). On shutdown it takes nothing more, lets deliveries in flight finish for
``grace`` seconds and gives back the leases of the rest. A crash loses nothing: the rows it
held stay pending and become due when their lease passes, or at once when the restarted
process (same worker name, kept in the data folder) gives its old leases back. So an alarm
may be delivered more than once, always with the same ``message_id``.

Backoff after the n-th failed attempt, *equal jitter*: with ``d = min(max, first * 2^(n-1))``
the row is due again after ``d/2 + random(0, d/2)`` seconds (never sooner than half the
exponential delay, so retries of many rows spread without collapsing to zero).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from openvias.domain.clock import now_ms
from openvias.metrics import (
    DELIVERY_ATTEMPT_SECONDS,
    DELIVERY_ATTEMPTS,
    DELIVERY_LATENCY_SECONDS,
)
from openvias.services import doorbell
from openvias.services.node_names import stable_name
from openvias.settings import Settings
from openvias.sinks.base import Outcome, Sink
from openvias.sinks.registry import build_sinks
from openvias.store.db import transaction
from openvias.store.outage import DatabaseOutage, database_unreachable
from openvias.store.repositories.deliveries import (
    AttemptResult,
    Leased,
    due_candidates,
    lease,
    record,
    release,
)

log = logging.getLogger(__name__)

Target = tuple[str, str]


@dataclass(frozen=True, slots=True)
class WorkerTimings:
    poll: float = 0.1
    #: After a wake-up, how long to let other wake-ups gather before one claim for all.
    gather: float = 0.01
    lease: float = 60.0
    grace: float = 5.0
    #: The longest one attempt may take (a sink's own timeouts should come first).
    attempt_timeout: float = 30.0


def backoff_seconds(
    attempts: int, first: float, cap: float, rand: Callable[[], float] = random.random
) -> float:
    """Delay after the ``attempts``-th failed attempt: equal jitter over
    ``min(cap, first * 2^(attempts-1))``."""
    delay = min(cap, first * 2.0 ** min(max(attempts - 1, 0), 62))
    return delay / 2 + rand() * delay / 2


def worker_name(data_dir: Path) -> str:
    """A stable name for this server's worker: a restarted server gives back the leases of
    its previous life at once instead of waiting for them to pass."""
    return stable_name(data_dir, "delivery-worker-id", "delivery")


class DeliveryWorker:
    def __init__(
        self,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        sinks: Mapping[str, Sink] | None = None,
        name: str | None = None,
        timings: WorkerTimings | None = None,
        per_target: int | None = None,
    ) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.sinks: Mapping[str, Sink] | None = sinks
        self.name = name or worker_name(settings.data_dir)
        self.timings = timings or WorkerTimings()
        self.concurrency = settings.delivery_concurrency
        self.per_target = per_target or max(1, self.concurrency // 4)
        self._inflight: dict[int, asyncio.Task[None]] = {}
        self._targets: Counter[Target] = Counter()
        self._results: list[AttemptResult] = []
        self._flush_lock = asyncio.Lock()
        self._flush_wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()
        self._loop_done = asyncio.Event()
        self._loop_done.set()
        self._helpers: list[asyncio.Task[None]] = []
        #: The last claim left due rows behind (no free slot, or a target at its cap).
        self._capped = False
        self.outage = DatabaseOutage(log, "deliveries in flight keep their results")

    # -- the loop ---------------------------------------------------------------------

    async def run(self) -> None:
        """Deliver until ``shutdown``; errors are logged, never fatal."""
        self._loop_done.clear()
        try:
            if self.sinks is None:
                self.sinks = build_sinks(self.settings)
            try:
                async with transaction(self.sessionmaker) as session:
                    given_back = await release(session, self.name)
                if given_back:
                    log.info("gave back %d deliveries leased before a restart", given_back)
            except Exception:
                log.exception("could not give back old leases; they will expire")
            if self._stopping.is_set():  # shut down before it started
                return
            self._helpers = [
                asyncio.create_task(self._listen()),
                asyncio.create_task(self._flush_loop()),
            ]
            failures = 0
            while not self._stopping.is_set():
                try:
                    await self._claim()
                    failures = 0
                    self.outage.answered()
                except Exception as exc:
                    failures += 1
                    if database_unreachable(exc):
                        self.outage.failed(exc)
                    elif failures == 1:
                        log.exception("taking due deliveries failed; retrying")
                    elif failures % 100 == 0:
                        log.warning("taking due deliveries failed %d times: %r", failures, exc)
                    # The database is unwell: back off up to 5 s instead of hammering it.
                    await asyncio.sleep(min(5.0, self.timings.poll * 2 ** min(failures, 6)))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.timings.poll)
                if self._wake.is_set():  # gather what else finishes or rings meanwhile
                    await asyncio.sleep(self.timings.gather)
                self._wake.clear()
        finally:
            self._loop_done.set()

    async def _listen(self) -> None:
        """The engine's doorbell (an alarm stored in this process) wakes the loop."""
        while True:
            if await doorbell.wait(doorbell.DELIVERIES, 1.0):
                self._wake.set()

    async def _claim(self) -> None:
        free = self.concurrency - len(self._inflight)
        if free <= 0:
            self._capped = True
            return
        saturated = [t for t, n in self._targets.items() if n >= self.per_target]
        capped = bool(saturated)
        now = now_ms()
        async with transaction(self.sessionmaker) as session:
            candidates = await due_candidates(
                session,
                now,
                per_target=self.per_target,
                limit=free + len(self._inflight),
                exclude=saturated,
            )
            planned: Counter[Target] = Counter()
            targets: dict[int, Target] = {}
            for candidate in candidates:
                target = (candidate.sink, candidate.key)
                if self._targets[target] + planned[target] >= self.per_target:
                    capped = True
                    continue
                planned[target] += 1
                targets[candidate.id] = target
                if len(targets) == free:
                    capped = True
                    break
            leased = await lease(
                session, list(targets), self.name, now, int(self.timings.lease * 1000)
            )
        self._capped = capped
        if self._stopping.is_set():
            async with transaction(self.sessionmaker) as session:
                await release(session, self.name, [row.id for row in leased])
            return
        for row in leased:
            target = targets[row.id]
            self._targets[target] += 1
            self._inflight[row.id] = asyncio.create_task(self._deliver(row, target))

    # -- one delivery -----------------------------------------------------------------

    async def _deliver(self, row: Leased, target: Target) -> None:
        try:
            started = now_ms()
            t0 = time.perf_counter()
            outcome = await self._attempt(row)
            seconds = time.perf_counter() - t0
            result = self._result(row, outcome, started, int(seconds * 1000))
            _observe(row, result, seconds)
            self._results.append(result)
            self._flush_wake.set()
        finally:
            self._inflight.pop(row.id, None)
            self._targets[target] -= 1
            if self._targets[target] <= 0:
                del self._targets[target]
            if self._capped:  # due rows were left behind for want of a slot: take them now
                self._wake.set()

    async def _attempt(self, row: Leased) -> Outcome:
        if row.alarm is None:
            return Outcome.refused("the alarm no longer exists")
        sink = (self.sinks or {}).get(row.sink)
        if sink is None:
            return Outcome.retry(f"no {row.sink} sink is available in this server")
        try:
            return await asyncio.wait_for(
                sink.deliver(row.alarm, row.target), self.timings.attempt_timeout
            )
        except TimeoutError:
            return Outcome.retry(
                f"the {row.sink} sink took longer than {self.timings.attempt_timeout:g} s"
            )
        except Exception as exc:
            log.exception("the %s sink failed on delivery %d", row.sink, row.id)
            return Outcome.retry(f"{row.sink} sink error: {exc!r}")

    def _result(self, row: Leased, outcome: Outcome, started: int, duration: int) -> AttemptResult:
        attempts = row.attempts + 1
        finished = now_ms()
        detail = outcome.detail
        next_at = finished
        if outcome.delivered:
            kind = "delivered"
        elif outcome.permanent:
            kind = "dead"
        elif attempts >= self.settings.delivery_max_attempts:
            kind = "dead"
            detail = f"{detail} (gave up after {attempts} attempts)"
        else:
            kind = "retry"
            delay = backoff_seconds(
                attempts,
                self.settings.delivery_backoff_first_seconds,
                self.settings.delivery_backoff_max_seconds,
            )
            next_at = finished + int(delay * 1000)
        return AttemptResult(
            delivery_id=row.id,
            attempts_before=row.attempts,
            started_at=started,
            duration_ms=duration,
            outcome=kind,
            status_code=outcome.status_code,
            detail=detail,
            next_attempt_at=next_at,
            finished_at=finished,
        )

    # -- recording --------------------------------------------------------------------

    async def _flush_loop(self) -> None:
        while True:
            await self._flush_wake.wait()
            self._flush_wake.clear()
            if not await self._flush():
                await asyncio.sleep(0.5)  # the database is unwell: keep the results, retry
                self._flush_wake.set()

    async def _flush(self) -> bool:
        """Write the finished attempts in one transaction; False when that failed (they are
        kept for the next try)."""
        async with self._flush_lock:
            batch, self._results = self._results, []
            if not batch:
                return True
            try:
                async with transaction(self.sessionmaker) as session:
                    await record(session, batch, self.name)
            except BaseException as exc:
                self._results[:0] = batch  # kept (even when cancelled) for the next try
                if not isinstance(exc, Exception):
                    raise
                if database_unreachable(exc):
                    self.outage.failed(exc)
                else:
                    log.exception("recording %d delivery attempts failed; retrying", len(batch))
                return False
            return True

    # -- shutdown ---------------------------------------------------------------------

    async def shutdown(self) -> None:
        """Take nothing more, let deliveries in flight finish for ``grace`` seconds, record
        what finished and give back the leases of the rest."""
        self._stopping.set()
        self._wake.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._loop_done.wait(), self.timings.grace)
        tasks = list(self._inflight.values())
        if tasks:
            await asyncio.wait(tasks, timeout=self.timings.grace)
        unfinished = list(self._inflight)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        async with self._flush_lock:  # not in the middle of a flush (it may be committing)
            for helper in self._helpers:
                helper.cancel()
            await asyncio.gather(*self._helpers, return_exceptions=True)
        try:
            await self._flush()
            if unfinished:
                async with transaction(self.sessionmaker) as session:
                    await release(session, self.name, unfinished)
        except Exception:
            log.exception("could not record or give back deliveries; their leases will expire")
        for sink in (self.sinks or {}).values():
            try:
                await sink.close()
            except Exception:
                log.exception("closing the %s sink failed", sink.kind)


def _observe(row: Leased, result: AttemptResult, seconds: float) -> None:
    DELIVERY_ATTEMPTS.labels(row.sink, result.outcome).inc()
    DELIVERY_ATTEMPT_SECONDS.labels(row.sink, result.outcome).observe(seconds)
    if result.outcome == "delivered":
        latency = max(0, result.finished_at - row.created_at) / 1000
        DELIVERY_LATENCY_SECONDS.labels(row.sink).observe(latency)


class _AppResources(Protocol):
    settings: Settings
    sessionmaker: async_sessionmaker[AsyncSession]


def delivery_worker(app: _AppResources) -> DeliveryWorker:
    """The delivery worker of ``openvias serve`` (a background service of the API process)."""
    return DeliveryWorker(app.settings, app.sessionmaker)
