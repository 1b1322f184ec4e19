"""The two ways to authenticate: an IAM token (password login, renewed before it expires)
and AK/SK (the ``SDK-HMAC-SHA256`` signature of Huawei's SDKs, ``domain.signing``)."""

from __future__ import annotations

import secrets
from collections.abc import Generator
from datetime import UTC, datetime, timedelta

import httpx

from openvias.client.errors import ViasError
from openvias.domain import signing
from openvias.schemas.identity import TokenResponse

#: A token is renewed when it has less than this left.
REFRESH_MARGIN = timedelta(minutes=5)
TOKEN_PATH = "/v3/auth/tokens"


def password_body(user: str, password: str, domain: str, project: str) -> dict[str, object]:
    return {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {"name": user, "password": password, "domain": {"name": domain}}
                },
            },
            "scope": {"project": {"name": project}},
        }
    }


class TokenAuth(httpx.Auth):
    """``X-Auth-Token`` from ``POST /v3/auth/tokens``: fetched on first use, fetched again
    when less than :data:`REFRESH_MARGIN` is left, and once more when a call answers 401
    (the token was revoked)."""

    requires_response_body = True

    def __init__(self, token_url: str, user: str, password: str, domain: str, project: str):
        self.token_url = token_url
        self._body = password_body(user, password, domain, project)
        self.token = ""
        self.expires_at = datetime.min.replace(tzinfo=UTC)
        self.project_id = ""

    def _login_request(self) -> httpx.Request:
        return httpx.Request("POST", self.token_url, json=self._body)

    def _accept(self, response: httpx.Response) -> None:
        if response.status_code != 201:
            raise ViasError.from_response(response)
        token = TokenResponse.model_validate(response.json()).token
        self.token = response.headers["X-Subject-Token"]
        self.expires_at = datetime.fromisoformat(token.expires_at)
        self.project_id = token.project.id

    def login(self, http: httpx.Client) -> None:
        """Log in now, outside any call (to learn the project id)."""
        self._accept(http.send(self._login_request(), auth=None))

    def login_flow(self) -> Generator[httpx.Request, httpx.Response, None]:
        self._accept((yield self._login_request()))

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if datetime.now(UTC) + REFRESH_MARGIN >= self.expires_at:
            yield from self.login_flow()
        request.headers["X-Auth-Token"] = self.token
        response = yield request
        if response.status_code == 401:
            yield from self.login_flow()
            request.headers["X-Auth-Token"] = self.token
            yield request


class AkSkAuth(httpx.Auth):
    """Signs every request as ``huaweicloudsdkcore`` does (``SDK-HMAC-SHA256``), with one
    addition: a random signed ``X-Client-Nonce``, so that two identical writes in the same
    second (the date has one-second precision) are not refused as a replay."""

    requires_request_body = True

    def __init__(self, access_key: str, secret_key: str, project_id: str = "") -> None:
        self.access_key = access_key
        self.secret_key = secret_key
        self.project_id = project_id

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        self.sign(request)
        yield request

    def sign(self, request: httpx.Request) -> None:
        request.headers["X-Sdk-Date"] = datetime.now(UTC).strftime(signing.DATE_FORMAT)
        request.headers["X-Client-Nonce"] = secrets.token_hex(8)
        if self.project_id:
            request.headers["X-Project-Id"] = self.project_id
        headers = {name.lower(): value for name, value in request.headers.items()}
        names = sorted(
            name
            for name in headers
            if name in {"host", "content-type"} or name.startswith("x-sdk-") or name in _SIGNED
        )
        path = request.url.raw_path.decode("ascii").split("?", 1)[0]
        canonical = signing.canonical_request(
            method=request.method,
            path=path,
            raw_query=request.url.query.decode("ascii"),
            headers=headers,
            signed_headers=names,
            payload_hash=signing.payload_sha256(request.content),
        )
        to_sign = signing.string_to_sign(headers["x-sdk-date"], canonical)
        request.headers["Authorization"] = (
            f"{signing.ALGORITHM} Access={self.access_key}, SignedHeaders={';'.join(names)}, "
            f"Signature={signing.sign(self.secret_key, to_sign)}"
        )


_SIGNED = {"x-project-id", "x-client-nonce"}
