"""Stable worker names: kept across restarts, never shared by two live processes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from openvias.services.node_names import stable_name

HOLD = """
import sys, time
from pathlib import Path
from openvias.services.node_names import stable_name
print(stable_name(Path(sys.argv[1]), "worker-id", "test"), flush=True)
time.sleep(60)
"""


def name_in_another_process(data_dir: Path) -> str:
    code = HOLD.replace("time.sleep(60)", "")
    done = subprocess.run(
        [sys.executable, "-c", code, str(data_dir)], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_the_name_is_kept_across_restarts(tmp_path: Path) -> None:
    first = name_in_another_process(tmp_path)
    assert first.startswith("test-")
    assert name_in_another_process(tmp_path) == first
    assert (tmp_path / "worker-id").read_text().strip() == first


def test_a_second_live_process_gets_a_name_of_its_own(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        held = holder.stdout.readline().strip()
        assert held.startswith("test-")
        other = name_in_another_process(tmp_path)
        assert other.startswith("test-")
        assert other != held
        assert (tmp_path / "worker-id").read_text().strip() == held  # the kept one stays
    finally:
        holder.kill()
        holder.wait()
    assert name_in_another_process(tmp_path) == held  # back once the holder is gone


def test_one_process_asking_twice_gets_the_same_name(tmp_path: Path) -> None:
    assert stable_name(tmp_path, "a-id", "a") == stable_name(tmp_path, "a-id", "a")
    assert stable_name(tmp_path, "b-id", "b") != stable_name(tmp_path, "a-id", "a")
