"""Every answer carries an ``X-Request-Id``: the caller's when it is a plain token, else a
new one (the id that the request's log lines carry)."""

from __future__ import annotations

import re

from tests.support import Server


def test_a_plain_request_id_is_kept(server: Server) -> None:
    with server.client() as client:
        answer = client.get(f"/v2/{server.project_id}/tasks", headers={"X-Request-Id": "abc-1.2_3"})
    assert answer.status_code == 200
    assert answer.headers.get_list("X-Request-Id") == ["abc-1.2_3"]


def test_other_requests_get_a_new_id(server: Server) -> None:
    forged = "x\tlevel=ERROR " + "y" * 80
    with server.client() as client:
        missing = client.get("/healthz")
        refused = client.get(f"/v2/{server.project_id}/tasks", headers={"X-Request-Id": forged})
        error = client.get(f"/v2/{server.project_id}/tasks/{'0' * 32}")
    for answer in (missing, refused, error):
        assert re.fullmatch(r"[0-9a-f]{32}", answer.headers["X-Request-Id"]), answer.headers
    assert error.status_code == 404
    assert missing.headers["X-Request-Id"] != refused.headers["X-Request-Id"]
