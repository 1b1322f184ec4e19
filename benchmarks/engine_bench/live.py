"""Part 2: live RTSP streams through a real openvias serve, added step by step."""

from __future__ import annotations

import math
import os
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
from tests.api.test_task_orders import create_order
from tests.support import Server, running_server

from engine_bench.alarms import LiveStep, check_streams, read_alarms, unsettled
from engine_bench.common import (
    CORES,
    LATE_GRACE_S,
    MAX_SETTLE_S,
    LiveProbe,
    ms,
    percentile,
    verdict,
)
from engine_bench.cpu import cpu_share, cpu_snapshot
from engine_bench.rtsp import RtspRig


class Api:
    """The few API calls the live benchmark makes (no schema checks: they would cost CPU)."""

    def __init__(self, server: Server, probe: LiveProbe, tasks: int) -> None:
        self.client = server.client()
        self.base = f"/v2/{server.project_id}"
        self.order = None
        if probe.commercial:
            self.order = create_order(server, server.project_id, probe.service, tasks)

    def _ok(self, response: httpx.Response) -> Any:
        if response.status_code != 200:
            raise RuntimeError(f"{response.request.url}: {response.status_code} {response.text}")
        return response.json()

    def live_task(self, url: str, name: str, probe: LiveProbe) -> str:
        tag = uuid.uuid4().hex[:8]
        source = {
            "access_type": "cloud",
            "type": "url",
            "type_config": f"<type_config><url_address>{url}</url_address></type_config>",
            "video_source_name": f"bench-{name}-{tag}",
            "latitude": "",
            "longitude": "",
            "tag": [],
            "video_group_ids": [],
        }
        source_id = self._ok(self.client.post(f"{self.base}/source", json=source))[
            "video_source_id"
        ]
        task = {
            "name": f"bench-{name}-{tag}",
            "input": {"type": "video_source", "data": [{"video_source_id": source_id}]},
            "output": {"event_center": True},
            "config": {"common": probe.common},
            "service_version": "3.0",
        }
        if self.order is not None:
            task["resource_order_id"] = self.order
        path = f"{self.base}/services/{probe.service}/tasks"
        body = self._ok(self.client.post(path, json=task))
        return str(body["tasks"][0]["id"])

    def states(self, task_ids: Sequence[str]) -> dict[str, str]:
        return {
            task_id: str(self._ok(self.client.get(f"{self.base}/tasks/{task_id}"))["state"])
            for task_id in task_ids
        }

    def close(self) -> None:
        self.client.close()


def wait_running(api: Api, task_ids: Sequence[str], timeout: float) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    states = api.states(task_ids)
    while time.monotonic() < deadline and any(s != "RUNNING" for s in states.values()):
        time.sleep(1.0)
        states = api.states(task_ids)
    return states


def measure_live(
    clip: Path,
    probe: LiveProbe,
    steps: Sequence[int],
    window_s: float,
    settle_s: float,
    folder: Path,
) -> list[LiveStep]:
    results: list[LiveStep] = []
    rig = RtspRig(clip, max(steps), folder)
    rig.start()
    try:
        slots = str(max(steps))
        # The cameras are on loopback, which the video-source address policy refuses.
        private = {"OPENVIAS_ALLOW_PRIVATE_TARGETS": "true"}
        with running_server("sqlite", OPENVIAS_ENGINE_SLOTS=slots, **private) as server:
            api = Api(server, probe, max(steps))
            try:
                tasks: dict[str, str] = {}
                try:
                    for n in steps:
                        while len(tasks) < n:
                            name = rig.names[len(tasks)]
                            tasks[api.live_task(rig.url(name), name, probe)] = name
                        states = wait_running(api, list(tasks), timeout=30 + 3 * n)
                        running = sum(s == "RUNNING" for s in states.values())
                        if running < n:
                            print(f"   N={n}: only {running} RUNNING")
                        # Settle: at least settle_s, then until every stream has an alarm on a
                        # picture from after every stream ran, which came less than MAX_LAG_S
                        # late (new streams start behind), at most MAX_SETTLE_S.
                        settle_start = time.monotonic()
                        settle_wall = time.time()
                        time.sleep(settle_s)
                        while (
                            unsettled(tasks, server, rig, probe, since=settle_wall)
                            and time.monotonic() - settle_start < MAX_SETTLE_S
                        ):
                            time.sleep(2.0)
                        settled_after = time.monotonic() - settle_start
                        before = cpu_snapshot(server, rig)
                        start = time.time()
                        time.sleep(window_s)
                        end = time.time()
                        after = cpu_snapshot(server, rig)
                        load = os.getloadavg()
                        time.sleep(LATE_GRACE_S)
                        states = api.states(list(tasks))
                        alarms = read_alarms(server, probe)
                        checks, total, lag, store = check_streams(
                            tasks, alarms, rig.plays(), probe, (start, end), states
                        )
                        step = LiveStep(
                            n=n,
                            running=sum(s == "RUNNING" for s in states.values()),
                            window_s=end - start,
                            cpu=cpu_share(before, after),
                            checks=checks,
                            frame_to_stored=total,
                            camera_to_analysed=lag,
                            analysed_to_stored=store,
                            all_alarms=len(alarms),
                            load=load,
                            settled_s=settled_after,
                        )
                        results.append(step)
                        print_step(step)
                        if not step.passed:
                            break
                except httpx.TimeoutException as error:
                    # A saturated server stops answering: the step did not pass.
                    print(f"   N={n}: the server did not answer in time ({error}); stopped")
            finally:
                api.close()
    finally:
        rig.stop()
    return results


def print_live_header(window_s: float, settle_s: float, probe: LiveProbe) -> None:
    print(
        f"\n2. Live {probe.label} RTSP streams of {probe.service} through openvias serve "
        f"(SQLite); "
        f"{window_s:.0f} s windows after >= {settle_s:.0f} s of settling (until every stream"
        f" caught up, at most {MAX_SETTLE_S:.0f} s)"
    )
    print(
        "   latency ms: frame→stored = camera→analysed + analysed→stored (p50/p95[/max]);"
        f" CPU in % of one core ({CORES} cores = {100 * CORES}%)"
    )
    print(
        f"   {'N':>3} {'run':>3} {'kept':>4} {'alarms':>7} | {'frame→stored':>12}"
        f" {'cam→analysed':>16} {'analysed→stored':>15} | {'machine':>7} {'streams':>7}"
        f" {'/stream':>7} {'server':>6} {'rtsp':>5} {'others':>6} {'steal':>5} {'load1':>5}"
        f" | {'proj.':>5} {'settle':>6}"
    )


def print_step(s: LiveStep) -> None:
    c = s.cpu
    lag = s.camera_to_analysed
    store = s.analysed_to_stored
    total = f"{ms(percentile(s.frame_to_stored, 50))}/{ms(s.p95)}"
    lags = f"{ms(percentile(lag, 50))}/{ms(percentile(lag, 95))}/{ms(max(lag, default=math.nan))}"
    stores = f"{ms(percentile(store, 50))}/{ms(percentile(store, 95))}"
    result = verdict(s.passed) + ("" if s.passed else f" ({', '.join(s.misses())})")
    print(
        f"   {s.n:>3} {s.running:>3} {s.kept_up:>4} {s.stored:>3}/{s.expected:<3} |"
        f" {total:>12} {lags:>16} {stores:>15} | {c.machine:>6.0f}% {c.streams:>6.0f}%"
        f" {c.per_stream:>6.1f}% {c.server:>5.0f}% {c.rtsp:>4.0f}% {c.others:>5.0f}%"
        f" {c.steal:>4.0f}% {s.load[0]:>5.1f} | {c.projected_streams():>5} {s.settled_s:>5.0f}s"
        f"  {result}"
    )
    for check in s.checks:
        if not check.kept_up or check.extra:
            growth = check.lags[-1] - check.lags[0] if len(check.lags) > 1 else 0.0
            lags = "/".join(ms(lag) for lag in check.lags) or "-"
            print(
                f"       {check.name}: running={check.running} alarms {check.stored}/"
                f"{check.expected} mismatched={check.mismatched} extra={check.extra} "
                f"lags ms {lags} (growth {ms(growth)})"
            )
