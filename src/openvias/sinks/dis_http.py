"""Huawei's hosted DIS "PutRecords" API (``POST /v2/{project_id}/records``), signed with
SDK-HMAC-SHA256 as ``huaweicloudsdkcore`` signs it.

The request is the one ``huaweicloudsdkdis`` 3.1.219 sends for ``DisClient.send_records``
(research/stack.md §7.4, and the SDK's ``PutRecordsRequest``/``PutRecordsRequestEntry``
models)::

    POST /v2/{project_id}/records
    Content-Type: application/json
    {"stream_name": "...", "records": [{"data": "<base64>", "partition_key": "..."}]}

answered with ``{"failed_record_count": 0, "records": [{"partition_id", "sequence_number"}]}``
(a failed record carries ``error_code``/``error_message`` instead).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import httpx

from openvias.domain import signing
from openvias.settings import Settings
from openvias.sinks.base import Outcome

_DETAIL_CHARS = 300


def sign_headers(
    *,
    method: str,
    url: httpx.URL,
    headers: Mapping[str, str],
    body: bytes,
    access_key: str,
    secret_key: str,
    now: datetime | None = None,
) -> dict[str, str]:
    """``headers`` plus ``Host``, ``X-Sdk-Date`` and the ``Authorization`` that signs all of
    them (names lower-cased and sorted, as the SDK does)."""
    signed_at = (now or datetime.now(UTC)).strftime(signing.DATE_FORMAT)
    out = {**headers, "Host": _host(url), "X-Sdk-Date": signed_at}
    lower = {name.lower(): value for name, value in out.items()}
    names = sorted(lower)
    canonical = signing.canonical_request(
        method=method,
        path=url.raw_path.decode("ascii").split("?", 1)[0],
        raw_query=url.query.decode("ascii"),
        headers=lower,
        signed_headers=names,
        payload_hash=signing.payload_sha256(body),
    )
    signature = signing.sign(secret_key, signing.string_to_sign(signed_at, canonical))
    out["Authorization"] = (
        f"{signing.ALGORITHM} Access={access_key}, SignedHeaders={';'.join(names)}, "
        f"Signature={signature}"
    )
    return out


def _host(url: httpx.URL) -> str:
    """The Host header httpx sends: the port only when it is not the scheme's default."""
    return url.netloc.decode("ascii")


def put_records_body(stream_name: str, partition_key: str, payload: bytes) -> bytes:
    record = {"data": base64.b64encode(payload).decode("ascii"), "partition_key": partition_key}
    body = {"stream_name": stream_name, "records": [record]}
    return json.dumps(body, separators=(",", ":")).encode("utf-8")


class HostedDis:
    """One httpx client (made on first use) for ``settings.dis_endpoint``."""

    def __init__(self, settings: Settings, timeout_seconds: float) -> None:
        self._settings = settings
        self._timeout = timeout_seconds
        self._client: httpx.AsyncClient | None = None

    def missing(self) -> str | None:
        """What configuration is missing, if any."""
        names = {
            "OPENVIAS_DIS_PROJECT_ID": self._settings.dis_project_id,
            "OPENVIAS_DIS_ACCESS_KEY_ID": self._settings.dis_access_key_id,
            "OPENVIAS_DIS_SECRET_ACCESS_KEY": self._settings.dis_secret_access_key,
        }
        absent = [name for name, value in names.items() if not value]
        if absent:
            return "hosted DIS outputs need " + ", ".join(absent)
        return None

    async def put_record(self, stream_name: str, partition_key: str, payload: bytes) -> Outcome:
        problem = self.missing()
        if problem is not None:
            return Outcome.refused(problem)
        endpoint = (self._settings.dis_endpoint or "").rstrip("/")
        project_id = self._settings.dis_project_id or ""
        try:
            url = httpx.URL(f"{endpoint}/v2/{project_id}/records")
        except httpx.InvalidURL as exc:
            return Outcome.refused(f"OPENVIAS_DIS_ENDPOINT is not a URL: {exc}")
        body = put_records_body(stream_name, partition_key, payload)
        headers = sign_headers(
            method="POST",
            url=url,
            headers={"Content-Type": "application/json", "X-Project-Id": project_id},
            body=body,
            access_key=self._settings.dis_access_key_id or "",
            secret_key=self._settings.dis_secret_access_key or "",
        )
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self._timeout, follow_redirects=False)
        try:
            response = await self._client.post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return Outcome.retry(f"DIS {url.host}: {type(exc).__name__}: {exc}")
        return _outcome(stream_name, response)

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()


def _outcome(stream_name: str, response: httpx.Response) -> Outcome:
    status = response.status_code
    if 200 <= status < 300:
        answer = _json(response)
        records = answer.get("records") if isinstance(answer, dict) else None
        first = records[0] if isinstance(records, list) and records else {}
        first = first if isinstance(first, dict) else {}
        failed = answer.get("failed_record_count", 0) if isinstance(answer, dict) else 0
        if failed or first.get("error_code"):
            # DIS refuses single records mostly for throttling or a busy partition.
            code, message = first.get("error_code", ""), first.get("error_message", "")
            return Outcome.retry(
                f"DIS stream {stream_name} refused the record: {code} {message}".strip(),
                status_code=status,
            )
        where = f"partition {first.get('partition_id')} sequence {first.get('sequence_number')}"
        return Outcome.ok(f"DIS stream {stream_name}: {where}", status_code=status)
    detail = f"DIS stream {stream_name}: HTTP {status} {response.text[:_DETAIL_CHARS]}".strip()
    if status >= 500 or status in (408, 429):
        return Outcome.retry(detail, status_code=status)
    return Outcome.refused(detail, status_code=status)


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
