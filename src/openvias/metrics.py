"""The Prometheus metrics of a server process, served on ``GET /metrics``.

Defined here, outside the layers, so that the parts that observe them (the delivery worker,
the engine) and the API that serves them share them without importing each other. The
conventions are Prometheus's: base units in names (``_seconds``), ``_total`` for counters,
and label values from small fixed sets (output kinds, outcomes, service names, alarm
states). Per-stream series carry the task id; there are at most as many as the node has
engine slots, and a stream's series go when it stops.

Besides these: the process collector (CPU seconds, resident memory, open files) and the
series that an app and its engine add at scrape time (see ``api/routers/health.py`` and
``engine/stream_metrics.py``).
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram, disable_created_metrics

# No ``*_created`` series: one more series per label set that dashboards do not use.
disable_created_metrics()  # type: ignore[no-untyped-call]

#: Attempts take milliseconds on loopback and up to the sink's timeout (30 s at most).
_ATTEMPT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
#: One sample through a detector: milliseconds for the colour checks, seconds for a big model.
_DETECTOR_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)
#: From stored to delivered: at once, or after retries backed off up to minutes.
_LATENCY_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600)

DELIVERY_ATTEMPTS = Counter(
    "openvias_delivery_attempts_total",
    "Alarm delivery attempts, by output type and outcome (delivered, retry, dead).",
    ["output", "outcome"],
)
DELIVERY_ATTEMPT_SECONDS = Histogram(
    "openvias_delivery_attempt_duration_seconds",
    "How long one delivery attempt took, by output type and outcome.",
    ["output", "outcome"],
    buckets=_ATTEMPT_BUCKETS,
)
DELIVERY_LATENCY_SECONDS = Histogram(
    "openvias_delivery_latency_seconds",
    "From the alarm stored to its delivery done, retries included, by output type.",
    ["output"],
    buckets=_LATENCY_BUCKETS,
)
ALARMS_STORED = Counter(
    "openvias_alarms_stored_total",
    "Alarms the engine stored, by algorithm service and alarm state (event_set state).",
    ["service", "state"],
)
DETECTOR_LATENCY_SECONDS = Histogram(
    "openvias_detector_latency_seconds",
    "How long the algorithm took to analyse one sample, by algorithm service.",
    ["service"],
    buckets=_DETECTOR_BUCKETS,
)
