"""What the engine knows of how each of its streams does, across stream-process restarts.

The engine feeds a :class:`StreamHealth` per task with its stream's reports: progress lines
(cumulative :class:`~openvias.engine.job.StreamCounters`), state lines (every ``abnormal``
line is one failed connection: a camera that went away, or one more attempt that did not
reach it) and crash restarts. :meth:`StreamHealth.record` is what the owner writes on the
lease (``stream_leases.health``) for the API to read; its keys are read back by
``services/stream_health.py``.
"""

from __future__ import annotations

from typing import Any

from openvias.domain.stream_health import HourWindow, RateWindow, WorkTotals, connection_quality
from openvias.engine.job import StreamCounters

#: Seconds over which rates and mean stage times are taken.
RATE_WINDOW_S = 30.0


class StreamHealth:
    def __init__(self, *, run: int, live: bool, interval_s: float, heartbeat_s: float) -> None:
        #: The user start (lease run) this history belongs to.
        self.run = run
        self.live = live
        self.interval_s = interval_s
        self.heartbeat_s = heartbeat_s
        #: running (samples flow), abnormal (reconnecting) or starting.
        self.source_state = "starting"
        self.reconnects = HourWindow()
        self.restarts = HourWindow()
        self.window = RateWindow(RATE_WINDOW_S)
        self._earlier = WorkTotals()  # what stream processes before the current one did
        self._current = WorkTotals()
        self.lag_s: float | None = None
        self.last_sample_ms: int | None = None
        self.position_ms = 0

    @property
    def totals(self) -> WorkTotals:
        return self._earlier + self._current

    def process_started(self) -> None:
        """A new stream process runs the task: its counters start from zero."""
        self._earlier = self.totals
        self._current = WorkTotals()
        self.source_state = "starting"
        self.lag_s = None

    def progress(
        self, counters: StreamCounters, position_ms: int, now: float, wall_ms: int
    ) -> WorkTotals:
        """Note a progress report; returns the work done since the previous one."""
        reported = WorkTotals(
            counters.decoded,
            counters.analysed,
            counters.decode_s,
            counters.convert_s,
            counters.analyse_s,
        )
        done = reported - self._current
        self._current = reported
        self.window.note(now, self.totals)
        self.interval_s = counters.interval_s
        self.lag_s = counters.lag_s
        self.last_sample_ms = wall_ms
        self.position_ms = position_ms
        self.source_state = "running"
        return done

    def state(self, state: str, now: float) -> bool:
        """Note a state report; True when the source's state changed."""
        if state == "abnormal":
            self.reconnects.add(now)
            self.lag_s = None
        changed = state != self.source_state
        self.source_state = state
        return changed

    def restarted(self, now: float) -> None:
        """The stream process crashed (or hung) and is restarted."""
        self.restarts.add(now)
        self.source_state = "starting"

    def record(self, now: float) -> dict[str, Any]:
        """The health as stored on the lease (plain JSON)."""
        rates = self.window.rates(now)
        expected = 1 / self.interval_s if self.interval_s > 0 else 0.0
        reconnects = self.reconnects.count(now)
        lag = self.lag_s if self.live and self.source_state == "running" else None
        return {
            "source_state": self.source_state,
            "connection_quality": connection_quality(
                source_running=self.source_state == "running",
                expected_per_second=expected,
                analysed_per_second=rates.analysed_per_second,
                reconnects_last_hour=reconnects,
                lag_seconds=lag,
            ),
            "live": self.live,
            "expected_per_second": round(expected, 4),
            "decoded_per_second": round(rates.decoded_per_second, 3),
            "analysed_per_second": round(rates.analysed_per_second, 3),
            "lag_seconds": None if lag is None else round(lag, 4),
            "last_sample_ms": self.last_sample_ms,
            # A live stream's position is the wall clock: nothing to show.
            "position_ms": None if self.live else self.position_ms,
            "reconnects_last_hour": reconnects,
            "restarts_last_hour": self.restarts.count(now),
            "stage_ms": {
                "decode": _rounded(rates.decode_ms),
                "convert": _rounded(rates.convert_ms),
                "analyse": _rounded(rates.analyse_ms),
            },
            "heartbeat_ms": round(self.heartbeat_s * 1000),
        }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)
