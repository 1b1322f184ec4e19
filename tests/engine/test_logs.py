"""Server logs, JSON (``OPENVIAS_LOG_FORMAT=json``) and text: every JSON line parses, request
ids are there, and no secret reaches a log line, whatever the server went through: right
and wrong logins, a wrong token, AK/SK requests (good and badly signed), a task delivering
alarms to a webhook with a secret header (which fails, so it is retried), and a camera
whose address carries a user and password (unreachable, so the stream reconnects)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest

from tests.api.identity_support import cli_json
from tests.api.task_center import task_body, task_center
from tests.api.test_aksk import send, sign
from tests.api.video_center import URL_CONFIG
from tests.engine.clips import write_clip
from tests.engine.test_lifecycle import ENGINE_ENV, settled, wait_for
from tests.sinks.receiver import running_receiver
from tests.support import (
    ADMIN_PASSWORD,
    Server,
    free_port,
    password_body,
    running_server,
    stop_process,
)

WRONG_PASSWORD = "Wr0ng-Passw0rd-secret!"
HEADER_SECRET = "hdr-9f1c2e77-secret"
CAMERA_PASSWORD = "cam-Passw0rd-7d41"
SIGNING_SECRET = "whsec_c2VjcmV0LXNpZ25pbmcta2V5LTAxMjM0NTY3"
BOGUS_TOKEN = "bogus-token-5a8e0c1d2b3f"
KEYS = ("json", "text")


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_clip(tmp_path_factory.mktemp("logs") / "flame.mp4", 6, flame=True)


@pytest.fixture(scope="module", params=KEYS)
def logged(request: pytest.FixtureRequest, backend: str, clip: Path) -> Logged:
    """A server in one log format that went through it all; then stopped (logs flushed)."""
    env = {
        **ENGINE_ENV,
        "OPENVIAS_LOG_FORMAT": request.param,
        "OPENVIAS_FILE_ROOTS": str(clip.parent),
        "OPENVIAS_ALLOW_PRIVATE_TARGETS": "true",  # the webhook and camera are on loopback
        "OPENVIAS_WEBHOOK_SIGNING_SECRET": SIGNING_SECRET,
        "OPENVIAS_DELIVERY_BACKOFF_FIRST_SECONDS": "0.2",
    }
    with running_receiver() as receiver, running_server(backend, **env) as server:
        secrets = _go_through_it_all(server, clip, receiver.script("/hook", then=500))
        receiver.wait(lambda got: len(got) >= 2, "/hook")  # delivered, refused, retried
        stop_process(server.process, timeout=15)  # every line written
        text = (server.data_dir / "server.log").read_text()
    return Logged(request.param, text, secrets)


class Logged:
    def __init__(self, log_format: str, text: str, secrets: list[str]) -> None:
        self.format = log_format
        self.text = text
        self.secrets = secrets


def _go_through_it_all(server: Server, clip: Path, hook_url: str) -> list[str]:
    base = server.base_url
    secrets = [ADMIN_PASSWORD, WRONG_PASSWORD, HEADER_SECRET, CAMERA_PASSWORD, BOGUS_TOKEN]
    secrets += [SIGNING_SECRET.removeprefix("whsec_"), server.token]
    ids = {"X-Request-Id": "wrong-login-0001"}
    body = password_body("admin", WRONG_PASSWORD, "openvias", project_name="default")
    assert httpx.post(f"{base}/v3/auth/tokens", json=body, headers=ids).status_code == 401
    token, _ = server.login("admin", ADMIN_PASSWORD, "openvias", "default")
    secrets.append(token)
    bogus = httpx.get(f"{base}/v2/{server.project_id}/tasks", headers={"X-Auth-Token": BOGUS_TOKEN})
    assert bogus.status_code == 401
    printed = cli_json(server, "admin", "create-access-key", "--user", "admin")
    keys = (printed["access"], printed["secret"])
    secrets.append(keys[1])
    path = f"/v2/{server.project_id}/source/sources"
    signed = sign(server, keys, "GET", path)
    secrets.append(signed.header_params["Authorization"].rsplit("Signature=", 1)[1])
    assert send(server, signed).status_code == 200
    wrong = sign(server, (keys[0], "0" * len(keys[1])), "GET", path)
    assert send(server, wrong).status_code == 401
    output = {"webhook": {"url": hook_url, "headers": {"X-Api-Key": HEADER_SECRET}}}
    camera = f"rtsp://camuser:{CAMERA_PASSWORD}@127.0.0.1:{free_port()}/cam"
    with task_center(server) as tc:
        file_source = tc.vc.create_source(type_config=URL_CONFIG.format(url=clip.as_uri()))
        config = {"common": {"fire_detection_sw": 1, "smoke_detection_sw": 1}}
        file_task = tc.create_ids(task_body([file_source], config=config, output=output))[0]
        camera_source = tc.vc.create_source(type_config=URL_CONFIG.format(url=camera))
        camera_task = tc.create_ids(task_body([camera_source], output=output))[0]
        assert wait_for(settled(tc, file_task), what="the file task to end") == "SUCCEEDED"
        wait_for(lambda: tc.state(camera_task) == "ABNORMAL", what="the camera to be missed")
    return secrets


def test_no_secret_reaches_the_log(logged: Logged) -> None:
    assert logged.text.strip(), "the server logged nothing"
    for secret in logged.secrets:
        assert secret not in logged.text, f"a secret ({secret[:6]}...) is in the log"


def test_every_line_has_the_layout_of_its_format(logged: Logged) -> None:
    if logged.format == "text":
        _check_text_lines(logged.text)
    else:
        _check_json_lines(logged.text)


def _check_text_lines(text: str) -> None:
    layout = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (INFO|WARNING|ERROR) [\w.]+: ")
    failed_login = [line for line in text.splitlines() if "failed login" in line]
    assert failed_login
    for line in failed_login:
        assert layout.match(line), line
        assert not line.lstrip().startswith("{"), line


def _check_json_lines(text: str) -> None:
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert lines
    for line in lines:
        assert {"time", "level", "logger", "message"} <= line.keys(), line
    failed_login = [line for line in lines if "failed login" in line["message"]]
    assert failed_login
    assert failed_login[0]["request_id"] == "wrong-login-0001", failed_login
    signatures = [line for line in lines if "AK/SK" in line["message"]]
    assert signatures
    assert len(signatures[0]["request_id"]) == 32, signatures
    # The engine's lines name their stream (from the server and from stream processes).
    assert any(
        line.get("task_id") and line["logger"].startswith("openvias.engine") for line in lines
    )
