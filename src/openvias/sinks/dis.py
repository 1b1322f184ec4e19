"""The ``dis`` output: each alarm as one record on the stream ``target["stream_name"]``.

Two transports (docs/design/sinks.md):

- ``OPENVIAS_KAFKA_BOOTSTRAP_SERVERS`` set: a Kafka-protocol broker stands in for DIS; the
  stream name is the topic, the record key the alarm's ``stream_id``, the value the envelope
  JSON (with ``image_base64`` unless ``data_category`` excludes the frame). One aiokafka
  producer, started on first use, ``acks=all``, idempotent where the broker allows it.
- else ``OPENVIAS_DIS_ENDPOINT`` set: Huawei's hosted DIS PutRecords API
  (:mod:`openvias.sinks.dis_http`), ``partition_key`` = ``stream_id``, ``data`` = base64 of
  the same JSON.

Delivery is at least once: a redelivered alarm is a second record with the same
``message_id``; consumers deduplicate on it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Mapping
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka import errors as kafka_errors

from openvias.domain.alarms import Alarm
from openvias.settings import Settings
from openvias.sinks.base import Outcome
from openvias.sinks.categories import wants_image
from openvias.sinks.dis_http import HostedDis

log = logging.getLogger(__name__)

#: The largest record the producer sends (aiokafka's ``max_request_size``). The broker's own
#: limit (``message.max.bytes``/topic ``max.message.bytes``, 1 MiB by default on Kafka) is
#: usually lower and decides; this only bounds what openvias tries.
MAX_RECORD_BYTES = 8 * 1024 * 1024
DEFAULT_TIMEOUT_SECONDS = 10.0
#: Kafka topic names (and DIS stream names, which are narrower).
_STREAM_NAME = re.compile(r"^[A-Za-z0-9._-]{1,249}$")
_PERMANENT = (
    kafka_errors.MessageSizeTooLargeError,
    kafka_errors.RecordListTooLargeError,
    kafka_errors.RecordTooLargeError,
    kafka_errors.InvalidTopicError,
    kafka_errors.TopicAuthorizationFailedError,
    kafka_errors.ClusterAuthorizationFailedError,
    kafka_errors.PolicyViolationError,
)


class DisSink:
    """Delivers alarms to DIS streams; see the module doc. ``timeout_seconds`` bounds one
    attempt (Kafka: metadata wait and record expiry each; hosted DIS: the HTTP request)."""

    kind = "dis"

    def __init__(
        self, settings: Settings, *, timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    ) -> None:
        self._kafka = (
            KafkaStreams(settings, timeout_seconds) if settings.kafka_bootstrap_servers else None
        )
        self._hosted = (
            HostedDis(settings, timeout_seconds)
            if self._kafka is None and settings.dis_endpoint
            else None
        )

    async def deliver(self, alarm: Alarm, target: Mapping[str, Any]) -> Outcome:
        if self._kafka is None and self._hosted is None:
            return Outcome.refused(
                "dis outputs are not configured: set OPENVIAS_KAFKA_BOOTSTRAP_SERVERS "
                "(a Kafka-protocol broker) or OPENVIAS_DIS_ENDPOINT (Huawei DIS)"
            )
        stream_name = target.get("stream_name")
        if not isinstance(stream_name, str) or not _STREAM_NAME.match(stream_name):
            return Outcome.refused(f"the dis output's stream_name is not valid: {stream_name!r}")
        envelope = alarm.envelope(include_image=wants_image(target))
        payload = json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        try:
            if self._kafka is not None:
                return await self._kafka.send(stream_name, alarm, payload)
            assert self._hosted is not None
            return await self._hosted.put_record(stream_name, alarm.stream_id, payload)
        except Exception as exc:  # a sink never raises for a failed delivery
            log.warning("dis delivery to %s failed unexpectedly", stream_name, exc_info=exc)
            return Outcome.retry(f"stream {stream_name}: {type(exc).__name__}: {exc}")

    async def close(self) -> None:
        if self._kafka is not None:
            await self._kafka.close()
        if self._hosted is not None:
            await self._hosted.close()


class KafkaStreams:
    """One lazily started producer for ``settings.kafka_bootstrap_servers``."""

    def __init__(self, settings: Settings, timeout_seconds: float) -> None:
        self._servers = settings.kafka_bootstrap_servers or ""
        self._timeout = timeout_seconds
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()
        #: Cleared once the broker refuses an idempotent producer (e.g. Tansu 0.6).
        self._idempotent = True

    async def send(self, topic: str, alarm: Alarm, payload: bytes) -> Outcome:
        try:
            producer = await self._started()
        except (kafka_errors.KafkaError, OSError, TimeoutError) as exc:
            return Outcome.retry(f"Kafka brokers {self._servers}: {_text(exc)}")
        headers = [
            ("message_id", alarm.message_id.encode()),
            ("task_id", alarm.task_id.encode()),
            ("event_type", str(alarm.event_type).encode()),
        ]
        try:
            # The producer expires records after request_timeout_ms; the outer bound only
            # guards against a hang (metadata wait + expiry + slack).
            async with asyncio.timeout(2 * self._timeout + 5):
                sent = await producer.send_and_wait(
                    topic, payload, key=alarm.stream_id.encode("utf-8"), headers=headers
                )
        except _PERMANENT as exc:
            return Outcome.refused(f"topic {topic}: {_text(exc)}")
        except kafka_errors.UnknownTopicOrPartitionError:
            return await self._unknown_topic(producer, topic)
        except (kafka_errors.KafkaError, OSError, TimeoutError) as exc:
            await self._reset_if_dead(producer)
            return Outcome.retry(f"topic {topic}: {_text(exc)}")
        return Outcome.ok(f"topic {sent.topic} partition {sent.partition} offset {sent.offset}")

    async def close(self) -> None:
        async with self._lock:
            producer, self._producer = self._producer, None
        if producer is not None:
            await producer.stop()

    async def _started(self) -> AIOKafkaProducer:
        if self._producer is not None:
            return self._producer
        async with self._lock:
            if self._producer is None:
                try:
                    self._producer = await self._start(self._idempotent)
                except kafka_errors.KafkaConnectionError:
                    raise
                except kafka_errors.KafkaError as exc:
                    if not self._idempotent:
                        raise
                    log.warning(
                        "Kafka brokers %s refused an idempotent producer (%s): producing "
                        "without idempotence",
                        self._servers,
                        _text(exc),
                    )
                    self._idempotent = False
                    self._producer = await self._start(False)
            return self._producer

    async def _start(self, idempotent: bool) -> AIOKafkaProducer:
        timeout_ms = int(self._timeout * 1000)
        producer = AIOKafkaProducer(
            bootstrap_servers=self._servers,
            client_id="openvias",
            acks="all",
            enable_idempotence=idempotent,
            max_request_size=MAX_RECORD_BYTES,
            request_timeout_ms=timeout_ms,
            retry_backoff_ms=200,
        )
        try:
            async with asyncio.timeout(2 * self._timeout):
                await producer.start()
        except BaseException:
            await producer.stop()
            raise
        return producer

    async def _unknown_topic(self, producer: AIOKafkaProducer, topic: str) -> Outcome:
        """aiokafka says "unknown topic" both when the brokers answer without it and when no
        broker answers at all; ask the brokers once more to tell the two apart."""
        try:
            async with asyncio.timeout(self._timeout):
                cluster = await producer.client.fetch_all_metadata()
        except (kafka_errors.KafkaError, OSError, TimeoutError) as exc:
            return Outcome.retry(f"topic {topic}: brokers unreachable: {_text(exc)}")
        if topic in cluster.topics():
            return Outcome.retry(f"topic {topic}: no partition metadata yet")
        return Outcome.refused(
            f"topic {topic} does not exist and the brokers did not create it "
            "(create it, or enable auto.create.topics.enable)"
        )

    async def _reset_if_dead(self, producer: AIOKafkaProducer) -> None:
        """Drop a producer whose sender stopped (a fatal error): the next attempt starts a
        new one."""
        sender = getattr(producer, "_sender", None)
        task = getattr(sender, "sender_task", None)
        if task is None or not task.done():
            return
        async with self._lock:
            if self._producer is producer:
                self._producer = None
        await producer.stop()


def _text(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__
