"""Every failure path renders the VIAS error body with the right HTTP status."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from openvias.api.app import create_app
from openvias.settings import Settings
from openvias.store.db import create_engine
from openvias.store.migrate import upgrade_to_head
from tests.support import Server

ERROR_KEYS = {"error_code", "error_msg", "detail", "params", "reason", "advice"}
TYPE_CONFIG = "<type_config><url_address>http://example.com/a.mp4</url_address></type_config>"
OTHER_PROJECT = "0" * 32


def assert_vias_error(
    response: httpx.Response, status: int, param: str | None = None
) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json", response.headers
    assert "Traceback" not in response.text
    body: dict[str, Any] = response.json()
    assert set(body) == ERROR_KEYS, body
    for key in ERROR_KEYS - {"params"}:
        assert isinstance(body[key], str), (key, body)
        assert body[key], (key, body)
    assert body["error_code"].startswith("VIAS."), body
    assert isinstance(body["params"], list), body
    assert len(body["params"]) <= 1, body
    assert all(isinstance(item, str) for item in body["params"]), body
    if param is not None:
        assert body["params"] == [param], body
    return body


def source_body(name: str, **overrides: Any) -> dict[str, Any]:
    return {
        "access_type": "cloud",
        "type": "url",
        "type_config": TYPE_CONFIG,
        "video_source_name": name,
        **overrides,
    }


@pytest.fixture
def client(server: Server) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client


def test_validation_errors_are_400_with_the_field(client: httpx.Client, server: Server) -> None:
    pid = server.project_id
    bad_enum = client.post(f"/v2/{pid}/source", json=source_body("v1", access_type="moon"))
    assert_vias_error(bad_enum, 400, "access_type")
    missing = client.post(f"/v2/{pid}/source", json={"access_type": "cloud", "type": "url"})
    assert_vias_error(missing, 400)
    bad_tag = client.post(f"/v2/{pid}/source", json=source_body("v2", tag=["#" * 30]))
    assert_vias_error(bad_tag, 400, "tag")
    bad_query = client.get(f"/v2/{pid}/source/sources", params={"page_size": "lots"})
    assert_vias_error(bad_query, 400, "page_size")
    bad_bool = client.get(f"/v2/{pid}/source/sources", params={"is_paged": "perhaps"})
    assert_vias_error(bad_bool, 400, "is_paged")
    bad_list = client.get(f"/v2/{pid}/source/sources", params=[("status", "1"), ("status", "7")])
    assert_vias_error(bad_list, 400, "status")
    bad_path = client.get(f"/v2/{pid}/source/sources/NOT_AN_ID!")
    assert_vias_error(bad_path, 400, "video_source_id")


def test_malformed_json_and_non_object_bodies_are_400(client: httpx.Client, server: Server) -> None:
    url = f"/v2/{server.project_id}/source"
    headers = {"Content-Type": "application/json"}
    assert_vias_error(client.post(url, content=b'{"access_type": ', headers=headers), 400, "body")
    assert_vias_error(client.post(url, content=b"[1, 2]", headers=headers), 400, "body")
    assert_vias_error(client.post(url, headers=headers), 400, "body")


def test_nul_characters_are_refused_everywhere(client: httpx.Client, server: Server) -> None:
    pid = server.project_id
    in_query = client.get(f"/v2/{pid}/source/sources?scope=a%00b")
    assert_vias_error(in_query, 400, "scope")
    raw = b'{"access_type":"cloud","type":"url","type_config":"<a>\\u0000</a>",'
    raw += b'"video_source_name":"nul"}'
    in_body = client.post(
        f"/v2/{pid}/source", content=raw, headers={"Content-Type": "application/json"}
    )
    assert_vias_error(in_body, 400, "body")
    assert_vias_error(client.get(f"/v2/{pid}/source/sources/ab%00cd"), 400, "path")


def test_missing_or_bad_credentials_are_401(server: Server) -> None:
    url = f"{server.base_url}/v2/{server.project_id}/source/sources"
    missing = httpx.get(url)
    assert_vias_error(missing, 401)
    assert missing.headers.get("www-authenticate")
    assert_vias_error(httpx.get(url, headers={"X-Auth-Token": "not-a-token"}), 401)
    assert_vias_error(httpx.get(url, headers={"Authorization": "SDK-HMAC-SHA256 nonsense"}), 401)
    assert_vias_error(httpx.get(f"{server.base_url}/v3/projects"), 401)


def test_foreign_project_is_403(client: httpx.Client) -> None:
    assert_vias_error(client.get(f"/v2/{OTHER_PROJECT}/source/sources"), 403)
    created = client.post(f"/v2/{OTHER_PROJECT}/source", json=source_body("foreign"))
    assert_vias_error(created, 403)


def test_unknown_ids_and_routes_are_404(client: httpx.Client, server: Server) -> None:
    pid = server.project_id
    assert_vias_error(client.get(f"/v2/{pid}/source/sources/abcd-1234"), 404, "video_source_id")
    assert_vias_error(client.delete(f"/v2/{pid}/source/abcd-1234"), 404)
    assert_vias_error(client.get(f"/v2/{pid}/nope"), 404)
    assert_vias_error(client.get("/nothing"), 404)
    assert_vias_error(httpx.get(f"{server.base_url}/nothing"), 404)


def test_unsupported_method_is_405_with_allow(client: httpx.Client, server: Server) -> None:
    response = client.patch(f"/v2/{server.project_id}/source/abcd-1234", json={})
    assert_vias_error(response, 405)
    # PUT and DELETE live on two routes with the same path: Allow names both.
    assert {m.strip() for m in response.headers["allow"].split(",")} == {"PUT", "DELETE"}
    assert_vias_error(client.delete("/healthz"), 405)
    assert_vias_error(client.request("OPTIONS", "/v3/auth/tokens"), 405)


def test_duplicate_video_source_name_is_409(client: httpx.Client, server: Server) -> None:
    url = f"/v2/{server.project_id}/source"
    first = client.post(url, json=source_body("errors-duplicate"))
    assert first.status_code == 200, first.text
    assert_vias_error(client.post(url, json=source_body("errors-duplicate")), 409)


def test_body_over_one_mib_is_413(client: httpx.Client, server: Server) -> None:
    url = f"/v2/{server.project_id}/source"
    big = b'{"type_config": "' + b"x" * (1024 * 1024 + 10) + b'"}'
    with_length = client.post(url, content=big, headers={"Content-Type": "application/json"})
    assert_vias_error(with_length, 413)

    def chunks() -> Iterator[bytes]:
        yield b'{"type_config": "'
        for _ in range(20):
            yield b"x" * 65536
        yield b'"}'

    chunked = client.post(url, content=chunks(), headers={"Content-Type": "application/json"})
    assert "content-length" not in chunked.request.headers
    assert chunked.request.headers["transfer-encoding"] == "chunked"
    assert_vias_error(chunked, 413)
    # The connection (or a new one) still serves requests afterwards.
    assert client.get("/healthz").status_code == 200


def test_batch_task_bodies_may_exceed_one_mib_up_to_their_own_limit(
    client: httpx.Client, server: Server
) -> None:
    # given a 1.5 MiB CreateBatchTask body (100 x 100 sources with ROIs reach about 1.5 MB)
    url = f"/v2/{server.project_id}/batch-tasks"
    padding = "x" * (1536 * 1024)
    body = b'{"name": "big", "description": "' + padding.encode() + b'"}'
    # when it is sent, then it passes the size guard and fails validation on its content
    response = client.post(url, content=body, headers={"Content-Type": "application/json"})
    assert_vias_error(response, 400)
    # and a body announced over the batch limit (32 MiB) is refused before it is sent
    host, port = server.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            f"POST {url} HTTP/1.1\r\nHost: {host}\r\nX-Auth-Token: {server.token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {33 * 1024 * 1024}\r\n\r\n".encode()
        )
        received = b""
        while b"VIAS.00090413" not in received:
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
    head = received.decode("latin-1")
    assert head.startswith("HTTP/1.1 413"), head
    assert "VIAS.00090413" in head


def test_small_chunked_body_is_accepted(client: httpx.Client, server: Server) -> None:
    def chunks() -> Iterator[bytes]:
        text = httpx.Request("POST", "/", json=source_body("errors-chunked")).content
        yield text[:10]
        yield text[10:]

    response = client.post(
        f"/v2/{server.project_id}/source",
        content=chunks(),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text


def test_non_json_body_is_415(client: httpx.Client, server: Server) -> None:
    url = f"/v2/{server.project_id}/source"
    plain = client.post(url, content=b"hello", headers={"Content-Type": "text/plain"})
    assert_vias_error(plain, 415)
    form = client.post(url, data={"video_source_name": "x"})
    assert_vias_error(form, 415)
    # application/json with parameters, and +json types, are JSON.
    charset = client.post(
        url,
        content=httpx.Request("POST", "/", json=source_body("errors-charset")).content,
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert charset.status_code == 200, charset.text


def test_unhandled_exception_is_a_vias_500_without_traceback(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'openvias.db'}"

    async def scenario() -> httpx.Response:
        engine = create_engine(url)
        try:
            await upgrade_to_head(engine)
        finally:
            await engine.dispose()
        app = create_app(Settings(data_dir=tmp_path, database_url=url, admin_password="x" * 12))

        @app.get("/boom")
        async def boom() -> None:
            raise RuntimeError("secret internal detail")

        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get("/boom")

    with caplog.at_level(logging.ERROR, logger="openvias"):
        response = asyncio.run(scenario())
    body = assert_vias_error(response, 500)
    assert body["error_code"] == "VIAS.00010006"
    assert "secret internal detail" not in response.text
    assert "RuntimeError" not in response.text
    # The traceback goes to the log, and only there.
    assert any(record.exc_info for record in caplog.records), caplog.records
