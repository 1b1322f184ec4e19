"""AK/SK (SDK-HMAC-SHA256) requests, signed by the real ``huaweicloudsdkcore``."""

from __future__ import annotations

import json
import types
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httpx
import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.client import Client, ClientBuilder
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkcore.region.region import Region
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.sdk_response import SdkResponse

from tests.api.identity_support import (
    assert_error,
    cli_json,
    create_tenant,
    source_body,
    unique,
)
from tests.support import Server

Keys = tuple[str, str]


@pytest.fixture(scope="module")
def keys(server: Server) -> Keys:
    printed = cli_json(server, "admin", "create-access-key", "--user", "admin")
    return printed["access"], printed["secret"]


def sign(
    server: Server,
    keys: Keys,
    method: str,
    path: str,
    *,
    query: list[tuple[str, Any]] | None = None,
    body: Any = None,
    headers: dict[str, str] | None = None,
    project_id: str | None = None,
    date: datetime | None = None,
    host: str | None = None,
) -> SdkRequest:
    """Sign as the SDK does (``BasicCredentials.sign_request`` adds X-Project-Id); the
    request still goes to the test server whatever ``host`` it is signed for."""
    header_params = {"Content-Type": "application/json", "User-Agent": "openvias-tests/1"}
    header_params.update(headers or {})
    if date is not None:
        header_params["X-Sdk-Date"] = date.strftime("%Y%m%dT%H%M%SZ")
    request = SdkRequest(
        method=method,
        schema="http",
        host=host or server.base_url.split("://", 1)[1],
        resource_path=path,
        query_params=list(query or []),
        header_params=header_params,
        body=json.dumps(body) if body is not None else "",
    )
    credentials = BasicCredentials(keys[0], keys[1], project_id or server.project_id)
    return credentials.sign_request(request)


def send(server: Server, request: SdkRequest, content: bytes | None = None) -> httpx.Response:
    """Send what the SDK would: the signed headers as bytes, the uri with its query."""
    headers = {k: str(v).encode("latin-1") for k, v in request.header_params.items()}
    return httpx.request(
        request.method,
        f"{server.base_url}{request.uri}",
        headers=headers,
        content=request.body if content is None else content,
        timeout=30,
    )


def sources(server: Server, project_id: str | None = None) -> str:
    return f"/v2/{project_id or server.project_id}/source/sources"


def test_signed_list_and_create_are_accepted(server: Server, keys: Keys) -> None:
    listed = send(server, sign(server, keys, "GET", sources(server)))
    assert listed.status_code == 200, listed.text
    assert "video_source_list" in listed.json()

    name = unique("signed")
    path = f"/v2/{server.project_id}/source"
    created = send(server, sign(server, keys, "POST", path, body=source_body(name)))
    assert created.status_code == 200, created.text
    source_id = created.json()["video_source_id"]
    shown = send(server, sign(server, keys, "GET", f"{sources(server)}/{source_id}"))
    assert shown.status_code == 200
    assert shown.json()["video_source_name"] == name
    # An empty body with a non-JSON Content-Type: the SDK marks it UNSIGNED-PAYLOAD but
    # still hashes it as sha256("").
    delete = sign(
        server, keys, "DELETE", f"{path}/{source_id}", headers={"Content-Type": "text/plain"}
    )
    assert delete.header_params["X-Sdk-Content-Sha256"] == "UNSIGNED-PAYLOAD"
    assert send(server, delete).status_code == 200


def test_several_query_parameters_are_accepted(server: Server, keys: Keys) -> None:
    query: list[tuple[str, Any]] = [
        ("scope", "signed cam:1"),
        ("order_by", "asc"),
        ("page_size", 5),
        ("is_paged", True),
        ("type", ["url", "obs"]),
        ("access_type", "cloud"),
    ]
    request = sign(server, keys, "GET", sources(server), query=query)
    assert "?access_type=cloud&is_paged=true&order_by=asc" in request.uri
    response = send(server, request)
    assert response.status_code == 200, response.text


def test_tampered_body_is_401(server: Server, keys: Keys) -> None:
    path = f"/v2/{server.project_id}/source"
    request = sign(server, keys, "POST", path, body=source_body(unique("signed")))
    other = json.dumps(source_body(unique("tampered"))).encode()
    assert_error(send(server, request, content=other), 401)
    # A declared X-Sdk-Content-Sha256 must be the body's real digest.
    request = sign(
        server, keys, "POST", path, body=source_body("x"), headers={"X-Sdk-Content-Sha256": "0"}
    )
    assert_error(send(server, request), 401)


def test_bad_secret_unknown_key_and_stale_date_are_401(server: Server, keys: Keys) -> None:
    path = sources(server)
    assert_error(send(server, sign(server, (keys[0], keys[1] + "x"), "GET", path)), 401)
    assert_error(send(server, sign(server, ("AKUNKNOWN000000000000", keys[1]), "GET", path)), 401)
    now = datetime.now(UTC)
    for skew in (timedelta(minutes=-20), timedelta(minutes=20)):
        assert_error(send(server, sign(server, keys, "GET", path, date=now + skew)), 401)
    recent = send(server, sign(server, keys, "GET", path, date=now - timedelta(minutes=2)))
    assert recent.status_code == 200, recent.text
    request = sign(server, keys, "GET", path)
    del request.header_params["X-Sdk-Date"]
    assert_error(send(server, request), 401)
    request = sign(server, keys, "GET", path)
    request.header_params["X-Sdk-Date"] = "2026-01-01T00:00:00Z"
    assert_error(send(server, request), 401)


def test_unknown_key_and_bad_signature_answer_alike(server: Server, keys: Keys) -> None:
    path = sources(server)
    bad = send(server, sign(server, (keys[0], keys[1][:-1] + "x"), "GET", path))
    unknown = send(server, sign(server, ("AKUNKNOWN000000000000", keys[1]), "GET", path))
    assert assert_error(bad, 401) == assert_error(unknown, 401)


def test_replayed_write_is_401(server: Server, keys: Keys) -> None:
    path = f"/v2/{server.project_id}/source"
    request = sign(server, keys, "POST", path, body=source_body(unique("once")))
    assert send(server, request).status_code == 200
    assert "already received" in str(assert_error(send(server, request), 401)["error_msg"])
    # The SDK signs with a one-second date and no nonce: reading one URL twice in a second
    # sends the same signature twice, legitimately, so reads are not remembered.
    read = sign(server, keys, "GET", sources(server))
    assert send(server, read).status_code == 200
    assert send(server, read).status_code == 200


def test_signature_made_for_another_host_is_401(server: Server, keys: Keys) -> None:
    """Only the Host header names another server: the request goes to the test server."""
    port = int(server.base_url.rsplit(":", 1)[1])
    for host in (f"openvias.example:{port}", f"127.0.0.2:{port}", f"127.0.0.1:{port + 1}"):
        response = send(server, sign(server, keys, "GET", sources(server), host=host))
        assert "Host" in str(assert_error(response, 401)["error_msg"]), host
    for host in (f"localhost:{port}", f"LOCALHOST:{port}"):
        response = send(server, sign(server, keys, "GET", sources(server), host=host))
        assert response.status_code == 200, (host, response.text)


def test_query_and_path_are_covered_by_the_signature(server: Server, keys: Keys) -> None:
    request = sign(server, keys, "GET", sources(server), query=[("order_by", "asc")])
    request.uri = request.uri.replace("asc", "desc")
    assert_error(send(server, request), 401)
    other = create_tenant(server)
    request = sign(server, keys, "GET", sources(server))
    request.uri = sources(server, other.project_id)
    assert_error(send(server, request), 401)


def test_access_key_on_a_project_not_granted_is_403(server: Server, keys: Keys) -> None:
    other = create_tenant(server)
    for project_id in (other.project_id, uuid.uuid4().hex):
        request = sign(server, keys, "GET", sources(server, project_id), project_id=project_id)
        assert_error(send(server, request), 403)
    printed = cli_json(server, "admin", "create-access-key", "--user", other.user)
    theirs = (printed["access"], printed["secret"])
    own = sign(
        server, theirs, "GET", sources(server, other.project_id), project_id=other.project_id
    )
    assert send(server, own).status_code == 200
    assert_error(send(server, sign(server, theirs, "GET", sources(server))), 403)


def test_signed_headers_carry_utf8_text(server: Server, keys: Keys) -> None:
    request = sign(server, keys, "GET", sources(server), headers={"X-Client-Label": "caméra 1"})
    assert "x-client-label" in request.header_params["Authorization"]
    response = send(server, request)
    assert response.status_code == 200, response.text


def test_percent_encoded_path_is_verified_as_sent(server: Server, keys: Keys) -> None:
    # The SDK signs unquote(path); the server must not decode the path twice. The id is
    # then refused by its pattern (400), not by the signature check (401).
    response = send(server, sign(server, keys, "GET", f"{sources(server)}/ab%2525cd"))
    assert assert_error(response, 400)["params"] == ["video_source_id"]


def test_signed_iam_project_lookup(server: Server, keys: Keys) -> None:
    request = sign(server, keys, "GET", "/v3/projects", query=[("name", "default")])
    response = send(server, request)
    assert response.status_code == 200, response.text
    assert [p["id"] for p in response.json()["projects"]] == [server.project_id]


class AnyJson(SdkResponse):  # type: ignore[misc]
    openapi_types: ClassVar[dict[str, str]] = {"body": "object"}
    attribute_map: ClassVar[dict[str, str]] = {"body": "body"}

    def __init__(self, body: Any = None) -> None:
        super().__init__()
        self.body = body


class ViasClient(Client):  # type: ignore[misc]
    """A minimal generated-style client: every call goes through the SDK's own pipeline."""

    def __init__(self) -> None:
        super().__init__()
        self.model_package = types.SimpleNamespace(AnyJson=AnyJson)

    def call(self, method: str, path: str, query: Any = None, body: Any = None) -> AnyJson:
        return self.do_http_request(
            method=method,
            resource_path=path,
            path_params={},
            query_params=query or [],
            header_params={},
            body=body,
            response_type="AnyJson",
            response_headers=[],
            collection_formats={},
        )


def sdk_client(server: Server, keys: Keys, region: str = "default") -> ViasClient:
    """Project id found the SDK's way: signed ``GET /v3/projects?name=<region>``."""
    credentials = BasicCredentials(keys[0], keys[1]).with_iam_endpoint(server.base_url)
    builder = ClientBuilder(ViasClient).with_credentials(credentials)
    return builder.with_region(Region(region, server.base_url)).build()


def test_real_sdk_client(server: Server, keys: Keys) -> None:
    client = sdk_client(server, keys)
    try:
        assert client.get_credentials().project_id == server.project_id
        name = unique("sdk")
        created = client.call("POST", "/v2/{project_id}/source", body=source_body(name))
        assert created.status_code == 200
        source_id = created.body["video_source_id"]
        query = [("scope", name), ("is_paged", True), ("page_size", 5)]
        listed = client.call("GET", "/v2/{project_id}/source/sources", query=query)
        assert [s["video_source_id"] for s in listed.body["video_source_list"]] == [source_id]
    finally:
        client.close()


def test_real_sdk_client_sees_vias_errors(server: Server, keys: Keys) -> None:
    client = sdk_client(server, keys)
    try:
        with pytest.raises(ClientRequestException) as caught:
            client.call("GET", "/v2/{project_id}/source/sources/no-such-source")
        assert caught.value.status_code == 404
        assert caught.value.error_code == "VIAS.00010002"
    finally:
        client.close()
    wrong = BasicCredentials(keys[0], keys[1] + "x", server.project_id)
    builder = ClientBuilder(ViasClient).with_credentials(wrong).with_endpoints([server.base_url])
    client = builder.build()
    try:
        with pytest.raises(ClientRequestException) as caught:
            client.call("GET", "/v2/{project_id}/source/sources")
        assert caught.value.status_code == 401
        assert caught.value.error_code == "VIAS.00010005"
    finally:
        client.close()
