"""The exposition of ``GET /metrics``: the process-wide metrics (``openvias.metrics``, the
engine's, the process collector's) and this app's own, read from its state at scrape."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from openvias.api.state import AppState
from openvias.services.outbox_gauge import OutboxGauge
from openvias.store.repositories.deliveries import OutboxDepth


class _AppCollector(Collector):
    def __init__(self, state: AppState, outbox: OutboxDepth) -> None:
        self.state = state
        self.outbox = outbox

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily("openvias_up", "1 when the API process is serving.", value=1)
        yield from self._database()
        yield GaugeMetricFamily(
            "openvias_outbox_pending_deliveries",
            "Alarm deliveries still to be made (due, or waiting for their backoff).",
            value=self.outbox.pending,
        )
        yield GaugeMetricFamily(
            "openvias_outbox_oldest_due_age_seconds",
            "How long the longest-waiting due delivery has been due (0: none is due).",
            value=OutboxGauge.oldest_due_age_seconds(self.outbox),
        )
        cache = self.state.read_cache
        lookups = CounterMetricFamily(
            "openvias_read_cache_lookups",
            "ListVideoSources answers looked up in the read cache, by result.",
            labels=["result"],
        )
        lookups.add_metric(["hit"], cache.hits)
        lookups.add_metric(["miss"], cache.misses)
        yield lookups
        yield CounterMetricFamily(
            "openvias_read_cache_versions",
            "Database versions the read cache has seen (each one empties it).",
            value=cache.versions,
        )
        direct = CounterMetricFamily(
            "openvias_direct_reads", "Answers read directly, before routing.", labels=["operation"]
        )
        direct.add_metric(["ShowVideoSourceDetail"], self.state.direct_shows)
        yield direct

    def _database(self) -> Iterator[Metric]:
        pool = self.state.engine.pool
        yield GaugeMetricFamily(
            "openvias_db_connections_in_use",
            "Database connections checked out of the pool.",
            value=_pool_number(pool, "checkedout"),
        )
        yield GaugeMetricFamily(
            "openvias_db_connections_idle",
            "Database connections open and idle in the pool.",
            value=_pool_number(pool, "checkedin"),
        )
        yield GaugeMetricFamily(
            "openvias_db_pool_size",
            "Connections the pool keeps (more may be opened up to its overflow).",
            value=_pool_number(pool, "size"),
        )


def _pool_number(pool: object, name: str) -> int:
    """A QueuePool count; 0 for pools that keep none (SQLite's may be a NullPool)."""
    method = getattr(pool, name, None)
    value = method() if callable(method) else 0
    return value if isinstance(value, int) else 0


async def exposition(state: AppState, outbox: OutboxGauge) -> bytes:
    reading = await outbox.read(state.sessionmaker)
    own = CollectorRegistry(auto_describe=False)
    own.register(_AppCollector(state, reading))
    return generate_latest(REGISTRY) + generate_latest(own)
