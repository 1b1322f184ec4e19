"""Request authentication: ``X-Auth-Token`` or an SDK-HMAC-SHA256 signature."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from openvias.api.replay import REMEMBERED_METHODS
from openvias.api.state import AppState
from openvias.domain import signing
from openvias.domain.clock import utcnow
from openvias.errors import ServiceUnavailable, Unauthorized
from openvias.services.access_keys import AccessKeyService
from openvias.services.identity import IdentityService, Principal, token_digest
from openvias.store.db import transaction

log = logging.getLogger(__name__)
_T = TypeVar("_T")
#: Verifications of cached tokens under way (kept referenced until they finish).
_refreshing: set[asyncio.Task[None]] = set()


_NO_CREDENTIALS = "No credentials: send X-Auth-Token or an SDK-HMAC-SHA256 signature."


async def authenticate(request: Request, session: AsyncSession, state: AppState) -> Principal:
    token = request.headers.get("x-auth-token")
    if token:
        return await _by_token(token, session, state)
    authorization = request.headers.get("authorization")
    if authorization:
        return await _throttled(
            request, state, lambda: _by_signature(request, authorization, session, state)
        )
    raise Unauthorized(_NO_CREDENTIALS)


async def signer_before_body(request: Request, session: AsyncSession, state: AppState) -> Principal:
    """The signer of a request whose body is not read yet, from what its headers prove
    (``check_signed_headers``); the signature itself is checked later with the body."""
    authorization = request.headers.get("authorization")
    if not authorization:
        raise Unauthorized(_NO_CREDENTIALS)
    checked = await _throttled(
        request, state, lambda: check_signed_headers(request, authorization, session, state)
    )
    return checked.principal


async def _throttled(request: Request, state: AppState, check: Callable[[], Awaitable[_T]]) -> _T:
    """A client address that sent too many bad signatures is refused (429) unchecked; see
    ``services/login_guard.py``."""
    client = request.client.host if request.client else ""
    state.login_guard.check_signer(client)
    try:
        return await check()
    except Unauthorized:
        state.login_guard.signature_failed(client)
        raise


async def _by_token(token: str, session: AsyncSession, state: AppState) -> Principal:
    digest = token_digest(token)
    cached = state.token_cache.get(digest)
    if cached is not None:
        refresh_if_due(token, digest, state)
        return cached
    generation = state.token_cache.generation
    found = await IdentityService(session).principal_for_token(token)
    if found is None:
        raise Unauthorized("The token is invalid, expired or revoked.")
    principal, expires_at = found
    expiry_in = (expires_at - utcnow()).total_seconds()
    state.token_cache.put(digest, principal, expiry_in, generation)
    return principal


def refresh_if_due(token: str, digest: str, state: AppState) -> None:
    """Verify a cached token again, in the background, once its entry is half-way through
    its life (see ``TokenCache``); the request goes on with the cached principal."""
    claim = state.token_cache.claim_refresh(digest)
    if claim is None:
        return

    async def refresh() -> None:
        try:
            async with transaction(state.sessionmaker) as session:
                found = await IdentityService(session).principal_for_token(token)
        except Exception as exc:  # the entry then expires as it would have
            log.warning("verifying a cached token again failed: %s", exc)
            return
        if found is None:
            state.token_cache.refreshed(digest, claim, None, 0.0)
        else:
            principal, expires_at = found
            expiry_in = (expires_at - utcnow()).total_seconds()
            state.token_cache.refreshed(digest, claim, principal, expiry_in)

    task = asyncio.create_task(refresh())
    _refreshing.add(task)
    task.add_done_callback(_refreshing.discard)


_SIGNATURE_MISMATCH = "The request signature does not match."


@dataclass(frozen=True, slots=True)
class SignedHeaders:
    """What the headers of an SDK-HMAC-SHA256 request prove before its body is read."""

    parsed: signing.ParsedAuthorization
    signed_at: datetime
    secret: str
    principal: Principal


async def check_signed_headers(
    request: Request, authorization: str, session: AsyncSession, state: AppState
) -> SignedHeaders:
    """The checks that need no body: format, date window, signed headers, Host, a known
    and enabled key (an unknown key reads as a bad signature)."""
    try:
        parsed = signing.parse_authorization(authorization)
        signed_at = signing.parse_sdk_date(request.headers.get("x-sdk-date", ""))
    except signing.SignatureFormatError as exc:
        raise Unauthorized(f"Bad signature: {exc}.") from exc
    skew = timedelta(seconds=state.settings.signature_max_skew_seconds)
    if abs(utcnow() - signed_at) > skew:
        raise Unauthorized("X-Sdk-Date is outside the allowed 15-minute window.")
    if "host" not in parsed.signed_headers or "x-sdk-date" not in parsed.signed_headers:
        raise Unauthorized("SignedHeaders must include host and x-sdk-date.")
    if not _host_is_ours(request, state):
        raise Unauthorized(
            "The signed Host is not a name of this server (see OPENVIAS_PUBLIC_HOSTS)."
        )
    if state.secret_box is None:
        raise ServiceUnavailable("Access keys are not ready yet.")
    found = await AccessKeyService(session, state.secret_box).lookup(parsed.access)
    if found is None:
        raise Unauthorized(_SIGNATURE_MISMATCH)
    return SignedHeaders(parsed, signed_at, found[0], found[1])


async def _by_signature(
    request: Request, authorization: str, session: AsyncSession, state: AppState
) -> Principal:
    headers = await check_signed_headers(request, authorization, session, state)
    parsed, signed_at, secret, principal = (
        headers.parsed,
        headers.signed_at,
        headers.secret,
        headers.principal,
    )
    skew = timedelta(seconds=state.settings.signature_max_skew_seconds)
    body = await request.body()
    actual = signing.payload_sha256(body)
    declared = request.headers.get("x-sdk-content-sha256")
    # The SDK hashes an empty body as sha256("") whatever X-Sdk-Content-Sha256 says, and
    # uses the declared value for a non-empty one; only the real digest is accepted here
    # (UNSIGNED-PAYLOAD would leave the body unauthenticated).
    if body and declared is not None and declared != actual:
        raise Unauthorized("X-Sdk-Content-Sha256 does not match the body.")
    canonical = signing.canonical_request(
        method=request.method,
        path=_raw_path(request),
        raw_query=request.url.query,
        headers={k.lower(): signing.header_text(v) for k, v in request.headers.items()},
        signed_headers=parsed.signed_headers,
        payload_hash=actual,
    )
    to_sign = signing.string_to_sign(request.headers["x-sdk-date"], canonical)
    if not signing.signatures_match(signing.sign(secret, to_sign), parsed.signature):
        raise Unauthorized(_SIGNATURE_MISMATCH)
    if request.method in REMEMBERED_METHODS and not state.seen_signatures.first_use(
        parsed.access, parsed.signature, (signed_at + skew).timestamp()
    ):
        raise Unauthorized("This signed request was already received: sign each request anew.")
    project_header = request.headers.get("x-project-id")
    path_project = request.path_params.get("project_id")
    if project_header and path_project and project_header != path_project:
        raise Unauthorized("X-Project-Id does not match the project in the path.")
    return principal


def _host_is_ours(request: Request, state: AppState) -> bool:
    server = request.scope.get("server")
    return signing.host_is_ours(
        request.headers.get("host", ""),
        local_address=(str(server[0]), int(server[1])) if server and server[1] else None,
        default_port=443 if request.url.scheme == "https" else 80,
        public_hosts=state.settings.resolved_public_hosts,
    )


def _raw_path(request: Request) -> str:
    """The path as sent (still percent-encoded): the SDK signs ``unquote(path)``, so the
    already-decoded ``scope["path"]`` would be decoded twice."""
    raw = request.scope.get("raw_path")
    return raw.decode("latin-1") if isinstance(raw, bytes) and raw else request.url.path
