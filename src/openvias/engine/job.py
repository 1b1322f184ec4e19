"""What one analysis needs to run, and what it reports back.

A :class:`StreamJob` is everything a stream process needs, resolved from the database by
the engine (or built by ``openvias analyze`` from the command line): the source address,
the algorithm service and its ``config.common``, and the identity fields the alarm envelope
carries. It travels to the stream process as one JSON line, so it holds plain data only.

The stream process answers with :class:`Report` lines (JSON, one per line on its stdout);
its progress lines carry :class:`StreamCounters`, what it did since it started.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

#: ``kind`` of a report line.
ReportKind = Literal["state", "alarm", "progress", "finished", "failed"]


@dataclass(frozen=True, slots=True)
class StreamJob:
    task_id: str
    project_id: str
    service_name: str
    url: str
    live: bool
    #: ``config.common`` of the task, ``target_roi`` included (a JSON string, as on the wire).
    common: dict[str, Any] = field(default_factory=dict)
    stream_id: str = ""
    batch_id: str | None = None
    video_source_id: str | None = None
    rtsp_transport: str = "tcp"
    #: Which user start this is (alarm ids are deterministic per run and stream position).
    run: int = 1
    #: Lease epoch of the owner that launched it (reports are checked against it).
    epoch: int = 0
    #: Where a resumed file task picks up, in stream seconds.
    start_at: float = 0.0
    #: The task's ``output`` (where its alarms are delivered), as configured at claim time.
    output: dict[str, Any] = field(default_factory=dict)
    #: ``OPENVIAS_ALLOW_PRIVATE_TARGETS``: no video-source address policy.
    allow_private_targets: bool = False
    #: The address is the operator's (an ``OPENVIAS_OBS_ENDPOINT`` URL): no address policy.
    operator_configured: bool = False
    #: Set by the pipeline for algorithms that choose their own sampling rate and burst
    #: (tracking services); None = ``video_sampling_interval`` and the default burst.
    sampling_interval: float | None = None
    burst: int | None = None

    @property
    def interval(self) -> float:
        if self.sampling_interval is not None:
            return self.sampling_interval
        value = self.common.get("video_sampling_interval", 1)
        try:
            return max(0.04, float(value))
        except (TypeError, ValueError):
            return 1.0

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, line: str) -> StreamJob:
        return cls(**json.loads(line))


@dataclass(slots=True)
class StreamCounters:
    """Cumulative work of one stream process (reset when the process restarts).

    ``decode_s``, ``convert_s`` and ``analyse_s`` are seconds spent in the decoder, in the
    conversion to BGR (swscale) and in the algorithm (its ``process`` and its per-sample
    burst choice). ``lag_s`` is, for a live source, how long after its key picture's
    packet was read the last sample was analysed (alarms stored included); None for files.
    ``interval_s`` is the sampling interval the process really uses.
    """

    decoded: int = 0
    analysed: int = 0
    decode_s: float = 0.0
    convert_s: float = 0.0
    analyse_s: float = 0.0
    lag_s: float | None = None
    interval_s: float = 1.0

    def to_wire(self) -> dict[str, float]:
        body = {
            "decoded": self.decoded,
            "analysed": self.analysed,
            "decode_s": round(self.decode_s, 6),
            "convert_s": round(self.convert_s, 6),
            "analyse_s": round(self.analyse_s, 6),
            "interval_s": self.interval_s,
        }
        if self.lag_s is not None:
            body["lag_s"] = round(self.lag_s, 6)
        return body

    @classmethod
    def from_wire(cls, body: dict[str, float]) -> StreamCounters:
        lag = body.get("lag_s")
        return cls(
            decoded=int(body.get("decoded", 0)),
            analysed=int(body.get("analysed", 0)),
            decode_s=float(body.get("decode_s", 0.0)),
            convert_s=float(body.get("convert_s", 0.0)),
            analyse_s=float(body.get("analyse_s", 0.0)),
            lag_s=None if lag is None else float(lag),
            interval_s=float(body.get("interval_s", 1.0)),
        )


@dataclass(frozen=True, slots=True)
class Report:
    """One line from a stream process.

    - ``state``: ``running`` (samples flow) or ``abnormal`` (live source unreachable; the
      process keeps reconnecting), with ``code``/``message`` for abnormal;
    - ``alarm``: ``alarm`` holds the envelope fields plus ``media_ms`` and ``jpeg_base64``;
    - ``progress``: ``position_ms`` reached (every sample; also the liveness signal) and
      ``stats``, the process's :class:`StreamCounters`;
    - ``finished``: a file was analysed to its end;
    - ``failed``: the analysis cannot go on (``code``/``message``), e.g. a corrupt file.
    """

    kind: ReportKind
    state: str | None = None
    code: str | None = None
    message: str | None = None
    position_ms: int | None = None
    #: With the first ``running`` state of a file: its length, when known.
    duration_ms: int | None = None
    alarm: dict[str, Any] | None = None
    stats: dict[str, float] | None = None

    def to_json(self) -> str:
        body = {key: value for key, value in asdict(self).items() if value is not None}
        return json.dumps(body, separators=(",", ":"))

    @classmethod
    def from_json(cls, line: str) -> Report:
        return cls(**json.loads(line))
