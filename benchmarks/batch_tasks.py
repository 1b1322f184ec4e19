"""Batch tasks at full size, on a real ``openvias serve`` per backend (SQLite, PostgreSQL).

    .venv/bin/python benchmarks/batch_tasks.py [--backend sqlite|postgresql|both]

1. setup: 100 video groups x 100 video sources (10,000 sources), concurrent requests;
2. CreateBatchTask over all of them (100 group entries listing 100 sources each, every
   source with a small polygon ``target_roi``): 10,000 tasks in one request;
3. UpdateBatchTask changing ``config`` and dropping one group (99 groups stay); then, not a
   target, one changing the ROI of every member;
4. ListTasks by ``task_state``, page_size=100, at the first, the middle and the last page,
   with 100,000 tasks stored (more batch tasks over the same sources, some stopped, one
   restarted, so that PENDING, STOPPED and STARTING all hold many tasks);
5. the peak resident memory of the server (VmHWM of its process) in each step, and of this
   client.

Each figure is printed beside its target with PASS or MISS. Times are wall clock seen by the
client; "cpu" is the CPU the server process spent meanwhile (all its threads; PostgreSQL's own
work not included), which stays meaningful when other processes share the machine: the
machine's load average is printed at the start and the end.

The server keeps its default settings (batch-task bodies may reach 32 MiB; the body size
is printed next to that limit). On PostgreSQL, ListTasks is measured once on the fresh bulk
load, then after ``VACUUM ANALYZE`` (what autovacuum does in production; the test cluster
runs without it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import resource
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support import Server, running_server

GROUPS = 100
PER_GROUP = 100
SOURCES = GROUPS * PER_GROUP
TARGET_TASKS = 100_000
LIST_REQUESTS = 200
LIST_WARMUP = 2
PAGE_SIZE = 100
SETUP_CONCURRENCY = 16
BATCH_BODY_LIMIT = 32 * 1024 * 1024

SERVICE = "c-smoke-and-fire-cloud"
VERSION = "3.0"
OUTPUT = {"event_center": True}
URL_CONFIG = "<type_config><url_address>rtsp://12.12.12.12:333/live/{n}</url_address></type_config>"
JSON_HEADERS = {"Content-Type": "application/json"}

TARGET_CREATE_S = 3.0
TARGET_UPDATE_S = 2.0
TARGET_LIST_P99_MS = 50.0


def roi(n: int) -> str:
    """A small polygon, different per source."""
    x = n % 500
    polygon = {"name": "a", "data": [[x, 0], [x + 100, 0], [x + 100, 100], [x, 100]]}
    return json.dumps({"polygons": [polygon]}, separators=(",", ":"))


def encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


def mib(kib: int) -> str:
    return f"{kib / 1024:.0f} MiB"


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


# -- memory -------------------------------------------------------------------------------


def vm_hwm_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def reset_hwm(pid: int) -> bool:
    """Set the peak RSS back to the current RSS (Linux ``clear_refs`` 5); False if refused."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def client_peak_kib() -> int:
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


# -- report -------------------------------------------------------------------------------


@dataclass
class Row:
    metric: str
    value: str
    target: str = ""
    ok: bool | None = None


@dataclass
class Report:
    backend: str
    rows: list[Row] = field(default_factory=list)

    def add(self, metric: str, value: str, target: str = "", ok: bool | None = None) -> None:
        self.rows.append(Row(metric, value, target, ok))
        verdict = "" if ok is None else ("PASS" if ok else "MISS")
        print(f"  [{self.backend}] {metric}: {value}  {target}  {verdict}".rstrip(), flush=True)


def print_table(reports: list[Report]) -> None:
    metrics: list[str] = []
    for report in reports:  # in the order of the runs, a backend's own rows where they fell
        at = 0
        for row in report.rows:
            if row.metric in metrics:
                at = metrics.index(row.metric) + 1
            else:
                metrics.insert(at, row.metric)
                at += 1
    cells: dict[tuple[str, str], str] = {}
    targets: dict[str, str] = {}
    for report in reports:
        for row in report.rows:
            verdict = "" if row.ok is None else (" PASS" if row.ok else " MISS")
            cells[(report.backend, row.metric)] = row.value + verdict
            targets[row.metric] = row.target
    widths = [max(6, *(len(m) for m in metrics)), max(6, *(len(t) for t in targets.values()))]
    widths += [
        max(len(r.backend), *(len(c) for (b, _), c in cells.items() if b == r.backend))
        for r in reports
    ]
    header = ["metric", "target", *(r.backend for r in reports)]
    lines = [header] + [
        [m, targets[m], *(cells.get((r.backend, m), "-") for r in reports)] for m in metrics
    ]
    print()
    for i, line in enumerate(lines):
        print("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())
        if i == 0:
            print("  ".join("-" * width for width in widths))


# -- the steps ----------------------------------------------------------------------------


@dataclass
class Fixture:
    """The groups, in order, each with its sources in order."""

    groups: list[tuple[str, list[str]]]


def check(response: httpx.Response, what: str) -> Any:
    if response.status_code != 200:
        raise RuntimeError(f"{what}: HTTP {response.status_code}: {response.text[:500]}")
    return response.json()


async def post_all(server: Server, path: str, bodies: list[bytes]) -> list[dict[str, Any]]:
    """POST every body to ``path`` over SETUP_CONCURRENCY keep-alive connections.

    A minimal HTTP/1.1 client: httpx's per-request overhead would take most of the CPU the
    server needs (setup is not measured, only printed)."""
    host, port = server.base_url.removeprefix("http://").split(":")
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nX-Auth-Token: {server.token}\r\n"
        "Content-Type: application/json\r\nContent-Length: "
    ).encode()
    results: list[dict[str, Any]] = [{} for _ in bodies]
    queue = iter(range(len(bodies)))

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            for i in queue:
                body = bodies[i]
                writer.write(head + str(len(body)).encode() + b"\r\n\r\n" + body)
                status = int((await reader.readline()).split()[1])
                length = 0
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                payload = await reader.readexactly(length)
                if status != 200:
                    raise RuntimeError(f"POST {path}: HTTP {status}: {payload[:500]!r}")
                results[i] = json.loads(payload)
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(SETUP_CONCURRENCY)))
    return results


async def setup(server: Server) -> Fixture:
    base = f"/v2/{server.project_id}"
    groups = [
        encode({"access_type": "cloud", "video_group_name": f"bench-g{g:03d}"})
        for g in range(GROUPS)
    ]
    group_ids = [r["video_group_id"] for r in await post_all(server, f"{base}/video-group", groups)]
    sources = [
        encode(
            {
                "access_type": "cloud",
                "type": "url",
                "type_config": URL_CONFIG.format(n=n),
                "video_source_name": f"bench-s{n:05d}",
                "video_group_ids": [group_ids[n // PER_GROUP]],
            }
        )
        for n in range(SOURCES)
    ]
    source_ids = [r["video_source_id"] for r in await post_all(server, f"{base}/source", sources)]
    return Fixture(
        [(gid, source_ids[g * PER_GROUP : (g + 1) * PER_GROUP]) for g, gid in enumerate(group_ids)]
    )


def batch_input(groups: list[tuple[str, list[str]]]) -> dict[str, Any]:
    entries = []
    n = 0
    for group_id, sources in groups:
        listed = []
        for source_id in sources:
            listed.append({"video_source_id": source_id, "target_roi": roi(n)})
            n += 1
        entries.append({"video_source_group_id": group_id, "video_source_list": listed})
    return {"video_source_group": entries}


def create_body(name: str, groups: list[tuple[str, list[str]]]) -> dict[str, Any]:
    return {
        "name": name,
        "service_name": SERVICE,
        "service_version": VERSION,
        "output": OUTPUT,
        "batch_input": batch_input(groups),
    }


def proc_cpu_s(pid: int) -> float:
    """User + system CPU of a process, all its threads, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class MemoryProbe:
    """Peak RSS of the server per step (reset before the step when the kernel allows)."""

    def __init__(self, pid: int, report: Report) -> None:
        self.pid = pid
        self.report = report
        self.overall = 0
        self.resettable = False

    def start(self) -> None:
        self.overall = max(self.overall, vm_hwm_kib(self.pid))
        self.resettable = reset_hwm(self.pid)

    def end(self, step: str) -> None:
        peak = vm_hwm_kib(self.pid)
        self.overall = max(self.overall, peak)
        label = "peak RSS" if self.resettable else "peak RSS since start"
        self.report.add(f"server {label}: {step}", mib(peak))


@dataclass
class Call:
    wall_s: float
    server_cpu_s: float
    body: Any


class Bench:
    """One backend's run: a client, the server's pid, and the report."""

    def __init__(self, server: Server, client: httpx.Client, report: Report) -> None:
        self.server = server
        self.client = client
        self.report = report
        self.base = f"/v2/{server.project_id}"
        self.pid = server.process.pid
        self.memory = MemoryProbe(self.pid, report)

    def call(self, method: str, path: str, what: str, body: bytes | None = None) -> Call:
        headers = JSON_HEADERS if body is not None else None
        cpu = proc_cpu_s(self.pid)
        start = time.perf_counter()
        response = self.client.request(method, self.base + path, content=body, headers=headers)
        wall = time.perf_counter() - start
        return Call(wall, proc_cpu_s(self.pid) - cpu, check(response, what))

    def timed(self, metric: str, call: Call, target_s: float | None = None) -> None:
        value = f"{call.wall_s:.2f} s (cpu {call.server_cpu_s:.2f})"
        if target_s is None:
            self.report.add(metric, value)
        else:
            self.report.add(metric, value, f"<= {target_s:g} s", call.wall_s <= target_s)

    def create(self, name: str, groups: list[tuple[str, list[str]]]) -> Call:
        return self.call(
            "POST", "/batch-tasks", "CreateBatchTask", encode(create_body(name, groups))
        )


def load_average() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


async def vacuum_analyze(server: Server) -> str:
    """What autovacuum would have done by now; returns the server's autovacuum setting."""
    import asyncpg

    dsn = server.env["OPENVIAS_DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://")
    connection = await asyncpg.connect(dsn)
    try:
        setting = str(await connection.fetchval("SHOW autovacuum"))
        await connection.execute("VACUUM ANALYZE tasks, video_sources, video_group_members")
    finally:
        await connection.close()
    return setting


def run_backend(backend: str, requests: int) -> Report:
    report = Report(backend)
    print(f"\n== {backend} ==", flush=True)
    report.add("machine load (1 min) at start", f"{load_average()} on {os.cpu_count()} CPUs")
    with (
        running_server(backend) as server,
        httpx.Client(
            base_url=server.base_url, headers={"X-Auth-Token": server.token}, timeout=600
        ) as client,
    ):
        bench = Bench(server, client, report)
        memory = bench.memory

        # 1. setup -------------------------------------------------------------------------
        memory.start()
        cpu, start = proc_cpu_s(bench.pid), time.perf_counter()
        fixture = asyncio.run(setup(server))
        wall = time.perf_counter() - start
        bench.timed(
            f"setup: {GROUPS} groups + {SOURCES} sources",
            Call(wall, proc_cpu_s(bench.pid) - cpu, None),
        )
        memory.end("setup")

        # 2. CreateBatchTask, 10,000 tasks ------------------------------------------------
        size = len(encode(create_body("bench-b00", fixture.groups)))
        report.add(
            "CreateBatchTask body size",
            f"{size / 1024:.0f} KiB",
            f"<= {BATCH_BODY_LIMIT // 1024} KiB",
            size <= BATCH_BODY_LIMIT,
        )
        memory.start()
        created = bench.create("bench-b00", fixture.groups)
        assert created.body["succeed_count"] == SOURCES, created.body
        batch_ids = [str(created.body["id"])]
        bench.timed(f"CreateBatchTask ({SOURCES} tasks)", created, TARGET_CREATE_S)
        memory.end("create")

        # 3. UpdateBatchTask: config, and the same sources and ROIs less the first group ---
        kept = batch_input(fixture.groups)
        kept["video_source_group"] = kept["video_source_group"][1:]
        update = {
            "config": {"common": {"video_sampling_interval": 2, "fire_detection_sw": 0}},
            "batch_input": kept,
        }
        memory.start()
        updated = bench.call(
            "PUT", f"/batch-tasks/{batch_ids[0]}", "UpdateBatchTask", encode(update)
        )
        assert updated.body["succeed_count"] == SOURCES - PER_GROUP, updated.body
        bench.timed(f"UpdateBatchTask (config, {GROUPS - 1} groups)", updated, TARGET_UPDATE_S)
        # Not a target: the same batch again, every member's ROI changed.
        for entry in kept["video_source_group"]:
            for source in entry["video_source_list"]:
                source["target_roi"] = source["target_roi"].replace('"a"', '"b"')
        updated = bench.call(
            "PUT", f"/batch-tasks/{batch_ids[0]}", "UpdateBatchTask", encode({"batch_input": kept})
        )
        bench.timed(f"UpdateBatchTask (every ROI, {SOURCES - PER_GROUP} tasks)", updated)
        memory.end("update")

        # 4. fill to 100,000 tasks and vary the states -----------------------------------
        memory.start()
        stored = SOURCES - PER_GROUP
        walls: list[float] = []
        while stored + SOURCES <= TARGET_TASKS:
            created = bench.create(f"bench-b{len(batch_ids):02d}", fixture.groups)
            walls.append(created.wall_s)
            batch_ids.append(str(created.body["id"]))
            stored += int(created.body["succeed_count"])
        rest = (TARGET_TASKS - stored) // PER_GROUP
        if rest:
            created = bench.create(f"bench-b{len(batch_ids):02d}", fixture.groups[:rest])
            batch_ids.append(str(created.body["id"]))
            stored += int(created.body["succeed_count"])
        report.add(
            f"CreateBatchTask x{len(walls)} more (10k..90k stored)",
            f"{min(walls):.2f}..{max(walls):.2f} s",
            f"<= {TARGET_CREATE_S:g} s",
            max(walls) <= TARGET_CREATE_S,
        )
        commands = [
            bench.call("PUT", f"/batch-tasks/{batch_id}/action/stop", "BatchStartStopTask")
            for batch_id in batch_ids[1:5]
        ]
        commands.append(
            bench.call("PUT", f"/batch-tasks/{batch_ids[2]}/action/start", "BatchStartStopTask")
        )
        walls = [c.wall_s for c in commands]
        report.add("BatchStartStopTask (10k tasks)", f"{min(walls):.2f}..{max(walls):.2f} s")
        memory.end("fill to 100k")
        listed = bench.call("GET", "/tasks?page_size=5", "ListTasks")
        assert listed.body["total"] == TARGET_TASKS, listed.body["total"]

        # 4b. ListTasks by state -----------------------------------------------------------
        cases = list_cases(bench)
        if backend == "postgresql":
            # A fresh bulk load has no planner statistics until autovacuum analyzes it.
            fresh = run_cases(bench, cases, len(cases) * 2)
            report.add(
                "ListTasks before ANALYZE p50/max",
                f"{percentile(fresh, 50):.1f} / {max(fresh):.1f} ms",
            )
            setting = asyncio.run(vacuum_analyze(server))
            report.add("VACUUM ANALYZE before the measure", f"done (autovacuum={setting})")
        memory.start()
        run_cases(bench, cases, len(cases) * LIST_WARMUP)
        cpu = proc_cpu_s(bench.pid)
        latencies = run_cases(bench, cases, requests, report)
        cpu_ms = (proc_cpu_s(bench.pid) - cpu) * 1000 / len(latencies)
        memory.end("ListTasks")
        p50, p95, p99 = (percentile(latencies, q) for q in (50, 95, 99))
        report.add(f"ListTasks ({len(latencies)} req) p50 / p95", f"{p50:.1f} / {p95:.1f} ms")
        report.add("ListTasks server cpu per request", f"{cpu_ms:.1f} ms")
        report.add(
            "ListTasks p99",
            f"{p99:.1f} ms",
            f"< {TARGET_LIST_P99_MS:g} ms",
            p99 < TARGET_LIST_P99_MS,
        )

        report.add("server peak RSS (whole run)", mib(memory.overall))
        report.add("client peak RSS", mib(client_peak_kib()))
        report.add("machine load (1 min) at end", load_average())
    return report


Case = tuple[str, str, int]


def list_cases(bench: Bench) -> list[Case]:
    """(label, state, page): the first, the middle and the last page of each state."""
    cases: list[Case] = []
    for state in ("PENDING", "STOPPED", "STARTING"):
        found = int(
            bench.call("GET", f"/tasks?task_state={state}&page_size=5", "ListTasks").body["total"]
        )
        last = max(1, -(-found // PAGE_SIZE))
        bench.report.add(f"tasks {state}", str(found))
        for label, page in (("first", 1), ("middle", (last + 1) // 2), ("last", last)):
            cases.append((f"{state} {label} (p{page})", state, page))
    return cases


def run_cases(
    bench: Bench, cases: list[Case], requests: int, report: Report | None = None
) -> list[float]:
    """``requests`` sequential ListTasks over ``cases`` in turn; latencies in ms."""
    timings: dict[str, list[float]] = {label: [] for label, _, _ in cases}
    for i in range(requests):
        label, state, page = cases[i % len(cases)]
        path = f"/tasks?task_state={state}&page_size={PAGE_SIZE}&page={page}"
        timings[label].append(bench.call("GET", path, "ListTasks").wall_s * 1000)
    if report is not None:
        for label, values in timings.items():
            report.add(
                f"ListTasks {label} median/max",
                f"{statistics.median(values):.1f} / {max(values):.1f} ms",
            )
    return [v for values in timings.values() for v in values]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--requests", type=int, default=LIST_REQUESTS)
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    reports = [run_backend(backend, args.requests) for backend in backends]
    print_table(reports)
    missed = [
        f"{rep.backend}: {row.metric}" for rep in reports for row in rep.rows if row.ok is False
    ]
    print("\nmissed: " + ("; ".join(missed) if missed else "none"))


if __name__ == "__main__":
    main()
