"""Signed writes seen recently, so that a captured one cannot be sent again while its
X-Sdk-Date is still inside the allowed window (as API gateways do).

Only writes are remembered: the SDK's date has one-second resolution and the SDK adds no
nonce, so a client reading the same URL twice within a second sends the same signature
twice, legitimately. The memory is this process's: with several API replicas behind a
balancer, a replay sent to another replica is not seen (a shared store would be needed).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

#: Methods whose replay changes something.
REMEMBERED_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass
class SeenSignatures:
    """Signatures (with their access key) until their date leaves the window; bounded:
    past ``max_entries`` the oldest are forgotten first, with a warning."""

    max_entries: int = 100_000
    _until: dict[tuple[str, str], float] = field(default_factory=dict)

    def first_use(self, access: str, signature: str, valid_until: float) -> bool:
        """Record a verified signature; False when it was already used (a replay). Called
        without an ``await`` between check and record, so two copies racing each other
        cannot both pass."""
        now = time.time()
        self._forget_expired(now)
        key = (access, signature)
        if self._until.get(key, 0.0) > now:
            return False
        if len(self._until) >= self.max_entries:
            self._until.pop(next(iter(self._until)))
            log.warning(
                "replay memory is full (%d signatures): forgetting the oldest", self.max_entries
            )
        self._until[key] = valid_until
        return True

    def _forget_expired(self, now: float) -> None:
        # Kept in arrival order, which is close to expiry order (dates are near "now").
        while self._until:
            oldest = next(iter(self._until))
            if self._until[oldest] > now:
                return
            del self._until[oldest]
