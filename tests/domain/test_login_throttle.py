"""The brute-force bookkeeping of password logins, with the time given explicitly."""

from __future__ import annotations

import pytest

from openvias.domain.login_throttle import FailureBucket, FailureLockout


def lockout() -> FailureLockout:
    return FailureLockout(max_failures=3, window=900, lockout=60, lockout_max=200)


def test_failures_within_the_window_lock_the_name_for_a_growing_time() -> None:
    names = lockout()
    for at in (0, 1):
        names.failed("alice", at)
    assert names.retry_after("alice", 2) == 0
    names.failed("alice", 2)
    assert names.retry_after("alice", 2) == 60
    assert names.retry_after("bob", 2) == 0
    # the next lockouts last twice as long, up to lockout_max
    expected = [120, 200, 200]
    now = 62.0
    for duration in expected:
        for _ in range(3):
            names.failed("alice", now)
        assert names.retry_after("alice", now) == duration
        now += duration


def test_failures_spread_over_more_than_the_window_do_not_lock() -> None:
    names = lockout()
    for at in (0, 500, 1000, 1500):
        names.failed("alice", at)
        assert names.retry_after("alice", at) == 0


def test_a_success_or_a_quiet_window_forgets_everything() -> None:
    names = lockout()
    for _ in range(3):
        names.failed("alice", 0)
    names.succeeded("alice")
    assert names.retry_after("alice", 0) == 0
    for _ in range(3):
        names.failed("alice", 0)
    # quiet for the lockout and a whole window: the next lockout is the first again
    assert names.retry_after("alice", 60 + 901) == 0
    for _ in range(3):
        names.failed("alice", 1000)
    assert names.retry_after("alice", 1000) == 60


def test_the_number_of_names_remembered_is_bounded() -> None:
    names = FailureLockout(max_failures=1, window=900, lockout=60, lockout_max=60, max_entries=2)
    for name in ("a", "b", "c"):
        names.failed(name, 0)
    assert [names.retry_after(n, 1) for n in ("a", "b", "c")] == [0, 59, 59]


def test_a_client_bucket_empties_with_failures_and_refills() -> None:
    clients = FailureBucket(capacity=2, per_second=0.5)
    clients.failed("10.0.0.1", 0)
    assert clients.retry_after("10.0.0.1", 0) == 0
    clients.failed("10.0.0.1", 0)
    assert clients.retry_after("10.0.0.1", 0) == pytest.approx(2)
    assert clients.retry_after("10.0.0.2", 0) == 0
    assert clients.retry_after("10.0.0.1", 1) == pytest.approx(1)
    assert clients.retry_after("10.0.0.1", 2) == 0
