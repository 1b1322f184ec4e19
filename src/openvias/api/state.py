"""What the application holds for its lifetime (set up by ``create_app``)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from openvias.api.replay import SeenSignatures
from openvias.domain.secret_box import SecretBox
from openvias.services.identity import Principal
from openvias.services.login_guard import LoginGuard
from openvias.services.outbox_gauge import OutboxGauge
from openvias.services.snapshots import SnapshotTaker
from openvias.settings import Settings
from openvias.store.channel_listener import ChannelListener
from openvias.store.direct import DirectReads

#: A cached token: principal, when it leaves the cache, when to verify it again.
_TokenEntry = tuple[Principal, float, float]


@dataclass
class TokenCache:
    """Verified tokens, kept a few seconds so hot paths skip the lookup. A revoke through
    this process evicts at once. On PostgreSQL, any process's change that may end a token
    (a revoke, a user or project disabled or deleted, a grant taken back, a password set)
    empties the caches of every API replica before their next request is authenticated
    (``api/token_coherence.py``); on SQLite, another process's change (``openvias admin``)
    is seen within ``ttl`` seconds. A token in use is verified again in the second half of
    its entry's life (``claim_refresh``), so a busy token does not drop out, sending every
    request in flight to the database at once."""

    ttl: float
    max_entries: int = 10_000
    #: Counts :meth:`clear`: a verification read before a clear must not be stored after it.
    generation: int = 0
    _entries: dict[str, _TokenEntry] = field(default_factory=dict)

    def __contains__(self, digest: str) -> bool:
        return digest in self._entries

    def clear(self) -> None:
        self._entries.clear()
        self.generation += 1

    def get(self, digest: str) -> Principal | None:
        entry = self._entries.get(digest)
        if entry is None:
            return None
        if entry[1] < time.monotonic():
            self._entries.pop(digest, None)
            return None
        return entry[0]

    def put(
        self, digest: str, principal: Principal, token_expiry_in: float, generation: int
    ) -> None:
        """Cache a verification made after ``generation`` was read (else it is dropped)."""
        if self.ttl <= 0 or generation != self.generation:
            return
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        life = min(self.ttl, token_expiry_in)
        now = time.monotonic()
        self._entries[digest] = (principal, now + life, now + life / 2)

    def claim_refresh(self, digest: str) -> _TokenEntry | None:
        """The entry of ``digest`` if it is due to be verified again and nobody else has
        claimed that; give it back to :meth:`refreshed` with the outcome."""
        entry = self._entries.get(digest)
        if entry is None or entry[2] > time.monotonic():
            return None
        claimed = self._entries[digest] = (entry[0], entry[1], math.inf)
        return claimed

    def refreshed(
        self, digest: str, claim: _TokenEntry, principal: Principal | None, expiry_in: float
    ) -> None:
        """Renew (or, ``principal`` None, evict) a claimed entry, unless it was evicted or
        replaced meanwhile (a revoke must not be undone by a verification made before it)."""
        if self._entries.get(digest) is not claim:
            return
        if principal is None:
            self.evict(digest)
        else:
            self.put(digest, principal, expiry_in, self.generation)

    def evict(self, digest: str) -> None:
        self._entries.pop(digest, None)


class ResponseCache:
    """Bodies of 200 answers by URL, all of one database version: a lookup with another
    version empties it. Past ``max_bytes``, the oldest entries go first."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self.hits = 0
        self.misses = 0
        self.versions = 0
        self._version: Hashable | None = None
        self._bodies: dict[str, bytes] = {}
        self._bytes = 0

    def get(self, version: Hashable, key: str) -> bytes | None:
        if version != self._version:
            self._bodies.clear()
            self._bytes = 0
            self._version = version
            self.versions += 1
        body = self._bodies.get(key)
        if body is None:
            self.misses += 1
        else:
            self.hits += 1
        return body

    def put(self, version: Hashable, key: str, body: bytes) -> None:
        if version != self._version or len(body) > self.max_bytes:
            return  # computed under an older version: it may miss a newer write
        self._bytes += len(body) - len(self._bodies.pop(key, b""))
        self._bodies[key] = body
        while self._bytes > self.max_bytes:
            oldest = next(iter(self._bodies))
            self._bytes -= len(self._bodies.pop(oldest))


class BackgroundService(Protocol):
    """Work that lives as long as the server (the embedded engine, say): ``run`` is started
    after start-up, ``shutdown`` is awaited before the database is closed."""

    async def run(self) -> None: ...

    async def shutdown(self) -> None: ...


@dataclass
class AppState:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    token_cache: TokenCache
    #: Password-login throttles and the Argon2 threads (``services/login_guard.py``).
    login_guard: LoginGuard
    #: Video-source snapshot processes and their short cache (``services/snapshots.py``).
    snapshots: SnapshotTaker
    #: Opened at start-up where the database allows (see ``api/fast_reads.py``).
    direct: DirectReads | None = None
    #: Identity changes of every process, on PostgreSQL (``api/token_coherence.py``).
    identity_changes: ChannelListener | None = None
    read_cache: ResponseCache = field(default_factory=ResponseCache)
    #: ShowVideoSourceDetail answers read directly (not routed).
    direct_shows: int = 0
    #: Opens the access-key secrets; set at start-up (``services/access_keys.py``).
    secret_box: SecretBox | None = None
    seen_signatures: SeenSignatures = field(default_factory=SeenSignatures)
    #: The outbox depth shown on ``/metrics``, read at most every 5 s.
    outbox_gauge: OutboxGauge = field(default_factory=OutboxGauge)


#: Builds a background service from the application's state (given to ``create_app``).
BackgroundFactory = Callable[[AppState], BackgroundService]
