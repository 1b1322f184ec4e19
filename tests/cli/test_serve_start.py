"""What ``openvias serve`` logs when it starts: one line about the database instead of
Alembic's chatter, and on first start where the generated admin credentials are."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory

from openvias.store.migrate import alembic_config
from tests.cli.test_admin import assert_fails
from tests.support import REPO, Server, _wait_ready, free_port, stop_process


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


@pytest.fixture
def first_start(tmp_path: Path) -> Iterator[Server]:
    """A server started on an empty data folder without OPENVIAS_ADMIN_PASSWORD."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("OPENVIAS_")}
    env.update({"OPENVIAS_DATA_DIR": str(tmp_path), "OPENVIAS_ENGINE_SLOTS": "0"})
    port = free_port()
    with open(tmp_path / "server.log", "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "openvias", "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = Server(f"http://127.0.0.1:{port}", env, tmp_path, process)
    try:
        _wait_ready(server)
        yield server
    finally:
        stop_process(server.process, timeout=15)


def log_lines(server: Server) -> list[str]:
    return (server.data_dir / "server.log").read_text().splitlines()


def test_a_first_start_says_where_the_credentials_are(first_start: Server) -> None:
    # given a first start with a generated password
    credentials_file = first_start.data_dir / "initial-credentials.json"
    credentials = json.loads(credentials_file.read_text())
    lines = log_lines(first_start)
    # then one line names the file's full path and what it holds, but not the password
    (announcement,) = [line for line in lines if str(credentials_file.resolve()) in line]
    assert "project id" in announcement
    assert "password" in announcement
    assert not any(credentials["password"] in line for line in lines)
    # and the file holds what the README's quick start reads from it
    assert set(credentials) >= {"domain", "user", "password", "project", "project_id"}


def test_a_start_logs_one_database_line_and_no_alembic_chatter(first_start: Server) -> None:
    # on an empty database: created at the head revision, in one line
    lines = log_lines(first_start)
    assert not [line for line in lines if "alembic" in line]
    database = [line for line in lines if "openvias.store.migrate" in line]
    assert len(database) == 1
    assert database[0].endswith(f"database created at revision {head_revision()}")
    # when the server starts again on the same folder
    first_start.restart()
    again = log_lines(first_start)[len(lines) :]
    # then the database line says it is already there, and the credentials are not announced
    assert not [line for line in again if "alembic" in line]
    database = [line for line in again if "openvias.store.migrate" in line]
    assert len(database) == 1
    assert database[0].endswith(f"database at revision {head_revision()}")
    assert not [line for line in again if "initial-credentials.json" in line]


def test_migrate_says_what_it_changed(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("OPENVIAS_")}
    env["OPENVIAS_DATA_DIR"] = str(tmp_path)

    def migrate() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "openvias", "migrate"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )

    head = head_revision()
    # an empty database is created, then found up to date
    assert migrate().stdout == f"database created at revision {head}\n"
    assert migrate().stdout == f"database at revision {head}\n"
    # given a database one revision behind, the upgrade names both revisions
    url = f"sqlite+aiosqlite:///{tmp_path / 'openvias.db'}"
    config = alembic_config(url)
    command.downgrade(config, "-1")
    previous = ScriptDirectory.from_config(config).get_revision(head).down_revision
    done = migrate()
    assert done.stdout == f"database migrated from revision {previous} to {head}\n"
    assert "alembic" not in done.stderr


@pytest.mark.parametrize("command", ["serve", "migrate"])
def test_a_bad_setting_is_one_line_naming_the_variable(tmp_path: Path, command: str) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("OPENVIAS_")}
    env.update(
        {
            "OPENVIAS_DATA_DIR": str(tmp_path),
            "OPENVIAS_ENGINE_SLOTS": "-1",
            "OPENVIAS_LOG_FORMAT": "xml",
        }
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "openvias",
            command,
            *(["--port", str(free_port())] if command == "serve" else []),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    line = assert_fails(
        done, "invalid settings", "OPENVIAS_ENGINE_SLOTS: ", "OPENVIAS_LOG_FORMAT: "
    )
    assert "greater than or equal to 0" in line
    assert "http" not in line
    assert not (tmp_path / "openvias.db").exists()  # nothing was started


def readme_block(heading: str) -> str:
    """The first ``sh`` block after ``heading`` in the README."""
    text = (REPO / "README.md").read_text()
    after = text[text.index(f"\n{heading}\n") :]
    return after.split("```sh\n", 1)[1].split("```", 1)[0]


def test_the_readme_quick_start_gets_a_token_and_lists_sources(first_start: Server) -> None:
    # given the README's commands, pointed at this server and its data folder
    script = (
        readme_block("### A token and the project id")
        .replace("http://127.0.0.1:8080", first_start.base_url)
        .replace(".openvias/", f"{first_start.data_dir}/")
    )
    script += '\nprintf "\\n%s %s\\n" "$PROJECT_ID" "${#TOKEN}"\n'
    # when they run
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # then the project id and a token came out, and the list call answered with sources
    assert done.returncode == 0, done.stderr
    listed, summary = done.stdout.rsplit("\n", 2)[:2]
    project_id, token_length = summary.split()
    credentials = json.loads((first_start.data_dir / "initial-credentials.json").read_text())
    assert project_id == credentials["project_id"]
    assert int(token_length) > 0
    assert json.loads(listed)["video_source_list"] == []
