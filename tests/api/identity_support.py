"""Helpers for the identity and AK/SK tests: tenants made with the admin CLI, error checks."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass

import httpx

from tests.support import Server

ERROR_KEYS = {"error_code", "error_msg", "detail", "params", "reason", "advice"}
HEX32 = re.compile(r"^[0-9a-f]{32}$")
TYPE_CONFIG = "<type_config><url_address>rtsp://127.0.0.1:8554/x</url_address></type_config>"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def source_body(name: str) -> dict[str, str]:
    return {
        "access_type": "cloud",
        "type": "url",
        "type_config": TYPE_CONFIG,
        "video_source_name": name,
    }


def assert_error(response: httpx.Response, status: int) -> dict[str, object]:
    """The VIAS error body, with the expected HTTP status."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == ERROR_KEYS, body
    assert re.fullmatch(r"VIAS\.\d{8}", str(body["error_code"])), body
    assert isinstance(body["params"], list)
    for key in ("error_msg", "detail", "reason", "advice"):
        assert isinstance(body[key], str), body
        assert body[key], body
    return dict(body)


def cli_json(server: Server, *args: str, stdin: str | None = None) -> dict[str, str]:
    done = server.cli(*args, stdin=stdin)
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    assert isinstance(printed, dict)
    return printed


@dataclass(frozen=True)
class Tenant:
    domain: str
    user: str
    password: str
    project: str
    project_id: str
    token: str


def create_tenant(server: Server, *, granted: bool = True) -> Tenant:
    """A new domain with one user and one project (granted to the user unless told not)."""
    domain, user, project = unique("dom"), unique("user"), unique("proj")
    password = "Passw0rd-" + uuid.uuid4().hex[:8]
    cli_json(
        server,
        *("admin", "create-user", "--domain", domain, "--user", user, "--password-stdin"),
        stdin=password + "\n",
    )
    created = cli_json(server, "admin", "create-project", "--domain", domain, "--name", project)
    token = ""
    if granted:
        cli_json(server, "admin", "grant", "--user", user, "--project", project)
        token, project_id = server.login(user, password, domain, project)
        assert project_id == created["id"]
    return Tenant(domain, user, password, project, created["id"], token)
