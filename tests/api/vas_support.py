"""Helpers of the VAS legacy API tests: Huawei's VAS definitions as oracles, the VAS SDK
client, valid VAS bodies."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import httpx
import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkvas.v2 import VasClient

from tests import spec
from tests.api.identity_support import cli_json
from tests.support import SPEC_DIR, Server

SMOKE = "c-smoke-and-fire-cloud"
STREAM = "rtsp://127.0.0.1:8554/cam1"
HOOK = {"url": "http://127.0.0.1:9000/hook", "headers": {"X-Tok": "abc"}}
COMMON = {"video_sampling_interval": 2, "fire_detection_sw": 1, "smoke_detection_sw": 0}
WEEKLY = {
    "type": "weekly",
    "timezone": "+08:00",
    "days_of_week": [1, 2, 3],
    "periods": [{"begin_at": "08:00:00", "end_at": "18:00:00"}],
}
Keys = tuple[str, str]


@cache
def _definition(operation: str) -> dict[str, Any]:
    path = SPEC_DIR / "VAS" / f"{operation}.json"
    if not path.is_file():
        pytest.skip(f"Huawei's VAS definitions not found at {path.parent}")
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def assert_vas(operation: str, body: Any, status: int) -> None:
    """``body`` validates against the VAS ``operation``'s ``status`` response schema."""
    document = _definition(operation)
    (methods,) = document["paths"].values()
    (op,) = methods.values()
    schema = {**op["responses"][str(status)]["schema"], "definitions": document["definitions"]}
    spec.assert_schema(schema, body, f"{operation} {status} body")


def access_keys(server: Server) -> Keys:
    printed = cli_json(server, "admin", "create-access-key", "--user", "admin")
    return printed["access"], printed["secret"]


def vas_client(server: Server, keys: Keys, project_id: str | None = None) -> VasClient:
    config = HttpConfig.get_default_config()
    config.timeout = (5, 30)
    credentials = BasicCredentials(keys[0], keys[1], project_id or server.project_id)
    builder = VasClient.new_builder().with_http_config(config).with_credentials(credentials)
    client: VasClient = builder.with_endpoints([server.base_url]).build()
    return client


def vas_body(task_name: str, /, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": task_name,
        "description": "legacy",
        "service_version": "3.0",
        "input": {"type": "url", "data": [{"url": STREAM}]},
        "output": {"webhook": HOOK},
        "service_config": {"common": dict(COMMON)},
        "timing": dict(WEEKLY),
    }
    body.update(overrides)
    return body


def signed_post(server: Server, keys: Keys, path: str, body: Any) -> httpx.Response:
    """POST ``body`` AK/SK-signed exactly as ``huaweicloudsdkcore`` signs."""
    request = SdkRequest(
        method="POST",
        schema="http",
        host=server.base_url.split("://", 1)[1],
        resource_path=path,
        query_params=[],
        header_params={"Content-Type": "application/json", "User-Agent": "openvias-tests/1"},
        body=json.dumps(body),
    )
    signed = BasicCredentials(keys[0], keys[1], server.project_id).sign_request(request)
    headers = {k: str(v).encode("latin-1") for k, v in signed.header_params.items()}
    return httpx.post(
        f"{server.base_url}{signed.uri}", headers=headers, content=signed.body, timeout=30
    )
