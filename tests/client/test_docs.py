"""The Python examples of ``docs/client.md`` run, in order and in one namespace, against a
real server: the page cannot drift from the client (or from Huawei's SDK recipe)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from openvias.client import Client
from tests.api.identity_support import cli_json
from tests.support import ADMIN_PASSWORD, Server

PAGE = Path(__file__).resolve().parents[2] / "docs" / "client.md"
_FENCE = re.compile(r"^```python\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def examples() -> list[str]:
    return _FENCE.findall(PAGE.read_text(encoding="utf-8"))


def test_the_page_has_examples() -> None:
    assert len(examples()) >= 8


def test_the_examples_run(
    served: Server, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = cli_json(served, "admin", "create-access-key", "--user", "admin")
    monkeypatch.setenv("OPENVIAS_ADMIN_PASSWORD", ADMIN_PASSWORD)
    monkeypatch.setenv("OPENVIAS_ACCESS_KEY", keys["access"])
    monkeypatch.setenv("OPENVIAS_SECRET_KEY", keys["secret"])
    port = served.base_url.rsplit(":", 1)[1]
    namespace: dict[str, object] = {"__name__": "docs_client"}
    for index, code in enumerate(examples(), 1):
        source = re.sub(r"\b8080\b", port, code)
        exec(compile(source, f"docs/client.md example {index}", "exec"), namespace)
    printed = capsys.readouterr().out.splitlines()
    assert f"project {served.project_id}" in printed
    assert "1 task(s) created" in printed
    assert printed.count("404 VIAS.00010002") == 1  # the SDK's line; ours has the message
    assert any(line.startswith("404 VIAS.00010002 ") for line in printed)
    assert "STOPPED" in {line.rsplit(" ", 1)[-1] for line in printed}


def test_the_method_table_names_real_methods() -> None:
    table = PAGE.read_text(encoding="utf-8").split("## The methods", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"`([a-z]+(?:_[a-z]+)+)`", table))
    assert len(named) > 40
    assert sorted(name for name in named if not callable(getattr(Client, name, None))) == []
