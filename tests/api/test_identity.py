"""IAM-compatible identity: tokens, revocation, projects, and who may use which project."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.api.identity_support import (
    HEX32,
    assert_error,
    cli_json,
    create_tenant,
    source_body,
    unique,
)
from tests.support import ADMIN_PASSWORD, Server, password_body

UNAUTHORIZED = "VIAS.00010005"


def parse_iam_time(text: str) -> datetime:
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", text), text
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def post_token(server: Server, body: Any) -> httpx.Response:
    return httpx.post(f"{server.base_url}/v3/auth/tokens", json=body, timeout=30)


@pytest.mark.parametrize("scope", ["name", "id"])
def test_password_token_for_a_project(server: Server, scope: str) -> None:
    project = {"project_name": "default"} if scope == "name" else {"project_id": server.project_id}
    before = datetime.now(UTC)
    response = post_token(server, password_body("admin", ADMIN_PASSWORD, "openvias", **project))
    assert response.status_code == 201, response.text
    token_value = response.headers["X-Subject-Token"]
    assert len(token_value) >= 32
    token = response.json()["token"]
    assert token["methods"] == ["password"]
    assert token["project"]["id"] == server.project_id
    assert token["project"]["name"] == "default"
    assert token["project"]["domain"]["name"] == "openvias"
    assert HEX32.match(token["project"]["domain"]["id"])
    assert token["user"]["name"] == "admin"
    assert token["user"]["domain"] == token["project"]["domain"]
    assert HEX32.match(token["user"]["id"])
    assert token["roles"]
    assert all({"id", "name"} <= set(role) for role in token["roles"])
    issued, expires = parse_iam_time(token["issued_at"]), parse_iam_time(token["expires_at"])
    assert before - timedelta(minutes=1) <= issued <= datetime.now(UTC) + timedelta(minutes=1)
    assert abs(expires - issued - timedelta(hours=24)) <= timedelta(minutes=1)
    with server.client(token_value) as client:
        assert client.get(f"/v2/{server.project_id}/source/sources").status_code == 200


def test_domain_may_be_given_by_id(server: Server) -> None:
    first = post_token(
        server, password_body("admin", ADMIN_PASSWORD, "openvias", project_name="default")
    )
    domain_id = first.json()["token"]["user"]["domain"]["id"]
    body = password_body("admin", ADMIN_PASSWORD, "openvias", project_name="default")
    body["auth"]["identity"]["password"]["user"]["domain"] = {"id": domain_id}
    response = post_token(server, body)
    assert response.status_code == 201, response.text
    assert response.json()["token"]["project"]["id"] == server.project_id


@pytest.mark.parametrize(
    ("user", "password", "domain", "project"),
    [
        ("admin", "wrong-password", "openvias", "default"),
        ("nobody", ADMIN_PASSWORD, "openvias", "default"),
        ("admin", ADMIN_PASSWORD, "no-such-domain", "default"),
        ("admin", ADMIN_PASSWORD, "openvias", "no-such-project"),
    ],
    ids=["wrong-password", "unknown-user", "unknown-domain", "unknown-project"],
)
def test_bad_credentials_are_401(
    server: Server, user: str, password: str, domain: str, project: str
) -> None:
    response = post_token(server, password_body(user, password, domain, project_name=project))
    assert assert_error(response, 401)["error_code"] == UNAUTHORIZED
    assert "X-Subject-Token" not in response.headers


def test_project_not_granted_is_401(server: Server) -> None:
    other = create_tenant(server, granted=False)
    for scope in ({"project_name": other.project}, {"project_id": other.project_id}):
        body = password_body(other.user, other.password, other.domain, **scope)
        assert_error(post_token(server, body), 401)
    # Nor can the admin scope a token to a project of another domain.
    body = password_body("admin", ADMIN_PASSWORD, "openvias", project_id=other.project_id)
    assert_error(post_token(server, body), 401)


def _without(body: dict[str, Any], *path: str) -> dict[str, Any]:
    node = body
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return body


def _malformed() -> list[tuple[dict[str, Any], str]]:
    def good() -> dict[str, Any]:
        return password_body("admin", "x", "openvias", project_name="default")

    methods = good()
    methods["auth"]["identity"]["methods"] = ["token"]
    return [
        (_without(good(), "auth", "identity", "password", "user", "password"),
         "auth.identity.password.user.password"),
        (_without(good(), "auth", "identity", "password", "user", "name"),
         "auth.identity.password.user.name"),
        (_without(good(), "auth", "scope"), "auth.scope"),
        (methods, "auth.identity.methods"),
        (_without(good(), "auth", "identity", "password", "user", "domain", "name"),
         "auth.identity.password.user.domain"),
        (_without(good(), "auth", "scope", "project", "name"), "auth.scope.project"),
        ({}, "auth"),
    ]  # fmt: skip


@pytest.mark.parametrize(("body", "field"), _malformed(), ids=lambda v: str(v)[:40])
def test_malformed_token_request_is_400_naming_the_field(
    server: Server, body: dict[str, Any], field: str
) -> None:
    assert assert_error(post_token(server, body), 400)["params"] == [field]


def test_token_request_that_is_not_json(server: Server) -> None:
    response = httpx.post(
        f"{server.base_url}/v3/auth/tokens",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert assert_error(response, 400)["params"] == ["body"]


def test_revoked_token_stops_working(server: Server) -> None:
    token, _ = server.login("admin", ADMIN_PASSWORD, "openvias", "default")
    path = f"/v2/{server.project_id}/source/sources"
    with server.client(token) as client:
        assert client.get(path).status_code == 200  # now cached by the server
        response = client.delete("/v3/auth/tokens", headers={"X-Subject-Token": token})
        assert response.status_code == 204, response.text
        assert_error(client.get(path), 401)
        assert_error(client.get("/v3/projects"), 401)
    with server.client() as client:
        again = client.delete("/v3/auth/tokens", headers={"X-Subject-Token": token})
        assert_error(again, 404)
        assert client.get(path).status_code == 200  # the caller's own token is untouched


def test_revoking_needs_credentials_and_own_token(server: Server) -> None:
    other = create_tenant(server)
    with httpx.Client(base_url=server.base_url) as anonymous:
        response = anonymous.delete("/v3/auth/tokens", headers={"X-Subject-Token": other.token})
        assert_error(response, 401)
    with server.client() as admin:
        response = admin.delete("/v3/auth/tokens", headers={"X-Subject-Token": other.token})
        assert_error(response, 404)
    with server.client(other.token) as client:
        assert client.get(f"/v2/{other.project_id}/source/sources").status_code == 200


def test_list_projects(server: Server) -> None:
    with server.client() as client:
        listed = client.get("/v3/projects")
        assert listed.status_code == 200, listed.text
        projects = listed.json()["projects"]
        assert projects
        for project in projects:
            assert {"id", "name", "domain_id", "enabled"} <= set(project)
            assert HEX32.match(project["id"])
            assert HEX32.match(project["domain_id"])
        (default,) = client.get("/v3/projects", params={"name": "default"}).json()["projects"]
        assert default["id"] == server.project_id
        assert default["name"] == "default"
        assert default["enabled"] is True
        none = client.get("/v3/projects", params={"name": "no-such-project"})
        assert none.status_code == 200
        assert none.json()["projects"] == []
    assert_error(httpx.get(f"{server.base_url}/v3/projects"), 401)


def test_project_list_shows_only_granted_projects(server: Server) -> None:
    other = create_tenant(server)
    hidden = cli_json(
        server, "admin", "create-project", "--domain", other.domain, "--name", unique("p")
    )
    with server.client(other.token) as client:
        ids = [p["id"] for p in client.get("/v3/projects").json()["projects"]]
    assert ids == [other.project_id]
    assert hidden["id"] not in ids
    assert server.project_id not in ids


def _project_routes(server: Server) -> list[tuple[str, str]]:
    document = httpx.get(f"{server.base_url}/openapi.json").json()
    routes = [
        (method.upper(), path)
        for path, operations in document["paths"].items()
        if path.startswith("/v2/{project_id}/")
        for method in operations
        if method in {"get", "post", "put", "delete", "patch"}
    ]
    assert len(routes) >= 5, routes
    return routes


def _call(client: httpx.Client, method: str, path: str, project_id: str) -> httpx.Response:
    url = re.sub(r"\{[a-z_]+\}", "abcd1234", path.replace("{project_id}", project_id))
    body = {} if method in {"POST", "PUT", "PATCH"} else None
    return client.request(method, url, json=body)


def test_every_project_route_requires_credentials_and_a_usable_project(server: Server) -> None:
    not_granted = cli_json(
        server, "admin", "create-project", "--domain", "openvias", "--name", unique("nogrant")
    )["id"]
    routes = _project_routes(server)
    with (
        httpx.Client(base_url=server.base_url, timeout=30) as anonymous,
        server.client("garbage-token-" + uuid.uuid4().hex) as garbage,
        server.client() as admin,
    ):
        for method, path in routes:
            where = f"{method} {path}"
            response = _call(anonymous, method, path, server.project_id)
            assert assert_error(response, 401)["error_code"] == UNAUTHORIZED, where
            assert_error(_call(garbage, method, path, server.project_id), 401)
            for project_id in (not_granted, uuid.uuid4().hex):
                assert_error(_call(admin, method, path, project_id), 403)


def test_one_project_never_sees_another(server: Server) -> None:
    a_pid = server.project_id
    b = create_tenant(server)
    with server.client() as a_client, server.client(b.token) as b_client:
        created = a_client.post(f"/v2/{a_pid}/source", json=source_body(unique("cam-a")))
        assert created.status_code == 200, created.text
        source_id = created.json()["video_source_id"]
        assert a_client.get(f"/v2/{a_pid}/source/sources/{source_id}").status_code == 200

        listed = b_client.get(f"/v2/{b.project_id}/source/sources")
        assert listed.status_code == 200, listed.text
        assert listed.json()["total_number"] == 0
        assert listed.json()["video_source_list"] == []
        assert_error(b_client.get(f"/v2/{a_pid}/source/sources/{source_id}"), 403)
        assert_error(b_client.get(f"/v2/{a_pid}/source/sources"), 403)
        assert_error(b_client.get(f"/v2/{b.project_id}/source/sources/{source_id}"), 404)
        assert_error(b_client.delete(f"/v2/{b.project_id}/source/{source_id}"), 404)
        # and the admin's token is scoped to its project: B's project is not for it
        assert_error(a_client.get(f"/v2/{b.project_id}/source/sources"), 403)
        assert a_client.get(f"/v2/{a_pid}/source/sources/{source_id}").status_code == 200
