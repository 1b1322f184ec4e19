"""The memory of signed writes already received (``api/replay.py``): exact, bounded."""

from __future__ import annotations

import time

from openvias.api.replay import SeenSignatures


def test_a_signature_is_accepted_once_while_its_date_is_valid() -> None:
    seen = SeenSignatures()
    until = time.time() + 900
    assert seen.first_use("AK1", "abc", until)
    assert not seen.first_use("AK1", "abc", until)
    assert seen.first_use("AK2", "abc", until)  # another key's signature is another one
    assert seen.first_use("AK1", "expired", time.time() - 1)
    assert seen.first_use("AK1", "expired", time.time() - 1)  # outside the window: no memory


def test_the_memory_is_bounded() -> None:
    seen = SeenSignatures(max_entries=3)
    until = time.time() + 900
    for signature in ("a", "b", "c", "d"):
        assert seen.first_use("AK", signature, until)
    assert not seen.first_use("AK", "d", until)
    assert seen.first_use("AK", "a", until)  # the oldest was forgotten to make room
