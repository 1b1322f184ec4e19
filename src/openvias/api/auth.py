"""Request authentication: ``X-Auth-Token`` or an SDK-HMAC-SHA256 signature."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from openvias.api.state import AppState
from openvias.domain import signing
from openvias.domain.clock import utcnow
from openvias.errors import Unauthorized
from openvias.services.identity import IdentityService, Principal, token_digest
from openvias.store.db import transaction

log = logging.getLogger(__name__)
#: Verifications of cached tokens under way (kept referenced until they finish).
_refreshing: set[asyncio.Task[None]] = set()


async def authenticate(request: Request, session: AsyncSession, state: AppState) -> Principal:
    token = request.headers.get("x-auth-token")
    if token:
        return await _by_token(token, session, state)
    authorization = request.headers.get("authorization")
    if authorization:
        return await _by_signature(request, authorization, session, state)
    raise Unauthorized("No credentials: send X-Auth-Token or an SDK-HMAC-SHA256 signature.")


async def _by_token(token: str, session: AsyncSession, state: AppState) -> Principal:
    digest = token_digest(token)
    cached = state.token_cache.get(digest)
    if cached is not None:
        refresh_if_due(token, digest, state)
        return cached
    found = await IdentityService(session).principal_for_token(token)
    if found is None:
        raise Unauthorized("The token is invalid, expired or revoked.")
    principal, expires_at = found
    state.token_cache.put(digest, principal, (expires_at - utcnow()).total_seconds())
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


async def _by_signature(
    request: Request, authorization: str, session: AsyncSession, state: AppState
) -> Principal:
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
    found = await IdentityService(session).access_key(parsed.access)
    if found is None:
        raise Unauthorized("Unknown or disabled access key.")
    secret, principal = found
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
        raise Unauthorized("The request signature does not match.")
    project_header = request.headers.get("x-project-id")
    path_project = request.path_params.get("project_id")
    if project_header and path_project and project_header != path_project:
        raise Unauthorized("X-Project-Id does not match the project in the path.")
    return principal


def _raw_path(request: Request) -> str:
    """The path as sent (still percent-encoded): the SDK signs ``unquote(path)``, so the
    already-decoded ``scope["path"]`` would be decoded twice."""
    raw = request.scope.get("raw_path")
    return raw.decode("latin-1") if isinstance(raw, bytes) and raw else request.url.path
