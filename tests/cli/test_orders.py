"""Resource orders from the command line (``openvias.cli.orders``), against the server's
database: JSON on success, one ``openvias: error:`` line and exit 2 on bad input."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from openvias.cli.orders import app
from tests.support import Server

HEX32 = re.compile(r"^[0-9a-f]{32}$")


def invoke(server: Server, *args: str) -> Result:
    return CliRunner().invoke(app, list(args), env=server.env)


def ok(server: Server, *args: str) -> Any:
    result = invoke(server, *args)
    assert result.exit_code == 0, (result.output, result.stderr)
    return json.loads(result.stdout)


def fails(server: Server, *args: str) -> str:
    result = invoke(server, *args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("openvias: error: "), result.stderr
    assert "Traceback" not in result.output
    return result.stderr


def test_create_list_delete(server: Server) -> None:
    created = ok(
        server,
        *("create-order", "--project", "default", "--service", "c-flowcount-cloud"),
        *("--max-tasks", "3"),
    )
    assert HEX32.match(created["id"])
    assert created["project_id"] == server.project_id
    assert (created["service_name"], created["max_tasks"]) == ("c-flowcount-cloud", 3)
    assert created["expires_at"] is None
    assert created["created_at"].endswith("Z")

    expiring = ok(
        server,
        *("create-order", "--project", server.project_id, "--service", "入侵检测"),
        *("--max-tasks", "1", "--expires-at", "2099-01-02T03:04:05+08:00"),
    )
    assert expiring["service_name"] == "c-intrusiondetection-cloud"
    assert expiring["expires_at"] == "2099-01-01T19:04:05Z"

    listed = ok(server, "list-orders", "--project", "default")["orders"]
    ids = [order["id"] for order in listed]
    assert {created["id"], expiring["id"]} <= set(ids)

    deleted = ok(server, "delete-order", "--id", created["id"])
    assert deleted["deleted"]["id"] == created["id"]
    listed = ok(server, "list-orders", "--project", "default")["orders"]
    assert created["id"] not in [order["id"] for order in listed]
    assert "does not exist" in fails(server, "delete-order", "--id", created["id"])


def test_naive_expiry_is_utc(server: Server) -> None:
    created = ok(
        server,
        *("create-order", "--project", "default", "--service", "c-flowcount-edge"),
        *("--max-tasks", "2", "--expires-at", "2099-06-01T00:00:00"),
    )
    assert created["expires_at"] == "2099-06-01T00:00:00Z"
    ok(server, "delete-order", "--id", created["id"])


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--service", "c-nothing-cloud", "--max-tasks", "1"), "Unknown algorithm service"),
        (("--service", "c-flowcount-cloud", "--max-tasks", "0"), "max_tasks"),
        (("--service", "c-flowcount-cloud", "--max-tasks", "1", "--expires-at", "soon"), "ISO"),
        (
            ("--service", "c-flowcount-cloud", "--max-tasks", "1", "--expires-at", "2001-01-01"),
            "past",
        ),
    ],
)
def test_create_refusals(server: Server, args: tuple[str, ...], words: str) -> None:
    stderr = fails(server, "create-order", "--project", "default", *args)
    assert words in stderr


def test_unknown_project(server: Server) -> None:
    assert "not found" in fails(server, "list-orders", "--project", "no-such-project")
    stderr = fails(
        server,
        *("create-order", "--project", "no-such-project", "--service", "c-flowcount-cloud"),
        *("--max-tasks", "1"),
    )
    assert "not found" in stderr
