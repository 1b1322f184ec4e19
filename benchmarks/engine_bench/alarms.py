"""Part 2's stored alarms: which picture each was raised on, and per-stream checks."""

from __future__ import annotations

import contextlib
import json
import math
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from tests.support import Server

from engine_bench.common import (
    LAG_GROWTH_S,
    MAX_LAG_S,
    TARGET_P95_S,
    LiveProbe,
    percentile,
)
from engine_bench.cpu import CpuShare
from engine_bench.rtsp import RtspRig


@dataclass
class StoredAlarm:
    task_id: str
    media_ms: int
    created_at: int
    on_probe: bool  #: one of the alarms the probe expects on known pictures


def read_alarms(server: Server, probe: LiveProbe) -> list[StoredAlarm]:
    """Every alarm in the server's database, read-only (SQLite WAL allows it meanwhile)."""
    uri = f"file:{server.data_dir / 'openvias.db'}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=10)) as db:
        rows = db.execute("SELECT task_id, media_ms, created_at, data FROM alarm_events").fetchall()
    alarms = []
    for task_id, media_ms, created_at, data in rows:
        event_set = json.loads(data).get("event_set", []) if data else []
        on_probe = probe.matches(event_set)
        alarms.append(StoredAlarm(str(task_id), int(media_ms), int(created_at), on_probe))
    return alarms


@dataclass
class StreamCheck:
    name: str
    expected: int = 0
    stored: int = 0
    mismatched: int = 0  # alarms whose picture is not the one the timing says
    extra: int = 0  # alarms at no expected picture (e.g. smoke)
    lags: list[float] = field(default_factory=list)  # camera→analysed, window order
    running: bool = True

    @property
    def kept_up(self) -> bool:
        growth = self.lags[-1] - self.lags[0] if len(self.lags) > 1 else 0.0
        return (
            self.running
            and self.stored >= self.expected
            and self.mismatched == 0
            and all(lag < MAX_LAG_S for lag in self.lags)
            and growth < LAG_GROWTH_S
        )


@dataclass
class LiveStep:
    n: int
    running: int
    window_s: float
    cpu: CpuShare
    checks: list[StreamCheck]
    frame_to_stored: list[float]
    camera_to_analysed: list[float]
    analysed_to_stored: list[float]
    all_alarms: int
    load: tuple[float, float, float]
    settled_s: float

    @property
    def expected(self) -> int:
        return sum(c.expected for c in self.checks)

    @property
    def stored(self) -> int:
        return sum(c.stored for c in self.checks)

    @property
    def kept_up(self) -> int:
        return sum(c.kept_up for c in self.checks)

    @property
    def p95(self) -> float:
        return percentile(self.frame_to_stored, 95)

    def misses(self) -> list[str]:
        found = []
        if self.running < self.n:
            found.append(f"{self.n - self.running} not RUNNING")
        if self.kept_up < self.n:
            found.append(f"{self.n - self.kept_up} fell behind")
        if self.stored == 0:
            found.append("no alarm stored")
        elif not self.p95 < TARGET_P95_S:
            found.append("p95 >= 1 s")
        return found

    @property
    def passed(self) -> bool:
        return not self.misses()


def alarm_pictures(probe: LiveProbe, until_s: float) -> list[float]:
    """Clip seconds (from a stream's start) of the pictures that raise alarms, in order."""
    lap = probe.lap_s
    out: list[float] = []
    k = 0
    while k * lap <= until_s + lap:
        out.extend(k * lap + phase for phase in probe.phases)
        k += 1
    return sorted(out)


@dataclass(frozen=True, slots=True)
class Attributed:
    alarm: StoredAlarm
    picture_at: float  # wall-clock time its picture went out
    mismatched: bool  # the n-th alarm is not at the picture the timing says

    @property
    def lag(self) -> float:
        return self.alarm.media_ms / 1000 - self.picture_at

    @property
    def store(self) -> float:
        return (self.alarm.created_at - self.alarm.media_ms) / 1000


def attribute(
    alarms: Sequence[StoredAlarm], play: float, probe: LiveProbe, until: float
) -> list[Attributed]:
    """One stream's probe alarms since its ``play``, each with the picture it was raised on.

    The n-th alarm is the n-th alarm picture (a lost alarm or a lag over one cycle shows
    as a mismatch with the picture the timing says: the latest that went out before the
    analysis, with 0.5 s of slack for clock granularity)."""
    pictures = alarm_pictures(probe, until - play)
    probed = sorted((a for a in alarms if a.on_probe and a.media_ms / 1000 >= play), key=_media)
    out = []
    for index, alarm in enumerate(probed):
        analysed = alarm.media_ms / 1000
        by_timing = sum(1 for p in pictures if play + p <= analysed + 0.5) - 1
        picture_at = play + pictures[index] if index < len(pictures) else math.nan
        out.append(Attributed(alarm, picture_at, by_timing != index))
    return out


def _media(alarm: StoredAlarm) -> int:
    return alarm.media_ms


def check_streams(
    tasks: dict[str, str],
    alarms: Sequence[StoredAlarm],
    plays: dict[str, list[float]],
    probe: LiveProbe,
    window: tuple[float, float],
    states: dict[str, str],
) -> tuple[list[StreamCheck], list[float], list[float], list[float]]:
    """Per stream: which alarms were due in the window, which came, and their latencies."""
    frame_to_stored: list[float] = []
    camera_to_analysed: list[float] = []
    analysed_to_stored: list[float] = []
    checks = []
    start, end = window
    for task_id, name in tasks.items():
        check = StreamCheck(name, running=states.get(task_id) == "RUNNING")
        checks.append(check)
        starts = plays.get(name, [])
        if not starts:
            check.running = False
            continue
        play = starts[-1]
        mine = [a for a in alarms if a.task_id == task_id and a.media_ms / 1000 >= play]
        check.expected = sum(
            1 for p in alarm_pictures(probe, end - play) if start <= play + p <= end
        )
        check.extra = sum(1 for a in mine if not a.on_probe)
        for item in attribute(mine, play, probe, end):
            in_window = start <= item.picture_at <= end
            if item.mismatched and (in_window or start <= item.alarm.media_ms / 1000 <= end):
                check.mismatched += 1
            if not in_window:
                continue
            check.stored += 1
            check.lags.append(item.lag)
            camera_to_analysed.append(item.lag)
            analysed_to_stored.append(item.store)
            frame_to_stored.append(item.lag + item.store)
    return checks, frame_to_stored, camera_to_analysed, analysed_to_stored


def unsettled(
    tasks: dict[str, str], server: Server, rig: RtspRig, probe: LiveProbe, since: float
) -> list[str]:
    """Streams without an alarm on a picture that went out after ``since`` (wall clock: an
    alarm from before every stream of the step ran says nothing of the load), or whose
    latest alarm came MAX_LAG_S or more late."""
    alarms = read_alarms(server, probe)
    plays = rig.plays()
    now = time.time()
    behind = []
    for task_id, name in tasks.items():
        starts = plays.get(name)
        if not starts:
            behind.append(name)
            continue
        mine = [a for a in alarms if a.task_id == task_id]
        items = attribute(mine, starts[-1], probe, now)
        latest = items[-1] if items else None
        # "not >=": a NaN time (an alarm at no expected picture) is not fresh either.
        fresh = latest is not None and not latest.mismatched and latest.picture_at >= since
        if not fresh or not latest.lag < MAX_LAG_S:
            behind.append(name)
    return behind
