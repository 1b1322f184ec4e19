"""Access taken away by an operator (``openvias admin``) ends live tokens and keys too.

A token whose grant, project or user goes, or whose user's password changes, is refused
with 401 as Keystone refuses a token it no longer considers valid, within the server's
token cache lifetime (``OPENVIAS_AUTH_CACHE_SECONDS``, 5 s here); an access key is looked
up on every request, so its refusal is immediate."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

import httpx

from tests.api.identity_support import Tenant, assert_error, cli_json, create_tenant, unique
from tests.api.test_aksk import send, sign
from tests.cli.test_admin import assert_fails
from tests.support import Server, password_body

#: Longer than the server's token cache (5 s) with room for a loaded machine.
SETTLE_SECONDS = 30


def eventually(status: Callable[[], int], expected: int) -> None:
    """Polls until ``status()`` answers ``expected`` (a refusal is due within the cache
    lifetime; no timing is asserted, only that it comes)."""
    deadline = time.monotonic() + SETTLE_SECONDS
    seen = status()
    while seen != expected and time.monotonic() < deadline:
        time.sleep(0.2)
        seen = status()
    assert seen == expected


def admin(server: Server, *args: str, stdin: str | None = None) -> dict[str, Any]:
    """``openvias admin ARGS``: its printed JSON object (the exit status checked)."""
    done = server.cli("admin", *args, stdin=stdin)
    assert done.returncode == 0, done.stderr
    printed: dict[str, Any] = json.loads(done.stdout)
    return printed


def token_calls(server: Server, tenant: Tenant) -> dict[str, Callable[[], int]]:
    """A read answered before routing (ListVideoSources, from the token cache), and routed
    ones (a project route, the IAM project list)."""

    def get(path: str) -> Callable[[], int]:
        def call() -> int:
            with server.client(tenant.token) as client:
                return client.get(path).status_code

        return call

    pid = tenant.project_id
    return {
        "fast": get(f"/v2/{pid}/source/sources"),
        "routed": get(f"/v2/{pid}/video-group/groups"),
        "iam": get("/v3/projects"),
    }


def assert_token_works(server: Server, tenant: Tenant) -> None:
    for name, call in token_calls(server, tenant).items():
        assert call() == 200, name


def assert_token_refused(server: Server, tenant: Tenant) -> None:
    calls = token_calls(server, tenant)
    for call in calls.values():
        eventually(call, 401)
    with server.client(tenant.token) as client:
        assert_error(client.get(f"/v2/{tenant.project_id}/source/sources"), 401)


def login_status(server: Server, tenant: Tenant, password: str | None = None) -> int:
    body = password_body(
        tenant.user, password or tenant.password, tenant.domain, project_name=tenant.project
    )
    return httpx.post(f"{server.base_url}/v3/auth/tokens", json=body, timeout=30).status_code


def keys_of(server: Server, tenant: Tenant) -> tuple[str, str]:
    printed = cli_json(server, "admin", "create-access-key", "--user", tenant.user)
    return printed["access"], printed["secret"]


def signed_status(server: Server, tenant: Tenant, keys: tuple[str, str]) -> int:
    path = f"/v2/{tenant.project_id}/source/sources"
    return send(server, sign(server, keys, "GET", path, project_id=tenant.project_id)).status_code


def test_revoke_grant_ends_live_tokens(server: Server) -> None:
    tenant = create_tenant(server)
    keys = keys_of(server, tenant)
    assert_token_works(server, tenant)
    printed = cli_json(
        server, "admin", "revoke-grant", "--user", tenant.user, "--project", tenant.project
    )
    assert printed["project"] == tenant.project
    assert signed_status(server, tenant, keys) == 403
    assert_token_refused(server, tenant)
    assert login_status(server, tenant) == 401
    assert_fails(
        server.cli("admin", "revoke-grant", "--user", tenant.user, "--project", tenant.project),
        "no grant",
    )
    cli_json(server, "admin", "grant", "--user", tenant.user, "--project", tenant.project)
    assert login_status(server, tenant) == 201


def test_disable_project_refuses_everything_until_enabled(server: Server) -> None:
    tenant = create_tenant(server)
    keys = keys_of(server, tenant)
    assert_token_works(server, tenant)
    project = ("--domain", tenant.domain, "--name", tenant.project)
    assert admin(server, "disable-project", *project)["enabled"] is False
    assert signed_status(server, tenant, keys) == 403
    assert_token_refused(server, tenant)
    assert login_status(server, tenant) == 401
    assert admin(server, "enable-project", *project)["enabled"] is True
    for call in token_calls(server, tenant).values():
        eventually(call, 200)
    assert signed_status(server, tenant, keys) == 200


def test_disable_user_refuses_tokens_and_keys_until_enabled(server: Server) -> None:
    tenant = create_tenant(server)
    keys = keys_of(server, tenant)
    assert signed_status(server, tenant, keys) == 200
    assert_token_works(server, tenant)
    user = ("--domain", tenant.domain, "--user", tenant.user)
    assert admin(server, "disable-user", *user)["enabled"] is False
    assert signed_status(server, tenant, keys) == 401
    assert_token_refused(server, tenant)
    assert login_status(server, tenant) == 401
    cli_json(server, "admin", "enable-user", *user)
    for call in token_calls(server, tenant).values():
        eventually(call, 200)
    assert signed_status(server, tenant, keys) == 200
    assert login_status(server, tenant) == 201


def test_set_password_ends_live_tokens(server: Server) -> None:
    tenant = create_tenant(server)
    assert_token_works(server, tenant)
    new_password = "Changed-" + unique("pw")
    user = ("--domain", tenant.domain, "--user", tenant.user)
    printed = admin(server, "set-password", *user, "--password-stdin", stdin=new_password + "\n")
    assert printed["tokens_ended"] == 1
    assert_token_refused(server, tenant)
    assert login_status(server, tenant) == 401
    assert login_status(server, tenant, new_password) == 201
    assert_fails(
        server.cli("admin", "set-password", *user, "--password-stdin", stdin="short\n"),
        "password",
    )
    assert_fails(server.cli("admin", "set-password", *user), "--password-stdin")


def test_delete_access_key_stops_it_at_once(server: Server) -> None:
    tenant = create_tenant(server)
    keys = keys_of(server, tenant)
    other = keys_of(server, tenant)
    assert signed_status(server, tenant, keys) == 200
    assert cli_json(server, "admin", "delete-access-key", "--access", keys[0]) == {
        "deleted": keys[0]
    }
    assert signed_status(server, tenant, keys) == 401
    assert signed_status(server, tenant, other) == 200
    assert_fails(server.cli("admin", "delete-access-key", "--access", keys[0]), "not found")


def test_unknown_names_are_one_line_errors(server: Server) -> None:
    tenant = create_tenant(server)
    ghost = unique("ghost")
    cases = [
        (("revoke-grant", "--user", ghost, "--project", tenant.project), "not found"),
        (("revoke-grant", "--user", tenant.user, "--project", ghost), "not found"),
        (("disable-user", "--domain", ghost, "--user", tenant.user), "not found"),
        (("disable-user", "--domain", tenant.domain, "--user", ghost), "not found"),
        (("enable-user", "--domain", tenant.domain, "--user", ghost), "not found"),
        (("disable-project", "--domain", tenant.domain, "--name", ghost), "not found"),
        (("enable-project", "--domain", ghost, "--name", tenant.project), "not found"),
        (("set-password", "--domain", tenant.domain, "--user", ghost, "--password-stdin"),
         "not found"),
        (("delete-access-key", "--access", "AKUNKNOWN00000000000"), "not found"),
        (("disable-user", "--user", tenant.user), "--domain"),
    ]  # fmt: skip
    for args, word in cases:
        assert_fails(server.cli("admin", *args, stdin="Passw0rd-long\n"), word)
    assert_token_works(server, tenant)  # nothing changed


def test_admin_acts_on_the_data_dir_given(server: Server) -> None:
    """From another working directory, without OPENVIAS_DATA_DIR: ``--data-dir`` names the
    database (SQLite) and the secret key that seals access keys (both backends)."""
    env = {k: v for k, v in server.env.items() if k != "OPENVIAS_DATA_DIR"}
    if "sqlite" in env["OPENVIAS_DATABASE_URL"]:
        del env["OPENVIAS_DATABASE_URL"]
    with tempfile.TemporaryDirectory() as elsewhere:
        args = ("admin", "--data-dir", str(server.data_dir), "create-access-key", "--user", "admin")
        done = subprocess.run(
            [sys.executable, "-m", "openvias", *args],
            cwd=elsewhere,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert os.listdir(elsewhere) == []  # no database nor key made there
    printed = json.loads(done.stdout)
    keys = (printed["access"], printed["secret"])
    path = f"/v2/{server.project_id}/source/sources"
    assert send(server, sign(server, keys, "GET", path)).status_code == 200
