"""CPU use from /proc over a live window: the machine, the server, streams, the rig."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from tests.support import Server, stream_pids

from engine_bench.common import CORES
from engine_bench.rtsp import RtspRig

CLK_TCK = os.sysconf("SC_CLK_TCK")


def proc_cpu_s(pid: int) -> float | None:
    """User + system CPU seconds of one process (None when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def machine_cpu() -> tuple[float, float, float]:
    """(busy, steal, total) jiffies of all cores since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (values + [0] * 8)[:8]
    total = user + nice + system + idle + iowait + irq + softirq + steal
    return total - idle - iowait - steal, steal, total


@dataclass
class CpuSnapshot:
    at: float
    machine: tuple[float, float, float]
    server: float
    rtsp: float
    me: float
    streams: dict[int, float]


def cpu_snapshot(server: Server, rig: RtspRig) -> CpuSnapshot:
    assert rig.process is not None
    streams = {pid: cpu for pid in stream_pids(server.process.pid) if (cpu := proc_cpu_s(pid))}
    return CpuSnapshot(
        at=time.monotonic(),
        machine=machine_cpu(),
        server=proc_cpu_s(server.process.pid) or 0.0,
        rtsp=proc_cpu_s(rig.process.pid) or 0.0,
        me=time.process_time(),
        streams=streams,
    )


@dataclass
class CpuShare:
    """Percent of one core over the window (the machine: of all cores together)."""

    machine: float
    steal: float
    server: float
    streams: float
    rtsp: float
    me: float
    stream_count: int

    @property
    def per_stream(self) -> float:
        return self.streams / max(1, self.stream_count)

    @property
    def others(self) -> float:
        """Everything else on the machine (other users' work, the kernel, the database)."""
        return max(0.0, self.machine - self.server - self.streams - self.rtsp - self.me)

    def projected_streams(self) -> int:
        """Streams the whole machine would take at this step's cost per stream (its own
        CPU, its share of the RTSP rig and of the server), with nothing else running."""
        n = max(1, self.stream_count)
        per_stream = (self.streams + self.rtsp + self.server) / n
        return int(100 * CORES / per_stream) if per_stream > 0 else 0


def cpu_share(before: CpuSnapshot, after: CpuSnapshot) -> CpuShare:
    seconds = after.at - before.at
    busy = after.machine[0] - before.machine[0]
    steal = after.machine[1] - before.machine[1]
    total = after.machine[2] - before.machine[2]
    common = [pid for pid in after.streams if pid in before.streams]
    streams = sum(after.streams[pid] - before.streams[pid] for pid in common)
    return CpuShare(
        machine=100 * CORES * busy / total if total else 0.0,
        steal=100 * CORES * steal / total if total else 0.0,
        server=100 * (after.server - before.server) / seconds,
        streams=100 * streams / seconds,
        rtsp=100 * (after.rtsp - before.rtsp) / seconds,
        me=100 * (after.me - before.me) / seconds,
        stream_count=len(common),
    )
