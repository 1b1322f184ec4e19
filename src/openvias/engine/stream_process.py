"""The stream process: one analysis, isolated from the server.

Started by the supervisor as ``python -m openvias.engine.stream_process``. It reads one
:class:`~openvias.engine.job.StreamJob` JSON line on stdin, runs the pipeline and writes
:class:`~openvias.engine.job.Report` lines on stdout. It ends when the analysis ends, when
stdin reaches end of file (the supervisor asked it to stop, or died: a stream process never
outlives its server) or on SIGTERM. A crash or a hang here costs one stream, never the
server; the supervisor restarts it.

A stream process runs ``STREAM_NICENESS`` steps nicer than its server: on a node with more
cameras than cores the analyses share what is left, while the server's work that other
machines wait for (storing and delivering alarms, the API, renewing leases) stays prompt.
Without it, with 40 live 1080p cameras on 2 cores, alarms waited up to 3 s in the starved
server before they were stored (``docs/design/engine.md``).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from typing import TextIO

from openvias.engine.job import Report, StreamJob
from openvias.engine.pipeline import Pipeline
from openvias.logs import bind_process_ids, configure_logging
from openvias.settings import Settings

log = logging.getLogger(__name__)

#: How much nicer than the server a stream process runs (``nice`` steps).
STREAM_NICENESS = 5


class LineWriter:
    """Writes whole report lines from any thread."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def __call__(self, report: Report) -> None:
        line = report.to_json() + "\n"
        with self._lock:
            try:
                self._stream.write(line)
                self._stream.flush()
            except (BrokenPipeError, ValueError):  # the supervisor is gone
                pass


def _watch_stdin(pipeline: Pipeline) -> None:
    sys.stdin.read()  # returns at end of file only
    pipeline.stop()


def _log_uncaught_exceptions() -> None:
    """Tracebacks that end a thread or the process go through logging too (one JSON line
    in json format, secrets masked), not raw to stderr."""

    def on_thread(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is not SystemExit and args.exc_value is not None:
            exc_info = (args.exc_type, args.exc_value, args.exc_traceback)
            log.error("uncaught exception in a stream thread", exc_info=exc_info)

    sys.excepthook = lambda *exc_info: log.critical("stream process failed", exc_info=exc_info)
    threading.excepthook = on_thread


def main() -> int:
    os.nice(STREAM_NICENESS)
    configure_logging(Settings().log_format)  # the server's environment, inherited
    line = sys.stdin.readline()
    if not line:
        return 0
    job = StreamJob.from_json(line)
    bind_process_ids(task_id=job.task_id, stream_id=job.stream_id or None)
    _log_uncaught_exceptions()
    pipeline = Pipeline(job, LineWriter(sys.stdout))
    signal.signal(signal.SIGTERM, lambda *_: pipeline.stop())
    threading.Thread(target=_watch_stdin, args=(pipeline,), daemon=True).start()
    final = pipeline.run()
    return 0 if final.kind == "finished" else 3


if __name__ == "__main__":
    sys.exit(main())
