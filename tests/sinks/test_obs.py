"""The obs sink against moto's S3 server (a real S3 API on loopback, standing in for OBS),
and against a tiny scripted S3 endpoint for the error answers moto cannot be made to give
(access denied, throttling)."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from openvias.domain.object_storage import addressing_style
from openvias.settings import Settings
from openvias.sinks.base import Sink
from openvias.sinks.obs import ObsSink
from tests.sinks import brokers
from tests.sinks.brokers import make_alarm
from tests.support import free_port

moto_endpoint = brokers.moto_endpoint

#: 2026-03-01T23:59:59Z: the day folder is the UTC date.
LATE_EVENING = 1_772_409_599
TASK = "0123456789abcdef0123456789abcdef"


def obs_settings(endpoint: str | None) -> Settings:
    return Settings(
        obs_endpoint=endpoint,
        obs_region="us-east-1",
        obs_access_key_id="test-ak",
        obs_secret_access_key="test-sk",
    )


@pytest.fixture(scope="module")
def s3(moto_endpoint: str) -> Any:
    client = brokers.s3_client(moto_endpoint)
    for bucket in ("alarms", "other"):
        client.create_bucket(Bucket=bucket)
    return client


@pytest.fixture
async def sink(moto_endpoint: str, s3: Any) -> Any:
    obs = ObsSink(obs_settings(moto_endpoint))
    yield obs
    await obs.close()


def keys_under(s3: Any, bucket: str, prefix: str) -> list[str]:
    listing = s3.list_objects_v2(Bucket=bucket, Prefix=prefix)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def test_it_is_a_sink() -> None:
    obs = ObsSink(obs_settings(None))
    assert isinstance(obs, Sink)
    assert obs.kind == "obs"


async def test_an_alarm_becomes_a_json_and_a_jpeg_object(sink: ObsSink, s3: Any) -> None:
    alarm = make_alarm(timestamp=LATE_EVENING)
    outcome = await sink.deliver(alarm, {"bucket": "alarms", "path": "/site-1/alarms/"})
    assert outcome.delivered, outcome
    stem = f"site-1/alarms/{TASK}/2026/03/01/{alarm.message_id}"
    assert keys_under(s3, "alarms", "site-1/") == [f"{stem}.jpg", f"{stem}.json"]

    image = s3.get_object(Bucket="alarms", Key=f"{stem}.jpg")
    assert image["ContentType"] == "image/jpeg"
    assert image["Body"].read() == alarm.jpeg

    stored = s3.get_object(Bucket="alarms", Key=f"{stem}.json")
    assert stored["ContentType"] == "application/json"
    document = json.loads(stored["Body"].read())
    expected = alarm.envelope(include_image=False)
    assert list(document) == [
        "event_type",
        "task_id",
        "stream_id",
        "timestamp",
        "message_id",
        "image",
        "data",
    ]
    assert document.pop("image") == f"{stem}.jpg"
    assert document == expected


async def test_a_count_report_without_an_image_writes_only_its_json(sink: ObsSink, s3: Any) -> None:
    counts = {"region_id": "", "count": 3}
    alarm = replace(
        make_alarm(timestamp=LATE_EVENING, jpeg=b""),
        service_name="c-flowcount-cloud",
        event_type=131074,
        event_set=[counts],
        data_extra={"interval": 2},
    )
    assert (await sink.deliver(alarm, {"bucket": "alarms", "path": "counts"})).delivered
    stem = f"counts/{TASK}/2026/03/01/{alarm.message_id}"
    assert keys_under(s3, "alarms", "counts/") == [f"{stem}.json"]
    document = json.loads(s3.get_object(Bucket="alarms", Key=f"{stem}.json")["Body"].read())
    assert document["data"] == {"interval": 2, "event_set": [counts]}
    assert "image" not in document


async def test_an_empty_path_puts_the_task_folder_at_the_top(sink: ObsSink, s3: Any) -> None:
    alarm = make_alarm(task_id="ab" * 16, timestamp=LATE_EVENING)
    assert (await sink.deliver(alarm, {"bucket": "other", "path": ""})).delivered
    stem = f"{'ab' * 16}/2026/03/01/{alarm.message_id}"
    assert keys_under(s3, "other", "abab") == [f"{stem}.jpg", f"{stem}.json"]


async def test_a_redelivery_overwrites_the_same_objects(sink: ObsSink, s3: Any) -> None:
    alarm = make_alarm(task_id="cd" * 16, media_ms=40)
    target = {"bucket": "alarms", "path": "redelivery"}
    for _ in range(3):
        assert (await sink.deliver(alarm, target)).delivered
    keys = keys_under(s3, "alarms", "redelivery/")
    assert [key.rsplit("/", 1)[1] for key in keys] == [
        f"{alarm.message_id}.jpg",
        f"{alarm.message_id}.json",
    ]


async def test_concurrent_deliveries_share_one_client(sink: ObsSink, s3: Any) -> None:
    alarms = [make_alarm(task_id="ef" * 16, media_ms=ms) for ms in range(0, 2000, 100)]
    target = {"bucket": "alarms", "path": "many"}
    outcomes = await asyncio.gather(*(sink.deliver(alarm, target) for alarm in alarms))
    assert all(outcome.delivered for outcome in outcomes), outcomes
    assert len(keys_under(s3, "alarms", "many/")) == 2 * len(alarms)


@pytest.mark.parametrize(
    ("categories", "with_image"),
    [
        (None, True),
        ([], True),
        (["OriginImage"], True),
        (["FaceImage", "originimage"], True),
        (["FaceImage"], False),
    ],
)
async def test_data_category_decides_whether_the_frame_is_written(
    sink: ObsSink, s3: Any, categories: list[str] | None, with_image: bool
) -> None:
    path = f"category-{json.dumps(categories)}".replace('"', "").replace(" ", "")
    target: dict[str, Any] = {"bucket": "alarms", "path": path}
    if categories is not None:
        target["data_category"] = categories
    alarm = make_alarm()
    assert (await sink.deliver(alarm, target)).delivered
    keys = keys_under(s3, "alarms", f"{path}/")
    assert [key.rsplit(".", 1)[1] for key in keys] == (["jpg", "json"] if with_image else ["json"])
    document = json.loads(s3.get_object(Bucket="alarms", Key=keys[-1])["Body"].read())
    assert ("image" in document) is with_image
    assert "image_base64" not in document


async def test_no_such_bucket_is_permanent(sink: ObsSink) -> None:
    outcome = await sink.deliver(make_alarm(), {"bucket": "no-such-bucket", "path": "x"})
    assert not outcome.delivered
    assert outcome.permanent
    assert outcome.status_code == 404
    assert "NoSuchBucket" in outcome.detail


@pytest.mark.parametrize("target", [{}, {"bucket": ""}, {"bucket": None, "path": "x"}])
async def test_a_target_without_bucket_is_refused(sink: ObsSink, target: dict[str, Any]) -> None:
    outcome = await sink.deliver(make_alarm(), target)
    assert (outcome.delivered, outcome.permanent) == (False, True)
    assert "bucket" in outcome.detail


async def test_an_invalid_bucket_name_is_refused(sink: ObsSink) -> None:
    outcome = await sink.deliver(make_alarm(), {"bucket": "bad/bucket", "path": "x"})
    assert (outcome.delivered, outcome.permanent) == (False, True)


async def test_without_an_endpoint_it_is_refused_clearly() -> None:
    obs = ObsSink(obs_settings(None))
    outcome = await obs.deliver(make_alarm(), {"bucket": "alarms", "path": "x"})
    assert (outcome.delivered, outcome.permanent) == (False, True)
    assert "OPENVIAS_OBS_ENDPOINT" in outcome.detail
    await obs.close()


async def test_an_unreachable_endpoint_is_retried() -> None:
    obs = ObsSink(obs_settings(f"http://127.0.0.1:{free_port()}"))
    try:
        outcome = await obs.deliver(make_alarm(), {"bucket": "alarms", "path": "x"})
    finally:
        await obs.close()
    assert (outcome.delivered, outcome.permanent) == (False, False)
    assert "Could not connect" in outcome.detail


async def test_the_sink_works_again_after_close(sink: ObsSink, s3: Any) -> None:
    await sink.close()
    alarm = make_alarm(task_id="12" * 16)
    assert (await sink.deliver(alarm, {"bucket": "alarms", "path": "reopened"})).delivered
    assert len(keys_under(s3, "alarms", "reopened/")) == 2


class _Scripted(BaseHTTPRequestHandler):
    """Answers every request with the server's scripted S3 error."""

    def do_PUT(self) -> None:
        server: Any = self.server
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status, code = server.answer
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
            f"<Message>scripted {code}</Message></Error>"
        ).encode()
        server.requests += 1
        self.send_response(status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def scripted_s3() -> Iterator[Any]:
    server: Any = ThreadingHTTPServer(("127.0.0.1", 0), _Scripted)
    server.answer = (500, "InternalError")
    server.requests = 0
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    ("status", "code", "permanent"),
    [
        (403, "AccessDenied", True),
        (403, "InvalidAccessKeyId", True),
        (400, "InvalidArgument", True),
        (503, "SlowDown", False),
        (500, "InternalError", False),
        (403, "RequestTimeTooSkewed", False),
    ],
)
async def test_error_answers_are_classified(
    scripted_s3: Any, status: int, code: str, permanent: bool
) -> None:
    scripted_s3.answer = (status, code)
    obs = ObsSink(obs_settings(f"http://127.0.0.1:{scripted_s3.server_address[1]}"))
    try:
        outcome = await obs.deliver(make_alarm(), {"bucket": "alarms", "path": "x"})
    finally:
        await obs.close()
    assert (outcome.delivered, outcome.permanent, outcome.status_code) == (
        False,
        permanent,
        status,
    )
    assert code in outcome.detail


def test_huawei_obs_endpoints_get_virtual_hosted_requests() -> None:
    assert addressing_style("https://obs.cn-north-4.myhuaweicloud.com") == "virtual"
    assert addressing_style("https://obs.eu-west-101.myhuaweicloud.eu") == "virtual"
    assert addressing_style("http://127.0.0.1:9000") == "path"
    assert addressing_style("https://minio.example.com") == "path"
