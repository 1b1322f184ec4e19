"""The webhook output: POST the VIAS alarm envelope to ``output.webhook.url``.

The body is ``alarm.envelope()`` as compact JSON, with ``image_base64`` unless the output's
``data_category`` names categories without ``OriginImage`` (:mod:`openvias.sinks.categories`,
shared with the obs and dis outputs); the headers are
the task's ``output.webhook.headers`` plus ours (ours win):

- ``Content-Type: application/json``;
- ``X-Openvias-Delivery-Id``: the alarm's ``message_id``, the same on every retry and every
  duplicate (receivers dedupe on it);
- with ``OPENVIAS_WEBHOOK_SIGNING_SECRET`` (``whsec_<base64 key>``), a Standard Webhooks
  signature (https://www.standardwebhooks.com): ``webhook-id`` (= ``message_id``),
  ``webhook-timestamp`` (epoch seconds) and ``webhook-signature: v1,<base64 HMAC-SHA256 of
  "{webhook-id}.{webhook-timestamp}.{body}">``.

2xx is delivered; 408, 429, 5xx, timeouts and connection errors are retried; any other
answer (3xx: redirects are not followed; 4xx) is a permanent refusal. Headers that HTTP/1.1
cannot carry (``domain.http_headers``; stored before the API refused them) are a permanent
refusal without an attempt. Targets on private
networks are refused unless ``OPENVIAS_ALLOW_PRIVATE_TARGETS`` (:mod:`openvias.sinks.ssrf`).
One ``httpx.AsyncClient`` serves every delivery (connections are kept alive per host).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Mapping
from typing import Any

import httpcore
import httpx

from openvias.domain.alarms import Alarm
from openvias.domain.http_headers import header_problem
from openvias.settings import Settings
from openvias.sinks.base import Outcome
from openvias.sinks.categories import wants_image
from openvias.sinks.ssrf import GuardedBackend, TargetRefused

#: Headers a task may not set: they belong to the connection or to the body we send.
_RESERVED_HEADERS = frozenset(
    {"host", "content-length", "transfer-encoding", "connection", "content-type"}
    | {"x-openvias-delivery-id", "webhook-id", "webhook-timestamp", "webhook-signature"}
)
#: Statuses worth retrying besides 5xx.
_RETRY_STATUSES = frozenset({408, 429})
_SNIPPET = 200
#: Bytes of an answer's body read at most.
_READ_AT_MOST = 4096


def signing_key(secret: str) -> bytes:
    """The HMAC key of a Standard Webhooks secret: ``whsec_`` + base64 of the key. A secret
    without the prefix (or not base64) is used as it is, UTF-8 encoded."""
    if secret.startswith("whsec_"):
        try:
            return base64.b64decode(secret.removeprefix("whsec_"), validate=True)
        except (binascii.Error, ValueError):
            pass
    return secret.encode("utf-8")


def sign(key: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value: ``v1,`` + base64 HMAC-SHA256 of id.timestamp.body."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def envelope_body(alarm: Alarm, target: Mapping[str, Any]) -> bytes:
    """The POST body: the VIAS envelope (with its image unless the output's
    ``data_category`` leaves it out), compact JSON."""
    envelope = alarm.envelope(include_image=wants_image(target))
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode()


def classify(status: int, text: str = "") -> Outcome:
    """The outcome of an HTTP answer."""
    snippet = " ".join(text.split())[:_SNIPPET]
    detail = f"HTTP {status}" + (f": {snippet}" if snippet else "")
    if 200 <= status < 300:
        return Outcome.ok(f"HTTP {status}", status_code=status)
    if status >= 500 or status in _RETRY_STATUSES:
        return Outcome.retry(detail, status_code=status)
    if 300 <= status < 400:
        return Outcome.refused(detail + " (redirects are not followed)", status_code=status)
    return Outcome.refused(detail, status_code=status)


def _unsendable_headers(configured: object) -> str | None:
    """Why the task's headers cannot go out as HTTP/1.1 headers (``domain.http_headers``);
    None when they can. Only the headers that would be sent count."""
    if configured is None:
        return None
    if not isinstance(configured, Mapping):
        return "headers must be an object of names and values"
    for name, value in configured.items():
        if isinstance(name, str) and name.lower() in _RESERVED_HEADERS:
            continue
        problem = header_problem(name, value)
        if problem is not None:
            return problem
    return None


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over a connection pool whose network backend is the SSRF guard
    (httpx builds its pool without a way to pass one, so the pool is replaced)."""

    def __init__(self, limits: httpx.Limits) -> None:
        super().__init__(limits=limits, trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(),
        )


class WebhookSink:
    kind = "webhook"

    def __init__(self, settings: Settings, *, client: httpx.AsyncClient | None = None) -> None:
        # httpx logs every request at INFO; the worker records every attempt anyway.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        self.timeout = settings.webhook_timeout_seconds
        secret = settings.webhook_signing_secret
        self.key = signing_key(secret) if secret else None
        if client is None:
            size = max(10, settings.delivery_concurrency)
            limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
            transport = (
                httpx.AsyncHTTPTransport(limits=limits, trust_env=False)
                if settings.allow_private_targets
                else GuardedTransport(limits)
            )
            # No proxies from the environment: the guard must see the real target.
            client = httpx.AsyncClient(
                transport=transport,
                timeout=httpx.Timeout(self.timeout),
                follow_redirects=False,
                trust_env=False,
            )
        self.client = client

    def headers(self, target: Mapping[str, Any], alarm: Alarm, body: bytes) -> dict[str, str]:
        configured = target.get("headers")
        headers = {
            str(name): str(value)
            for name, value in (configured.items() if isinstance(configured, Mapping) else ())
            if str(name).lower() not in _RESERVED_HEADERS
        }
        headers["Content-Type"] = "application/json"
        headers["X-Openvias-Delivery-Id"] = alarm.message_id
        if self.key is not None:
            timestamp = int(time.time())
            headers["webhook-id"] = alarm.message_id
            headers["webhook-timestamp"] = str(timestamp)
            headers["webhook-signature"] = sign(self.key, alarm.message_id, timestamp, body)
        return headers

    async def deliver(self, alarm: Alarm, target: Mapping[str, Any]) -> Outcome:
        url = target.get("url")
        if not isinstance(url, str):
            return Outcome.refused("the webhook output has no url")
        unsendable = _unsendable_headers(target.get("headers"))
        if unsendable is not None:
            # Stored before the API refused such headers: no attempt can ever succeed.
            return Outcome.refused(f"output.webhook.headers cannot be sent: {unsendable}")
        try:
            parsed = httpx.URL(url)
        except httpx.InvalidURL as exc:
            return Outcome.refused(f"invalid url: {exc}")
        if parsed.scheme not in ("http", "https") or not parsed.host:
            return Outcome.refused(f"only http and https urls can be webhooks, not {url!r}")
        body = envelope_body(alarm, target)
        headers = self.headers(target, alarm, body)
        try:
            async with self.client.stream("POST", parsed, content=body, headers=headers) as answer:
                # Only the start of the answer is kept (for the attempt's record): a receiver
                # answering with a huge body must not cost the worker its memory.
                start = b""
                async for chunk in answer.aiter_bytes():
                    start += chunk
                    if len(start) >= _READ_AT_MOST:
                        break
                status = answer.status_code
        except TargetRefused as exc:
            return Outcome.refused(str(exc))
        except httpx.TimeoutException as exc:
            return Outcome.retry(f"no answer within {self.timeout:g} s ({type(exc).__name__})")
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            return Outcome.refused(f"invalid url: {exc}")
        except httpx.HTTPError as exc:
            return Outcome.retry(f"{type(exc).__name__}: {exc}"[:500])
        return classify(status, start[:_READ_AT_MOST].decode("utf-8", "replace"))

    async def close(self) -> None:
        await self.client.aclose()
