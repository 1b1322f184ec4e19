"""End to end: a batch task over a group with a fire clip, outputs webhook + obs + dis +
event_center, started through the API. The same alarms (same ``message_id``s) arrive in
all four: a webhook receiver on loopback, moto's S3 server, the Tansu Kafka-protocol broker
and ``GET /v2/{project_id}/events``."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.api.task_center import batch_body, task_center
from tests.api.video_center import URL_CONFIG
from tests.engine.clips import write_clip
from tests.engine.test_lifecycle import wait_for
from tests.sinks.brokers import consume, create_topic, running_moto, running_tansu, s3_client
from tests.support import running_server


class Receiver(ThreadingHTTPServer):
    """Records the JSON bodies POSTed to it."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/alarms"

    def message_ids(self) -> set[str]:
        with self.lock:
            return {str(body["message_id"]) for body in self.bodies}


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.server.lock:
            self.server.bodies.append(body)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def test_one_alarm_reaches_all_four_outputs(
    backend: str, tmp_path: Path, receiver: Receiver
) -> None:
    clip = write_clip(tmp_path / "flame.mp4", 8, flame=True)
    with running_moto() as s3, running_tansu() as kafka:
        s3_client(s3.endpoint).create_bucket(Bucket="alarms")
        asyncio.run(create_topic(kafka.bootstrap, "fire-alarms"))
        env = {
            "OPENVIAS_ENGINE_SLOTS": "2",
            "OPENVIAS_FILE_ROOTS": str(tmp_path),
            "OPENVIAS_ALLOW_PRIVATE_TARGETS": "true",
            "OPENVIAS_OBS_ENDPOINT": s3.endpoint,
            "OPENVIAS_OBS_ACCESS_KEY_ID": "test-ak",
            "OPENVIAS_OBS_SECRET_ACCESS_KEY": "test-sk",
            "OPENVIAS_KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap,
        }
        with running_server(backend, **env) as server, task_center(server) as tc:
            source = tc.vc.create_source(type_config=URL_CONFIG.format(url=clip.as_uri()))
            group = tc.vc.create_group([source])
            output = {
                "webhook": {"url": receiver.url, "headers": {"X-Site": "plant-7"}},
                "obs": {"bucket": "alarms", "path": "site-7"},
                "dis": {"stream_name": "fire-alarms"},
                "event_center": True,
            }
            batch_id = tc.create_batch(batch_body([(group, [source])], output=output))["id"]
            tc.batch_action(batch_id, "start")
            task_id = tc.members(batch_id)[source]["id"]
            wait_for(lambda: tc.state(task_id) == "SUCCEEDED", timeout=60, what="the analysis")
            with server.client() as client:
                listed = client.get(
                    f"/v2/{server.project_id}/events", params={"task_id": task_id}
                ).json()
            stored = {event["message_id"] for event in listed["events"]}
            assert stored, "the fire clip raised no alarm"
            wait_for(lambda: receiver.message_ids() >= stored, timeout=30, what="the webhook")
            bucket = s3_client(s3.endpoint)

            def stored_objects() -> set[str]:
                objects = bucket.list_objects_v2(Bucket="alarms", Prefix="site-7/")
                return {Path(item["Key"]).name for item in objects.get("Contents", [])}

            expected = {f"{m}.{suffix}" for m in stored for suffix in ("json", "jpg")}
            wait_for(lambda: stored_objects() >= expected, timeout=30, what="the OBS objects")
            records = asyncio.run(consume(kafka.bootstrap, "fire-alarms", len(stored)))
            produced = {json.loads(record.value)["message_id"] for record in records}
            assert produced >= stored
            assert all(record.key.decode() == source for record in records)
            posted = receiver.bodies[0]
            assert posted["task_id"] == task_id
            assert posted["event_type"] == 393216
            assert posted["image_base64"]
