"""Batch-task bodies may exceed the 1 MiB limit of other bodies, but only for a caller known
from the headers: an anonymous request is answered before more than 1 MiB of its body is
read, whether it announces its length or streams it chunked."""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest

from tests.api.identity_support import assert_error, cli_json, create_tenant
from tests.api.task_center import TaskCenter, batch_body, task_center
from tests.support import Server

SMALL_LIMIT = 1024 * 1024
#: Between the small limit and the batch limit (32 MiB).
BIG = 3 * SMALL_LIMIT // 2


@pytest.fixture
def tc(server: Server) -> Iterator[TaskCenter]:
    with task_center(server) as center:
        yield center


def _head(server: Server, path: str, headers: dict[str, str]) -> bytes:
    host = server.base_url.removeprefix("http://")
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}", "Content-Type: application/json"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _answer(sock: socket.socket) -> tuple[int, dict[str, Any]]:
    """Status and JSON body of the response (Content-Length framed, as the API answers)."""
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before an answer: {received!r}"
        received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = next(
        int(v) for n, _, v in (x.partition(": ") for x in lines) if n.lower() == "content-length"
    )
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, "connection closed in the middle of the answer"
        body += chunk
    return int(lines[0].split()[1]), json.loads(body)


def _announced(server: Server, path: str, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    """Send only the headers of a request announcing a BIG body; the answer must come
    without the body (a server that waited for it would time out here)."""
    host, port = server.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=15) as sock:
        sock.sendall(_head(server, path, {**headers, "Content-Length": str(BIG)}))
        return _answer(sock)


def _chunked(server: Server, path: str, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    """Stream a chunked body a little past the small limit, then stop sending (without
    ending the body): the server must answer from what it has read."""
    host, port = server.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=15) as sock:
        sock.sendall(_head(server, path, {**headers, "Transfer-Encoding": "chunked"}))
        piece = b"x" * 65536
        for _ in range((SMALL_LIMIT + 4 * len(piece)) // len(piece)):
            sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
        return _answer(sock)


def _vias_error(answer: tuple[int, dict[str, Any]], status: int) -> dict[str, Any]:
    got, body = answer
    assert got == status, body
    return assert_error(httpx.Response(got, json=body), status)


def _signature_headers(access: str, project_id: str) -> dict[str, str]:
    date = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return {
        "X-Sdk-Date": date,
        "Authorization": f"SDK-HMAC-SHA256 Access={access}, SignedHeaders=host;x-sdk-date, "
        f"Signature={'0' * 64}",
        "X-Project-Id": project_id,
    }


@pytest.mark.parametrize("send", [_announced, _chunked], ids=["content-length", "chunked"])
def test_anonymous_large_batch_bodies_are_refused_unread(server: Server, send: Any) -> None:
    pid = server.project_id
    for path in (
        f"/v2/{pid}/batch-tasks",
        f"/v2/{pid}/batch-tasks/abcd1234",
        f"/v2/{pid}/templates/abcd1234/batch-tasks",
        f"/v2/{uuid.uuid4().hex}/batch-tasks",
    ):
        body = _vias_error(send(server, path, {}), 401)
        assert body["error_code"] == "VIAS.00010005"
    garbage = {"X-Auth-Token": "garbage-" + uuid.uuid4().hex}
    _vias_error(send(server, f"/v2/{pid}/batch-tasks", garbage), 401)
    # An unknown access key reads as a bad signature, as on every other route.
    unknown = _vias_error(
        send(server, f"/v2/{pid}/batch-tasks", _signature_headers("UNKNOWNKEY", pid)), 401
    )
    assert unknown["error_msg"] == "The request signature does not match."
    # A valid token of another project may not send it either.
    other = create_tenant(server)
    _vias_error(send(server, f"/v2/{pid}/batch-tasks", {"X-Auth-Token": other.token}), 403)
    # and the server still answers
    assert httpx.get(f"{server.base_url}/healthz").status_code == 200


def test_an_authenticated_batch_body_over_the_small_limit_is_accepted(tc: TaskCenter) -> None:
    sources = tc.sources(2)
    group = tc.group(sources)
    body = batch_body([(group, sources)], padding="x" * BIG)  # an unknown field: ignored
    result = tc.create_batch(body)
    assert (result["total_count"], result["succeed_count"]) == (2, 2)

    def chunks() -> Iterator[bytes]:
        text = json.dumps(batch_body([(group, sources)], padding="y" * BIG)).encode()
        for start in range(0, len(text), 65536):
            yield text[start : start + 65536]

    streamed = tc.client.post(
        f"{tc.base}/batch-tasks", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert streamed.request.headers["transfer-encoding"] == "chunked"
    assert streamed.status_code == 200, streamed.text
    assert streamed.json()["succeed_count"] == 2


def test_a_signed_batch_body_over_the_small_limit_is_accepted(server: Server) -> None:
    keys = cli_json(server, "admin", "create-access-key", "--user", "admin")
    with task_center(server) as tc:
        sources = tc.sources(1)
        group = tc.group(sources)
    body = json.dumps(batch_body([(group, sources)], padding="z" * BIG))
    request = SdkRequest(
        method="POST",
        schema="http",
        host=server.base_url.split("://", 1)[1],
        resource_path=f"/v2/{server.project_id}/batch-tasks",
        query_params=[],
        header_params={"Content-Type": "application/json"},
        body=body,
    )
    credentials = BasicCredentials(keys["access"], keys["secret"], server.project_id)
    signed = credentials.sign_request(request)
    headers = {k: str(v) for k, v in signed.header_params.items()}
    response = httpx.post(
        f"{server.base_url}{signed.uri}", headers=headers, content=signed.body, timeout=30
    )
    assert response.status_code == 200, response.text
    assert response.json()["succeed_count"] == 1
    # The same body with a wrong signature is read (the key exists) and then refused.
    headers["Authorization"] = headers["Authorization"][:-8] + "00000000"
    wrong = httpx.post(
        f"{server.base_url}{signed.uri}", headers=headers, content=signed.body, timeout=30
    )
    assert_error(wrong, 401)
