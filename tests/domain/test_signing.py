"""Our SDK-HMAC-SHA256 canonical request and signature equal ``huaweicloudsdkcore``'s."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer

from openvias.domain import signing

AK = "AKTESTAK1234567890AB"
SK = "sk-0123456789abcdefghijklmnopqrstuvwxyzAB"
PROJECT = "0123456789abcdef0123456789abcdef"
DATE = "20260301T101500Z"

CASES: list[dict[str, Any]] = [
    {"method": "GET", "path": f"/v2/{PROJECT}/source/sources", "query": [], "body": None},
    {
        "method": "GET",
        "path": f"/v2/{PROJECT}/services/c-smoke/tasks",
        "query": [
            ("state", "RUNNING"),
            ("limit", 10),
            ("order", "created_at:DESC"),
            ("name_like", "cam 1"),
            ("offset", 0),
        ],
        "body": None,
    },
    {
        "method": "GET",
        "path": f"/v2/{PROJECT}/source/sources",
        "query": [("type", ["url", "file", "edgecamera"]), ("is_paged", True), ("scope", "")],
        "body": None,
    },
    {
        "method": "POST",
        "path": f"/v2/{PROJECT}/source",
        "query": [],
        "body": {"video_source_name": "cam-ü 1", "access_type": "cloud", "tags": ["a", "b"]},
    },
    {
        "method": "PUT",
        "path": f"/v2/{PROJECT}/tasks/t-0001/action/start",
        "query": [("x~y", "a/b+c=d&e")],
        "body": "",
    },
    {"method": "DELETE", "path": f"/v2/{PROJECT}/video-group/g-1/", "query": [], "body": None},
    {"method": "GET", "path": "/v3/projects", "query": [("name", "default")], "body": ""},
    {"method": "GET", "path": f"/v2/{PROJECT}/source/sources/a%20b%2Fc", "query": [], "body": None},
]


def sdk_sign(case: dict[str, Any], headers: dict[str, str] | None = None) -> SdkRequest:
    body = case["body"]
    request = SdkRequest(
        method=case["method"],
        schema="http",
        host="127.0.0.1:18080",
        resource_path=case["path"],
        query_params=[(k, list(v) if isinstance(v, list) else v) for k, v in case["query"]],
        header_params={
            "Content-Type": "application/json",
            "User-Agent": "huaweicloud-usdk-python/3.0",
            "X-Sdk-Date": DATE,
            **(headers or {}),
        },
        body=json.dumps(body) if isinstance(body, dict) else body,
    )
    return BasicCredentials(AK, SK, PROJECT).sign_request(request)


def ours(request: SdkRequest) -> tuple[str, str, signing.ParsedAuthorization]:
    """Verify the way the server does, from what goes on the wire."""
    parsed = signing.parse_authorization(request.header_params["Authorization"])
    url = urlsplit(request.uri)
    body = request.body or b""
    canonical = signing.canonical_request(
        method=request.method,
        path=url.path,
        raw_query=url.query,
        headers={k.lower(): signing.header_text(v) for k, v in request.header_params.items()},
        signed_headers=parsed.signed_headers,
        payload_hash=signing.payload_sha256(body),
    )
    to_sign = signing.string_to_sign(request.header_params["X-Sdk-Date"], canonical)
    return canonical, signing.sign(SK, to_sign), parsed


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['method']} {c['path'][-20:]}")
def test_canonical_request_and_signature_equal_the_sdk(case: dict[str, Any]) -> None:
    request = sdk_sign(case)
    canonical, signature, parsed = ours(request)
    signer = Signer(BasicCredentials(AK, SK, PROJECT))
    sdk_canonical = signer._process_canonical_request(request, list(parsed.signed_headers))
    assert canonical == sdk_canonical
    assert parsed.access == AK
    assert signing.signatures_match(signature, parsed.signature)
    assert parsed.signed_headers == (
        "content-type",
        "host",
        "user-agent",
        "x-project-id",
        "x-sdk-date",
    )


def test_non_ascii_header_is_signed_as_text() -> None:
    request = sdk_sign(CASES[0], {"X-Label": "caméra  "})
    # What an ASGI server hands over: the UTF-8 bytes decoded as Latin-1.
    wire = request.header_params["X-Label"]
    assert wire == "caméra".encode().decode("latin-1")
    assert signing.header_text(wire) == "caméra"
    assert signing.header_text("plain") == "plain"
    _, signature, parsed = ours(request)
    assert "x-label" in parsed.signed_headers
    assert signing.signatures_match(signature, parsed.signature)


def test_tampering_changes_the_signature() -> None:
    request = sdk_sign(CASES[3])
    _, good, parsed = ours(request)
    request.body = json.dumps({"video_source_name": "other"}).encode()
    _, tampered, _ = ours(request)
    assert good == parsed.signature
    assert tampered != parsed.signature
    assert not signing.signatures_match(signing.sign(SK + "x", "anything"), parsed.signature)


def test_canonical_uri_always_ends_with_a_slash_and_encodes_segments() -> None:
    assert signing.canonical_uri("/v2/p/services/s/tasks") == "/v2/p/services/s/tasks/"
    assert signing.canonical_uri("/v2/p/") == "/v2/p/"
    assert signing.canonical_uri("/a b/c%2Fd/~x") == "/a%20b/c/d/~x/"
    assert signing.canonical_uri("/x%2520y") == "/x%2520y/"


def test_canonical_query_sorts_and_encodes() -> None:
    assert signing.canonical_query("") == ""
    raw = "state=RUNNING&limit=10&name_like=cam%201&order=created_at%3ADESC&offset=0"
    assert signing.canonical_query(raw) == (
        "limit=10&name_like=cam%201&offset=0&order=created_at%3ADESC&state=RUNNING"
    )
    assert signing.canonical_query("b=2&a=z&a=y&c=") == "a=y&a=z&b=2&c="
    assert signing.canonical_query("k=%7E%2F") == "k=~%2F"


def test_payload_hash_and_string_to_sign() -> None:
    assert signing.payload_sha256(b"") == signing.EMPTY_SHA256 == hashlib.sha256().hexdigest()
    assert signing.payload_sha256(b"{}") == hashlib.sha256(b"{}").hexdigest()
    digest = hashlib.sha256(b"CANON").hexdigest()
    assert signing.string_to_sign(DATE, "CANON") == f"SDK-HMAC-SHA256\n{DATE}\n{digest}"


@pytest.mark.parametrize(
    "header",
    [
        "",
        "Bearer abc",
        "SDK-HMAC-SHA256 Access=AK, Signature=00",
        "SDK-HMAC-SHA256 Access=AK, SignedHeaders=host;x-sdk-date, Signature=xyz",
        "SDK-HMAC-SHA256 Access=AK, SignedHeaders=x-sdk-date;host, Signature=00",
        "SDK-HMAC-SHA256 Access=AK, SignedHeaders=Host;x-sdk-date, Signature=00",
        "SDK-HMAC-SM3 Access=AK, SignedHeaders=host;x-sdk-date, Signature=00",
    ],
)
def test_malformed_authorization_is_refused(header: str) -> None:
    with pytest.raises(signing.SignatureFormatError):
        signing.parse_authorization(header)


def test_authorization_and_date_parse() -> None:
    parsed = signing.parse_authorization(
        "SDK-HMAC-SHA256 Access=AK1, SignedHeaders=host;x-sdk-date, Signature=ABCDEF01"
    )
    assert parsed == signing.ParsedAuthorization("AK1", ("host", "x-sdk-date"), "abcdef01")
    moment = signing.parse_sdk_date(DATE)
    assert moment == datetime(2026, 3, 1, 10, 15, tzinfo=UTC)
    for bad in ("", "2026-03-01T10:15:00Z", "20260301T101500"):
        with pytest.raises(signing.SignatureFormatError):
            signing.parse_sdk_date(bad)


@pytest.mark.parametrize(
    ("host", "accepted"),
    [
        ("127.0.0.1:8080", True),
        ("localhost:8080", True),
        ("127.0.0.1:8081", False),
        ("127.0.0.2:8080", False),
        ("api.example.com", True),  # a configured name without a port: any port
        ("api.example.com:8443", True),
        ("edge.example.com:443", True),
        ("edge.example.com:8443", False),
        ("other.example.com:8080", False),
        ("api.example.com:x", False),
        ("", False),
    ],
)
def test_host_is_ours(host: str, accepted: bool) -> None:
    public = ("API.example.com", "edge.example.com:443")
    local = ("127.0.0.1", 8080)
    found = signing.host_is_ours(host, local_address=local, default_port=443, public_hosts=public)
    assert found is accepted


def test_host_of_a_socket_that_is_not_loopback() -> None:
    local = ("10.1.2.3", 80)
    assert signing.host_is_ours("10.1.2.3", local_address=local, default_port=80)
    assert signing.host_is_ours("10.1.2.3:80", local_address=local, default_port=80)
    assert not signing.host_is_ours("localhost:80", local_address=local, default_port=80)
    assert signing.host_is_ours("[::1]:80", local_address=("::1", 80), default_port=80)
