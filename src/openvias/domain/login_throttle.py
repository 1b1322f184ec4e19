"""Brute-force defences of password logins, as pure bookkeeping (the caller gives the time,
in monotonic seconds):

- ``FailureLockout``: after ``max_failures`` failed logins of one name within ``window``
  seconds, the name is refused for ``lockout`` seconds, doubled at each further lockout up
  to ``lockout_max``; a success forgets the name's failures and lockouts.
- ``FailureBucket``: a token bucket per client address that each failed login empties by
  one; an empty bucket refuses the client until it refills.

Both hold at most ``max_entries`` keys (the oldest go first), so a spray of names or
addresses costs bounded memory."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, field


@dataclass(slots=True)
class _Failures:
    count: int = 0
    first_at: float = 0.0
    last_at: float = 0.0
    lockouts: int = 0
    locked_until: float = 0.0


@dataclass
class FailureLockout:
    max_failures: int
    window: float
    lockout: float
    lockout_max: float
    max_entries: int = 100_000
    _entries: OrderedDict[Hashable, _Failures] = field(default_factory=OrderedDict)

    def retry_after(self, key: Hashable, now: float) -> float:
        """Seconds until ``key`` may try again; 0 when it may now."""
        entry = self._entries.get(key)
        if entry is None:
            return 0.0
        if entry.locked_until > now:
            return entry.locked_until - now
        if now - max(entry.last_at, entry.locked_until) > self.window:
            del self._entries[key]  # quiet for a whole window: forgotten, lockouts included
        return 0.0

    def failed(self, key: Hashable, now: float) -> None:
        entry = self._entries.get(key)
        if entry is None:
            entry = self._entries[key] = _Failures()
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        if entry.count == 0 or now - entry.first_at > self.window:
            entry.count, entry.first_at = 0, now
        entry.count += 1
        entry.last_at = now
        if entry.count >= self.max_failures:
            duration = min(self.lockout * 2**entry.lockouts, self.lockout_max)
            entry.locked_until = now + duration
            entry.lockouts += 1
            entry.count = 0

    def succeeded(self, key: Hashable) -> None:
        self._entries.pop(key, None)


@dataclass
class FailureBucket:
    """``per_second`` must be positive: the rate a client's tokens come back at."""

    capacity: float
    per_second: float
    max_entries: int = 100_000
    #: key -> (tokens, when they were counted)
    _buckets: OrderedDict[Hashable, tuple[float, float]] = field(default_factory=OrderedDict)

    def _tokens(self, key: Hashable, now: float) -> float:
        tokens, at = self._buckets.get(key, (self.capacity, now))
        return min(self.capacity, tokens + (now - at) * self.per_second)

    def retry_after(self, key: Hashable, now: float) -> float:
        """Seconds until ``key`` has a token again; 0 when it has one now."""
        tokens = self._tokens(key, now)
        if tokens >= 1:
            if tokens >= self.capacity:
                self._buckets.pop(key, None)  # full again: nothing to remember
            return 0.0
        return (1 - tokens) / self.per_second

    def failed(self, key: Hashable, now: float) -> None:
        tokens = max(0.0, self._tokens(key, now) - 1)
        self._buckets.pop(key, None)
        self._buckets[key] = (tokens, now)
        while len(self._buckets) > self.max_entries:
            self._buckets.popitem(last=False)
