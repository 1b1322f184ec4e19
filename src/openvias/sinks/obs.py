"""The ``obs`` output: each alarm as objects in an S3-compatible bucket (Huawei OBS, or any
S3 API such as MinIO, Ceph or moto), written with boto3.

Layout (docs/design/sinks.md)::

    <path>/<task_id>/<yyyy>/<mm>/<dd>/<message_id>.jpg    the frame, image/jpeg
    <path>/<task_id>/<yyyy>/<mm>/<dd>/<message_id>.json   the envelope without image_base64,
                                                          plus "image": "<key of the .jpg>"

The date is the alarm's ``timestamp`` in UTC. The JPEG is written first, so a reader that
finds the JSON finds its image. Keys derive from the alarm only: a redelivery overwrites the
same objects. boto3 is synchronous; every call runs on a small thread pool of this sink with
one shared client (boto3 clients are thread-safe).
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from openvias.domain.alarms import Alarm
from openvias.domain.object_storage import addressing_style
from openvias.settings import Settings
from openvias.sinks.base import Outcome
from openvias.sinks.categories import wants_image

log = logging.getLogger(__name__)

#: Threads (and pooled HTTP connections) per sink: uploads in flight at once.
MAX_THREADS = 16
CONNECT_TIMEOUT_SECONDS = 5.0
READ_TIMEOUT_SECONDS = 30.0
#: boto3's own attempts per call: one quick retry (e.g. a dropped keep-alive connection);
#: the delivery worker retries everything else with its backoff.
BOTO_ATTEMPTS = 2

#: S3 error codes that say "try again later" whatever their HTTP status.
_TRANSIENT_CODES = frozenset(
    {
        "InternalError",
        "ServiceUnavailable",
        "SlowDown",
        "Throttling",
        "ThrottlingException",
        "RequestLimitExceeded",
        "TooManyRequests",
        "RequestTimeout",
        "RequestTimeTooSkewed",
    }
)
#: Huawei OBS endpoints (obs.<region>.myhuaweicloud.com, .eu, ...): OBS wants the bucket in
#: the host name ("virtual-hosted"); every other endpoint gets path-style requests.


@dataclass(frozen=True, slots=True)
class ObjectKeys:
    json: str
    image: str


def object_keys(alarm: Alarm, path: Any) -> ObjectKeys:
    """The keys of an alarm's objects under the output's ``path`` (slashes normalised)."""
    prefix = "/".join(part for part in str(path or "").split("/") if part)
    day = datetime.fromtimestamp(alarm.timestamp, UTC)
    parts = [prefix, alarm.task_id, f"{day:%Y}", f"{day:%m}", f"{day:%d}", alarm.message_id]
    stem = "/".join(part for part in parts if part)
    return ObjectKeys(json=f"{stem}.json", image=f"{stem}.jpg")


def alarm_document(alarm: Alarm, image_key: str | None) -> dict[str, Any]:
    """The JSON object stored for an alarm: the envelope without ``image_base64``; with
    ``image`` (the JPEG's key in the same bucket) where ``image_base64`` would be."""
    document: dict[str, Any] = {}
    for key, value in alarm.envelope(include_image=False).items():
        if key == "data" and image_key is not None:
            document["image"] = image_key
        document[key] = value
    return document


class ObsSink:
    """Writes alarms to ``target["bucket"]`` under ``target["path"]``; see the module doc."""

    kind = "obs"

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._threads = max(1, min(MAX_THREADS, settings.delivery_concurrency))
        self._client: Any = None
        self._client_lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None

    async def deliver(self, alarm: Alarm, target: Mapping[str, Any]) -> Outcome:
        if not self._settings.obs_endpoint:
            return Outcome.refused(
                "obs outputs are not configured: set OPENVIAS_OBS_ENDPOINT (and "
                "OPENVIAS_OBS_REGION, OPENVIAS_OBS_ACCESS_KEY_ID, OPENVIAS_OBS_SECRET_ACCESS_KEY)"
            )
        bucket = target.get("bucket")
        if not isinstance(bucket, str) or not bucket.strip():
            return Outcome.refused("the obs output names no bucket")
        bucket = bucket.strip()
        keys = object_keys(alarm, target.get("path"))
        image = alarm.jpeg if wants_image(target) and alarm.jpeg else None
        document = alarm_document(alarm, keys.image if image is not None else None)
        body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._pool(), self._put, bucket, keys, body, image)
        except Exception as exc:  # a sink never raises for a failed delivery
            return classify(exc, bucket)
        written = f"{keys.image} and {keys.json}" if image is not None else keys.json
        return Outcome.ok(f"wrote {written} to bucket {bucket}", status_code=200)

    async def close(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            # Let uploads already running finish (bounded by the timeouts); drop queued ones.
            await asyncio.to_thread(executor.shutdown, wait=True, cancel_futures=True)
        with self._client_lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(
                max_workers=self._threads, thread_name_prefix="openvias-obs"
            )
        return self._executor

    def _put(self, bucket: str, keys: ObjectKeys, body: bytes, image: bytes | None) -> None:
        client = self._s3()
        if image is not None:
            client.put_object(Bucket=bucket, Key=keys.image, Body=image, ContentType="image/jpeg")
        client.put_object(Bucket=bucket, Key=keys.json, Body=body, ContentType="application/json")

    def _s3(self) -> Any:
        """The shared client, made on first use in a worker thread (it loads botocore's
        models, too slow for the event loop)."""
        with self._client_lock:
            if self._client is None:
                self._client = self._new_client()
            return self._client

    def _new_client(self) -> Any:
        import boto3.session
        from botocore.config import Config

        endpoint = self._settings.obs_endpoint or ""
        config = Config(
            signature_version="s3v4",
            s3={"addressing_style": addressing_style(endpoint)},
            retries={"mode": "standard", "total_max_attempts": BOTO_ATTEMPTS},
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            read_timeout=READ_TIMEOUT_SECONDS,
            max_pool_connections=self._threads,
            # No CRC trailers/headers unless an operation requires them: S3-compatible
            # stores (OBS included) do not all know boto3's newer checksum headers.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        return boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint,
            region_name=self._settings.obs_region,
            aws_access_key_id=self._settings.obs_access_key_id,
            aws_secret_access_key=self._settings.obs_secret_access_key,
            config=config,
        )


def classify(exc: Exception, bucket: str) -> Outcome:
    """Permanent for what a retry cannot fix (no such bucket, access denied, bad request,
    no credentials); retry for the network, 5xx, throttling and anything unexpected."""
    from botocore import exceptions as boto

    if isinstance(exc, boto.ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "") or "")
        message = str(error.get("Message", "") or "")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        detail = f"bucket {bucket}: {code or 'error'} {message}".strip()
        if status is not None:
            detail = f"{detail} (HTTP {status})"
        transient = code in _TRANSIENT_CODES or not isinstance(status, int)
        if transient or status >= 500 or status in (408, 429):
            return Outcome.retry(detail, status_code=status)
        return Outcome.refused(detail, status_code=status)
    retriable = (
        boto.ConnectionError,
        boto.HTTPClientError,
        boto.IncompleteReadError,
        boto.CredentialRetrievalError,
    )
    if isinstance(exc, retriable):
        return Outcome.retry(f"bucket {bucket}: {exc}")
    if isinstance(exc, boto.NoCredentialsError | boto.PartialCredentialsError):
        return Outcome.refused(
            "obs outputs need credentials: set OPENVIAS_OBS_ACCESS_KEY_ID and "
            "OPENVIAS_OBS_SECRET_ACCESS_KEY"
        )
    if isinstance(exc, boto.BotoCoreError):
        return Outcome.refused(f"bucket {bucket}: {exc}")
    log.warning("obs delivery to bucket %s failed unexpectedly", bucket, exc_info=exc)
    return Outcome.retry(f"bucket {bucket}: {type(exc).__name__}: {exc}")
