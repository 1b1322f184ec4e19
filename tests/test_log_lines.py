"""The log formatter and the secret mask, in process: what a stream process's threads and
a library's traceback produce (the server-wide check is tests/engine/test_logs.py)."""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Iterator

import pytest

from openvias.logs import bind_process_ids, configure_logging, redact

SECRETS = (
    "rtsp://cam:pa55word@10.0.0.7/live",
    "password=hunter2-x",
    '{"token": "tok-secret-1"}',
    "{'X-Auth-Token': 'tok-secret-2'}",
    "Authorization: Bearer tok-secret-3",
    "webhook_signing_secret whsec_c2VjcmV0LXNpZ25pbmc",
)
LEAKS = ("pa55word", "hunter2", "tok-secret-1", "tok-secret-2", "tok-secret-3", "c2VjcmV0")


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    output = io.StringIO()
    try:
        yield output
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        bind_process_ids(task_id=None, stream_id=None)


@pytest.mark.parametrize("text", SECRETS)
def test_secrets_are_masked(text: str) -> None:
    masked = redact(text)
    assert not any(leak in masked for leak in LEAKS), masked
    assert "***" in masked


def test_plain_messages_are_left_alone() -> None:
    for text in ("purged 3 expired token(s)", "rtsp://10.0.0.7:554/live", "task abc: 5 s"):
        assert redact(text) == text


@pytest.mark.parametrize("log_format", ["json", "text"])
def test_a_traceback_from_a_thread_is_masked(captured: io.StringIO, log_format: str) -> None:
    configure_logging("json" if log_format == "json" else "text", stream=captured)
    bind_process_ids(task_id="a" * 32, stream_id="cam-1")

    def fail() -> None:
        try:
            raise OSError(f"cannot open {SECRETS[0]}")
        except OSError:
            logging.getLogger("openvias.engine.media").exception("opening %s failed", SECRETS[0])

    thread = threading.Thread(target=fail)
    thread.start()
    thread.join()
    logged = captured.getvalue()
    assert "Traceback" in logged
    assert "pa55word" not in logged
    if log_format == "json":
        (line,) = [json.loads(text) for text in logged.splitlines() if text.startswith("{")]
        assert line["task_id"] == "a" * 32
        assert line["stream_id"] == "cam-1"
        assert line["logger"] == "openvias.engine.media"
        assert line["message"] == "opening rtsp://***@10.0.0.7/live failed"
        assert "OSError: cannot open rtsp://***@10.0.0.7/live" in line["exception"]
        assert len(logged.strip().splitlines()) == 1
