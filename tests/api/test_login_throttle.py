"""Password logins resist brute force: a user name is locked out after a few failures (429
with Retry-After, the right password included, until the lockout ends), a client address
runs out of failed attempts (and of bad AK/SK signatures), and an unknown user is told
from a wrong password by nothing.

Each test logs in from its own loopback address (127.0.0.N), so that the per-client
budget of one test does not spill into another."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest

from tests.api.identity_support import Tenant, assert_error, cli_json, create_tenant
from tests.support import Server, password_body, running_server

MAX_FAILURES = 3
CLIENT_BURST = 8
THROTTLED = "VIAS.00090429"


@pytest.fixture(scope="module")
def guarded(backend: str) -> Iterator[Server]:
    with running_server(
        backend,
        OPENVIAS_LOGIN_MAX_FAILURES=str(MAX_FAILURES),
        OPENVIAS_LOGIN_LOCKOUT_SECONDS="2",
        OPENVIAS_LOGIN_CLIENT_FAILURE_BURST=str(CLIENT_BURST),
        OPENVIAS_LOGIN_CLIENT_FAILURES_PER_MINUTE="0.01",
    ) as server:
        yield server


def _login(
    server: Server, tenant: Tenant, password: str, *, source: str, user: str = ""
) -> httpx.Response:
    body = password_body(user or tenant.user, password, tenant.domain, project_name=tenant.project)
    transport = httpx.HTTPTransport(local_address=source)
    with httpx.Client(base_url=server.base_url, transport=transport, timeout=30) as client:
        return client.post("/v3/auth/tokens", json=body)


def _throttled(response: httpx.Response) -> int:
    """The Retry-After of a VIAS 429."""
    assert assert_error(response, 429)["error_code"] == THROTTLED
    retry_after = int(response.headers["Retry-After"])
    assert retry_after >= 1
    return retry_after


def test_a_user_is_locked_out_after_failures_even_with_the_right_password(guarded: Server) -> None:
    tenant = create_tenant(guarded, granted=True)
    for _ in range(MAX_FAILURES):
        assert_error(_login(guarded, tenant, "wrong-password", source="127.0.0.2"), 401)
    # then the name is refused, whatever the password and from any address
    _throttled(_login(guarded, tenant, "wrong-password", source="127.0.0.2"))
    retry_after = _throttled(_login(guarded, tenant, tenant.password, source="127.0.0.3"))
    # and once Retry-After has passed, the right password works again
    time.sleep(retry_after + 0.2)
    assert _login(guarded, tenant, tenant.password, source="127.0.0.3").status_code == 201


def test_a_successful_login_forgets_the_failures(guarded: Server) -> None:
    tenant = create_tenant(guarded, granted=True)
    for _ in range(2):
        for _ in range(MAX_FAILURES - 1):
            assert_error(_login(guarded, tenant, "wrong-password", source="127.0.0.4"), 401)
        assert _login(guarded, tenant, tenant.password, source="127.0.0.4").status_code == 201
    # and failures after the success are counted from zero
    for _ in range(MAX_FAILURES):
        assert_error(_login(guarded, tenant, "wrong-password", source="127.0.0.4"), 401)
    _throttled(_login(guarded, tenant, tenant.password, source="127.0.0.4"))


def test_an_unknown_user_and_a_wrong_password_look_the_same(guarded: Server) -> None:
    tenant = create_tenant(guarded, granted=True)
    unknown = "nobody-" + uuid.uuid4().hex[:8]
    seen: dict[str, list[tuple[int, dict[str, object], str | None]]] = {}
    for name in (tenant.user, unknown):
        answers = [
            _login(guarded, tenant, "wrong-password", source="127.0.0.5", user=name)
            for _ in range(MAX_FAILURES + 1)
        ]
        seen[name] = [
            (r.status_code, r.json(), r.headers.get("Retry-After") and "present") for r in answers
        ]
    assert [status for status, _, _ in seen[unknown]] == [401] * MAX_FAILURES + [429]
    assert seen[unknown] == seen[tenant.user]


def test_other_users_and_clients_are_not_affected(guarded: Server) -> None:
    locked, other = create_tenant(guarded), create_tenant(guarded)
    for _ in range(MAX_FAILURES):
        assert_error(_login(guarded, locked, "wrong-password", source="127.0.0.6"), 401)
    _throttled(_login(guarded, locked, locked.password, source="127.0.0.6"))
    assert _login(guarded, other, other.password, source="127.0.0.6").status_code == 201


def test_a_client_runs_out_of_failed_attempts(guarded: Server) -> None:
    tenant = create_tenant(guarded, granted=True)
    # one failure for each of many names: no name is locked, the address runs dry
    for _ in range(CLIENT_BURST):
        name = "guess-" + uuid.uuid4().hex[:8]
        assert_error(_login(guarded, tenant, "wrong-password", source="127.0.0.7", user=name), 401)
    refused = _login(guarded, tenant, tenant.password, source="127.0.0.7")
    assert _throttled(refused) > 60  # refilled at 0.01 per minute
    assert "address" in str(refused.json()["error_msg"])
    # another address is not affected
    assert _login(guarded, tenant, tenant.password, source="127.0.0.8").status_code == 201


def _signed_list(server: Server, access: str, secret: str, *, source: str) -> httpx.Response:
    request = SdkRequest(
        method="GET",
        schema="http",
        host=server.base_url.split("://", 1)[1],
        resource_path=f"/v2/{server.project_id}/source/sources",
        query_params=[],
        header_params={"Content-Type": "application/json"},
        body="",
    )
    signed = BasicCredentials(access, secret, server.project_id).sign_request(request)
    transport = httpx.HTTPTransport(local_address=source)
    with httpx.Client(transport=transport, timeout=30) as client:
        headers = {k: str(v) for k, v in signed.header_params.items()}
        return client.get(f"{server.base_url}{signed.uri}", headers=headers)


def test_a_client_runs_out_of_bad_signatures(guarded: Server) -> None:
    keys = cli_json(guarded, "admin", "create-access-key", "--user", "admin")
    for _ in range(CLIENT_BURST):
        bad = _signed_list(guarded, keys["access"], "not-the-secret", source="127.0.0.9")
        assert_error(bad, 401)
    # then even a good signature from that address is refused, unchecked
    refused = _signed_list(guarded, keys["access"], keys["secret"], source="127.0.0.9")
    assert _throttled(refused) > 60
    good = _signed_list(guarded, keys["access"], keys["secret"], source="127.0.0.10")
    assert good.status_code == 200, good.text
