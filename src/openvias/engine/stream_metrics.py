"""What the engine of this process shows on ``/metrics``, read from the supervisor at each
scrape: slots used and free, and per running stream (labelled by task id: at most one
series per slot, gone when the stream stops) the samples analysed, the pictures decoded,
the seconds spent per stage (decode, convert, analyse), the connections lost, the lag
behind live, the stream position, the seconds since its last report and whether its source
is unreachable.

Stream processes report one progress line per analysed sample with their cumulative
counters, so samples analysed per second is
``rate(openvias_stream_samples_analysed_total[1m])`` and the mean decode time per picture
``rate(openvias_stream_stage_seconds_total{stage="decode"}[1m])`` divided by
``rate(openvias_stream_pictures_decoded_total[1m])``. The counters restart with a
restarted stream process (``rate`` handles the reset). The detector latency histogram is in
:mod:`openvias.metrics`."""

from __future__ import annotations

import time
from collections.abc import Iterator

from prometheus_client import REGISTRY
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from openvias.engine.supervisor import Supervisor

_STREAM = ["task_id", "service"]


class EngineCollector(Collector):
    def __init__(self, supervisor: Supervisor, slots: int) -> None:
        self.supervisor = supervisor
        self.slots = slots

    def collect(self) -> Iterator[Metric]:
        streams = list(self.supervisor.streams.values())
        slots = GaugeMetricFamily(
            "openvias_engine_slots", "Engine slots of this node, used and free.", labels=["state"]
        )
        slots.add_metric(["used"], len(streams))
        slots.add_metric(["free"], max(0, self.slots - len(streams)))
        yield slots
        samples = CounterMetricFamily(
            "openvias_stream_samples_analysed", "Samples a running stream analysed.", labels=_STREAM
        )
        position = GaugeMetricFamily(
            "openvias_stream_position_seconds",
            "How far into its video a running stream is.",
            labels=_STREAM,
        )
        silence = GaugeMetricFamily(
            "openvias_stream_last_report_age_seconds",
            "Seconds since a running stream last reported.",
            labels=_STREAM,
        )
        abnormal = GaugeMetricFamily(
            "openvias_stream_abnormal",
            "1 while a running stream's source is unreachable (reconnecting), else 0.",
            labels=_STREAM,
        )
        decoded = CounterMetricFamily(
            "openvias_stream_pictures_decoded",
            "Pictures a running stream decoded.",
            labels=_STREAM,
        )
        stages = CounterMetricFamily(
            "openvias_stream_stage_seconds",
            "Seconds a running stream spent per stage (decode, convert to BGR, analyse).",
            labels=[*_STREAM, "stage"],
        )
        reconnects = CounterMetricFamily(
            "openvias_stream_reconnects",
            "Connections a running stream lost or failed to make (each abnormal report).",
            labels=_STREAM,
        )
        lag = GaugeMetricFamily(
            "openvias_stream_lag_seconds",
            "From the key picture read off the network to its sample analysed (live streams).",
            labels=_STREAM,
        )
        now = time.monotonic()
        for stream in streams:
            labels = [stream.job.task_id, stream.job.service_name]
            counters = stream.counters
            samples.add_metric(labels, stream.samples)
            position.add_metric(labels, stream.position_ms / 1000)
            silence.add_metric(labels, max(0.0, now - stream.last_report))
            abnormal.add_metric(labels, 1 if stream.abnormal else 0)
            decoded.add_metric(labels, counters.decoded)
            stages.add_metric([*labels, "decode"], counters.decode_s)
            stages.add_metric([*labels, "convert"], counters.convert_s)
            stages.add_metric([*labels, "analyse"], counters.analyse_s)
            reconnects.add_metric(labels, stream.reconnects)
            if counters.lag_s is not None:
                lag.add_metric(labels, counters.lag_s)
        yield from (samples, position, silence, abnormal, decoded, stages, reconnects, lag)


_registered: list[EngineCollector] = []


def register(collector: EngineCollector) -> None:
    """Show ``collector`` on ``/metrics`` (in place of an earlier engine's)."""
    unregister()
    REGISTRY.register(collector)
    _registered.append(collector)


def unregister() -> None:
    while _registered:
        REGISTRY.unregister(_registered.pop())
