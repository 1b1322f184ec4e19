"""Log lines for people (``text``) or for machines (``json``: one object a line), with
secrets masked in both.

A JSON line holds ``time`` (UTC, ISO 8601), ``level``, ``logger``, ``message``, ``exception``
(the traceback, when there is one) and, where known, ``request_id`` (the API request being
served), ``task_id`` and ``stream_id`` (the analysis being run). The ids come from context
variables set by the API's request middleware and by the engine around one stream's work;
a stream process, which runs one stream in all its threads, binds them for the process.

Masking is defence in depth: the code does not log secrets in the first place, and
:class:`RedactSecrets` still masks what looks like one (credentials in a URL, ``password=``
or ``"token": "..."`` pairs, ``Authorization`` values, bearer tokens, webhook signing
secrets) in every record, tracebacks included, whichever library logged it.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Literal, TextIO

LogFormat = Literal["text", "json"]

REQUEST_ID: ContextVar[str | None] = ContextVar("openvias_request_id", default=None)
TASK_ID: ContextVar[str | None] = ContextVar("openvias_task_id", default=None)
STREAM_ID: ContextVar[str | None] = ContextVar("openvias_stream_id", default=None)
_CONTEXT = (("request_id", REQUEST_ID), ("task_id", TASK_ID), ("stream_id", STREAM_ID))
#: Ids bound for the whole process (a stream process): threads do not inherit contexts.
_process_ids: dict[str, str] = {}

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
MASK = "***"

_SECRET_WORDS = r"password|passwd|secret|token|authorization|signature|api[_-]?key|credential"
_REDACTIONS: tuple[tuple[re.Pattern[str], str], ...] = (
    # scheme://user:password@host (or scheme://token@host): the whole user part.
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@'\"<>]+@"), rf"\1{MASK}@"),
    (re.compile(r"(?i)\b(bearer|basic)\s+[\w.~+/=-]+"), rf"\1 {MASK}"),
    (re.compile(r"\bwhsec_[A-Za-z0-9+/=]+"), f"whsec_{MASK}"),
    # key=value, key: value, "key": "value", 'key': 'value' for names that say secret.
    (
        re.compile(
            rf"(?i)([\"']?[\w-]*(?:{_SECRET_WORDS})[\w-]*[\"']?\s*[:=]\s*)"
            r"(\"[^\"]*\"|'[^']*'|[^\s,;&)}\]]+)"
        ),
        rf"\1{MASK}",
    ),
)


def redact(text: str) -> str:
    """``text`` with whatever looks like a secret replaced by ``***``."""
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


class RedactSecrets(logging.Filter):
    """Masks secrets in a record's message, traceback and stack (see :func:`redact`)."""

    _tracebacks = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: logging reports it on its own
            return True
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._tracebacks.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line (newlines inside values are escaped)."""

    def format(self, record: logging.LogRecord) -> str:
        body: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        body.update(_process_ids)
        for key, variable in _CONTEXT:
            value = variable.get()
            if value is not None:
                body[key] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            body["exception"] = record.exc_text
        if record.stack_info:
            body["stack"] = record.stack_info
        return json.dumps(body, ensure_ascii=False, default=str)


def configure_logging(log_format: LogFormat, stream: TextIO | None = None) -> None:
    """Route every logger (uvicorn's included, when it is given ``log_config=None``) to one
    handler on ``stream`` (stderr) in ``log_format``, secrets masked."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RedactSecrets())
    formatter = JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.captureWarnings(True)  # warnings too, not raw lines on stderr


def bind_process_ids(*, task_id: str | None, stream_id: str | None) -> None:
    """Ids every record of this process carries (a stream process: one stream)."""
    _process_ids.clear()
    if task_id:
        _process_ids["task_id"] = task_id
    if stream_id:
        _process_ids["stream_id"] = stream_id
