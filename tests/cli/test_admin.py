"""``openvias admin``: documented JSON on success, one ``openvias: error:`` line on bad input."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from tests.api.identity_support import HEX32, cli_json, unique
from tests.support import Server


def assert_fails(done: subprocess.CompletedProcess[str], *words: str) -> str:
    assert done.returncode != 0, done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("openvias: error: "), lines[0]
    for word in words:
        assert word.lower() in lines[0].lower(), lines[0]
    assert "Traceback" not in done.stderr
    return lines[0]


def new_user(server: Server, domain: str | None = None) -> tuple[str, str, str]:
    domain, user, password = domain or unique("dom"), unique("user"), "s3cret-Passw0rd"
    printed = cli_json(
        server,
        *("admin", "create-user", "--domain", domain, "--user", user, "--password-stdin"),
        stdin=password + "\n",
    )
    assert HEX32.match(printed["id"])
    assert printed["name"] == user
    return domain, user, password


def test_create_project_prints_a_32_hex_id(server: Server) -> None:
    name = unique("proj")
    printed = cli_json(server, "admin", "create-project", "--domain", "openvias", "--name", name)
    assert HEX32.match(printed["id"])
    assert printed["name"] == name
    with server.client() as client:
        # not granted to the admin, so not listed, and not usable
        names = [p["name"] for p in client.get("/v3/projects").json()["projects"]]
        assert name not in names
        assert client.get(f"/v2/{printed['id']}/source/sources").status_code == 403


def test_user_project_grant_and_login(server: Server) -> None:
    domain, user, password = new_user(server)
    project = unique("proj")
    created = cli_json(server, "admin", "create-project", "--domain", domain, "--name", project)
    granted = cli_json(server, "admin", "grant", "--user", user, "--project", project)
    assert granted["project_id"] == created["id"]
    again = cli_json(server, "admin", "grant", "--user", user, "--project", created["id"])
    assert again["project_id"] == created["id"]  # granting twice is harmless
    token, project_id = server.login(user, password, domain, project)
    assert project_id == created["id"]
    assert token


def test_create_access_key_prints_access_and_secret(server: Server) -> None:
    done = server.cli("admin", "create-access-key", "--user", "admin")
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    assert set(printed) == {"access", "secret"}
    assert re.fullmatch(r"[A-Z0-9]{20}", printed["access"])
    assert re.fullmatch(r"[A-Za-z0-9]{40}", printed["secret"])
    second = cli_json(server, "admin", "create-access-key", "--user", "admin")
    assert second["access"] != printed["access"]


def test_same_user_name_in_two_domains_needs_domain(server: Server) -> None:
    _, user, _ = new_user(server)
    other_domain = unique("dom")
    new_user_in = server.cli(
        *("admin", "create-user", "--domain", other_domain, "--user", user, "--password-stdin"),
        stdin="another-Passw0rd\n",
    )
    assert new_user_in.returncode == 0, new_user_in.stderr
    assert_fails(server.cli("admin", "create-access-key", "--user", user), "ambiguous")
    keys = cli_json(server, "admin", "create-access-key", "--user", user, "--domain", other_domain)
    assert set(keys) == {"access", "secret"}
    project = unique("proj")
    cli_json(server, "admin", "create-project", "--domain", other_domain, "--name", project)
    granted = cli_json(
        server, "admin", "grant", "--user", user, "--domain", other_domain, "--project", project
    )
    assert granted["project"] == project


def test_grant_unknown_user_or_project(server: Server) -> None:
    assert_fails(
        server.cli("admin", "grant", "--user", unique("ghost"), "--project", "default"),
        "not found",
    )
    _, user, _ = new_user(server)
    assert_fails(
        server.cli("admin", "grant", "--user", user, "--project", unique("ghost")), "not found"
    )
    # a project of another domain is not the user's to be granted
    assert_fails(server.cli("admin", "grant", "--user", user, "--project", "default"))
    assert_fails(server.cli("admin", "create-access-key", "--user", unique("ghost")), "not found")


def test_create_user_bad_input(server: Server) -> None:
    domain, user, _ = new_user(server)
    create = ("admin", "create-user", "--domain", domain, "--password-stdin", "--user")
    assert_fails(server.cli(*create, unique("short"), stdin="short\n"), "password")
    assert_fails(server.cli(*create, user, stdin="long-enough-Passw0rd\n"), "already exists")
    assert_fails(server.cli(*create, "bad name!", stdin="long-enough-Passw0rd\n"), "user")
    assert_fails(
        server.cli("admin", "create-user", "--domain", domain, "--user", unique("u")),
        "--password-stdin",
    )


def test_create_project_bad_input(server: Server) -> None:
    name = unique("proj")
    cli_json(server, "admin", "create-project", "--domain", "openvias", "--name", name)
    assert_fails(
        server.cli("admin", "create-project", "--domain", "openvias", "--name", name),
        "already exists",
    )
    assert_fails(
        server.cli("admin", "create-project", "--domain", "openvias", "--name", "x" * 65),
        "project",
    )


@pytest.mark.parametrize(
    ("args", "word"),
    [
        (("admin", "create-project", "--name", "p"), "--domain"),
        (("admin", "grant", "--user", "admin"), "--project"),
        (("admin", "create-access-key"), "--user"),
        (("admin", "no-such-command"), "no-such-command"),
        (("admin", "create-user", "--bogus"), "--bogus"),
    ],
)
def test_usage_errors_are_one_line(server: Server, args: tuple[str, ...], word: str) -> None:
    done = server.cli(*args)
    assert done.returncode == 2
    assert_fails(done, word)
