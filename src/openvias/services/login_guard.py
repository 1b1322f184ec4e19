"""What stands between a password login and Argon2: the brute-force throttles and a bounded
pool of threads that verify passwords off the event loop.

- A name (domain and user name as given) with ``OPENVIAS_LOGIN_MAX_FAILURES`` failures
  within ``OPENVIAS_LOGIN_FAILURE_WINDOW_SECONDS`` is refused (429, Retry-After) for
  ``OPENVIAS_LOGIN_LOCKOUT_SECONDS``, doubled at each further lockout up to
  ``OPENVIAS_LOGIN_LOCKOUT_MAX_SECONDS``, even with the right password. Unknown names are
  counted exactly like known ones, so the throttle tells nothing about who exists.
- A client address has ``OPENVIAS_LOGIN_CLIENT_FAILURE_BURST`` failed logins, refilled at
  ``OPENVIAS_LOGIN_CLIENT_FAILURES_PER_MINUTE``; with none left it is refused (429).
- AK/SK signatures get a bucket of their own per client address, of the same size: a
  client sending bad signatures (or probing for access keys) is refused (429) once it is
  empty, before any check.
- At most ``OPENVIAS_LOGIN_CONCURRENCY`` verifications run at once (each takes about
  50 ms of CPU and 64 MiB), in worker threads (argon2-cffi releases the GIL), and at most
  ``OPENVIAS_LOGIN_QUEUE`` wait; a login beyond that is refused at once (429, busy).

The state lives in the process: with several API replicas each one counts on its own
(an attacker gets the limits once per replica), and a restart forgets it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import time
from concurrent.futures import ThreadPoolExecutor

from openvias.domain.login_throttle import FailureBucket, FailureLockout
from openvias.errors import TooManyRequests
from openvias.services.passwords import verify_password
from openvias.settings import Settings

#: The name a login tries: (domain id, domain name, user name), as the request gave them.
LoginName = tuple[str, str, str]
log = logging.getLogger(__name__)
_LOCKED = "Too many failed logins for this user: try again later."
_CLIENT = "Too many failed logins from this address: try again later."
_BUSY = "Too many logins at once: try again shortly."
_SIGNER = "Too many requests with a bad signature from this address: try again later."


class LoginGuard:
    def __init__(self, settings: Settings) -> None:
        self.concurrency = settings.login_concurrency or os.cpu_count() or 1
        self.max_waiting = settings.login_queue
        self.names = FailureLockout(
            max_failures=settings.login_max_failures,
            window=settings.login_failure_window_seconds,
            lockout=settings.login_lockout_seconds,
            lockout_max=settings.login_lockout_max_seconds,
        )
        self.clients = FailureBucket(
            capacity=settings.login_client_failure_burst,
            per_second=settings.login_client_failures_per_minute / 60,
        )
        self.signers = FailureBucket(
            capacity=settings.login_client_failure_burst,
            per_second=settings.login_client_failures_per_minute / 60,
        )
        self._executor = ThreadPoolExecutor(self.concurrency, thread_name_prefix="password-check")
        #: Verifications submitted and not finished (running or waiting for a thread).
        self._pending = 0

    def check(self, name: LoginName, client: str) -> None:
        """Refuse (429) a name that is locked out or a client that has no attempts left."""
        now = time.monotonic()
        wait = self.names.retry_after(name, now)
        if wait > 0:
            raise TooManyRequests(_LOCKED, retry_after=math.ceil(wait))
        wait = self.clients.retry_after(client, now)
        if wait > 0:
            raise TooManyRequests(_CLIENT, retry_after=math.ceil(wait))

    def failed(self, name: LoginName, client: str) -> None:
        domain = name[1] or name[0]
        log.warning("failed login of user %r in domain %r from %s", name[2], domain, client)
        now = time.monotonic()
        self.names.failed(name, now)
        self.clients.failed(client, now)

    def succeeded(self, name: LoginName) -> None:
        self.names.succeeded(name)

    def check_signer(self, client: str) -> None:
        """Refuse (429) a client address that has no failed signatures left."""
        wait = self.signers.retry_after(client, time.monotonic())
        if wait > 0:
            raise TooManyRequests(_SIGNER, retry_after=math.ceil(wait))

    def signature_failed(self, client: str) -> None:
        log.warning("refused an AK/SK request from %s: bad signature or access key", client)
        self.signers.failed(client, time.monotonic())

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """``verify_password`` in a worker thread, or 429 when too many are under way.
        The count drops when the thread is done, not when the caller stops waiting, so a
        client that hangs up cannot free a place that is still busy."""
        if self._pending >= self.concurrency + self.max_waiting:
            raise TooManyRequests(_BUSY, retry_after=1)
        self._pending += 1
        try:
            future = self._executor.submit(verify_password, password_hash, password)
        except BaseException:
            self._pending -= 1
            raise
        loop = asyncio.get_running_loop()

        def finished(_: object) -> None:
            with contextlib.suppress(RuntimeError):  # the loop is closed: nothing to count
                loop.call_soon_threadsafe(self._finished)

        future.add_done_callback(finished)
        return await asyncio.wrap_future(future)

    def _finished(self) -> None:
        self._pending -= 1

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
