"""Every command of the user guide runs against a real ``openvias serve``.

The quick start runs first, from an empty working folder with a fresh data folder (the
server's default ``./.openvias``) and a synthetic fire clip at ``videos/fire.mp4``: it
starts the server and the webhook receiver itself and must end with a delivered alarm.
Every other page then runs its examples against that server with ``API``, ``TOKEN`` and
``PROJECT_ID`` set as the quick start leaves them."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.docs.guide_blocks import SHELL_ALIASES, blocks, fences, pages, script
from tests.engine.clips import write_clip
from tests.engine.test_lifecycle import wait_for
from tests.support import free_port, password_body

QUICK_START = "quick-start"
#: Blocks that cannot run here; each says why. Keep this small: a guide that cannot be run
#: can drift from the product.
MAX_ILLUSTRATIVE = 8


@dataclass
class Session:
    workdir: Path
    env: dict[str, str]
    server_port: int
    receiver_port: int
    quick_start: subprocess.CompletedProcess[str]

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.server_port}"


def _environment(workdir: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("OPENVIAS_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["HOME"] = str(workdir)
    return env


def _run(session: Session, page: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", script(page, session.server_port, session.receiver_port)],
        cwd=session.workdir,
        env=session.env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _stop_group(leader: int, timeout: float = 15) -> None:
    """SIGTERM the quick start's process group (the server, the receiver), then SIGKILL
    whatever is left after ``timeout`` seconds."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(leader, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            os.killpg(leader, 0)  # raises ProcessLookupError once the group is gone
            time.sleep(0.1)
        os.killpg(leader, signal.SIGKILL)


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    workdir = tmp_path_factory.mktemp("guide")
    (workdir / "videos").mkdir()
    write_clip(workdir / "videos" / "fire.mp4", 8, flame=True)
    env, server_port, receiver_port = _environment(workdir), free_port(), free_port()
    # the quick start leaves the server and the receiver running in its process group
    process = subprocess.Popen(
        ["bash", "-c", script(GUIDE_PAGE[QUICK_START], server_port, receiver_port)],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=300)
        done = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
        yield Session(workdir, env, server_port, receiver_port, done)
    finally:
        _stop_group(process.pid)
        if process.poll() is None:
            process.kill()
            process.wait()


GUIDE_PAGE = {page.stem: page for page in pages()}


def _logs(session: Session) -> str:
    return "\n".join(
        f"--- {log.name}\n{log.read_text()[-3000:]}" for log in session.workdir.glob("guide-*.log")
    )


def test_the_quick_start_reaches_a_delivered_alarm(session: Session) -> None:
    done = session.quick_start
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}\n{_logs(session)}"
    # the receiver the guide starts got alarms in the VIAS envelope
    alarms = [
        json.loads(line)
        for line in (session.workdir / "alarms.jsonl").read_text().split("\n")
        if line
    ]
    assert alarms, "the receiver got nothing"
    assert all(alarm["event_type"] == 393216 and alarm["image_base64"] for alarm in alarms)
    # and the server recorded them as delivered to the webhook
    credentials = json.loads(
        (session.workdir / ".openvias" / "initial-credentials.json").read_text()
    )
    token = _token(session, credentials["password"])
    received = {alarm["message_id"] for alarm in alarms}
    with httpx.Client(base_url=session.api, headers={"X-Auth-Token": token}) as client:

        def delivered() -> set[str]:
            listed = client.get(
                f"/v2/{credentials['project_id']}/deliveries",
                params={"sink": "webhook", "state": "delivered"},
            ).json()
            return {delivery["event_id"] for delivery in listed["deliveries"]}

        wait_for(lambda: delivered() >= received, what="the deliveries recorded as delivered")


def _token(session: Session, password: str) -> str:
    response = httpx.post(
        f"{session.api}/v3/auth/tokens",
        json=password_body("admin", password, "openvias", project_name="default"),
    )
    assert response.status_code == 201, response.text
    return response.headers["X-Subject-Token"]


@pytest.mark.parametrize("name", [name for name in GUIDE_PAGE if name != QUICK_START])
def test_every_command_of_a_page_runs(session: Session, name: str) -> None:
    assert session.quick_start.returncode == 0, "the quick start failed"
    credentials = json.loads(
        (session.workdir / ".openvias" / "initial-credentials.json").read_text()
    )
    session.env.update(
        {
            "API": session.api,
            "PROJECT_ID": credentials["project_id"],
            "TOKEN": _token(session, credentials["password"]),
        }
    )
    done = _run(session, GUIDE_PAGE[name])
    assert done.returncode == 0, f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}\n{_logs(session)}"


def test_every_command_block_is_run_or_says_why_not() -> None:
    illustrative = []
    for page in pages():
        languages = {language for language, _ in fences(page)}
        assert not languages & SHELL_ALIASES, f"{page.name}: write commands as ```bash"
        for block in blocks(page):
            if block.kind == "illustrative":
                assert block.reason, f"{page.name} block {block.index}: say why it cannot run"
                illustrative.append(block)
    assert len(illustrative) <= MAX_ILLUSTRATIVE, [(b.page, b.index) for b in illustrative]
    assert QUICK_START in GUIDE_PAGE
