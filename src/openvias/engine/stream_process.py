"""The stream process: one analysis, isolated from the server.

Started by the supervisor as ``python -m openvias.engine.stream_process``. It reads one
:class:`~openvias.engine.job.StreamJob` JSON line on stdin, runs the pipeline and writes
:class:`~openvias.engine.job.Report` lines on stdout. It ends when the analysis ends, when
stdin reaches end of file (the supervisor asked it to stop, or died: a stream process never
outlives its server) or on SIGTERM. A crash or a hang here costs one stream, never the
server; the supervisor restarts it.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from typing import TextIO

from openvias.engine.job import Report, StreamJob
from openvias.engine.pipeline import Pipeline


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


def main() -> int:
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    line = sys.stdin.readline()
    if not line:
        return 0
    job = StreamJob.from_json(line)
    pipeline = Pipeline(job, LineWriter(sys.stdout))
    signal.signal(signal.SIGTERM, lambda *_: pipeline.stop())
    threading.Thread(target=_watch_stdin, args=(pipeline,), daemon=True).start()
    final = pipeline.run()
    return 0 if final.kind == "finished" else 3


if __name__ == "__main__":
    sys.exit(main())
