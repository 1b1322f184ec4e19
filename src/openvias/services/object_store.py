"""Reading folders of the operator's OBS/S3 endpoint (``OPENVIAS_OBS_*``) with boto3.

The endpoint is the operator's, so no address policy applies to it; what a request may
name is a bucket (the VIAS bucket pattern) and object keys that follow
``domain.object_storage.object_key_problem``. Blocking calls: run them in a thread.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openvias.domain.object_storage import addressing_style, object_key_problem
from openvias.settings import Settings


class ObjectStoreError(Exception):
    """The store refused (not configured, no such bucket, access denied)."""


class ObjectStoreUnreachable(ObjectStoreError):
    """The endpoint did not answer."""


def obs_client(settings: Settings) -> Any:
    if not settings.obs_endpoint:
        raise ObjectStoreError("OBS data sets need OPENVIAS_OBS_ENDPOINT (and credentials)")
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=settings.obs_endpoint,
        region_name=settings.obs_region,
        aws_access_key_id=settings.obs_access_key_id,
        aws_secret_access_key=settings.obs_secret_access_key,
        config=Config(
            signature_version="s3v4",
            s3={"addressing_style": addressing_style(settings.obs_endpoint)},
            connect_timeout=10,
            read_timeout=60,
            retries={"max_attempts": 2},
        ),
    )


def folder_prefix(prefix: str) -> str:
    """``prefix`` as a folder: ``a/b`` and ``a/b/`` both become ``a/b/``."""
    return prefix.rstrip("/") + "/"


def existing_keys(settings: Settings, bucket: str, keys: list[str]) -> list[str]:
    """Which of ``keys`` exist in ``bucket``; ObjectStoreError when the store cannot say."""
    from botocore.exceptions import BotoCoreError, ClientError

    client = obs_client(settings)
    found = []
    for key in keys:
        try:
            client.head_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if status == 404:
                continue
            raise ObjectStoreError(f"obs://{bucket}/{key}: {_describe(exc)}") from None
        except BotoCoreError as exc:
            raise ObjectStoreUnreachable(f"the OBS endpoint cannot be reached: {exc}") from None
        found.append(key)
    return found


def download_folder(settings: Settings, bucket: str, prefix: str, into: Path) -> int:
    """Every object under ``prefix`` written below ``into`` (keys relative to the prefix);
    the number of files. ObjectStoreError names what could not be read."""
    from botocore.exceptions import BotoCoreError, ClientError

    client = obs_client(settings)
    folder = folder_prefix(prefix)
    count = 0
    try:
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=folder)
        for page in pages:
            for entry in page.get("Contents", []):
                key = str(entry["Key"])
                relative = key[len(folder) :]
                if not relative or relative.endswith("/"):
                    continue  # the folder marker objects some consoles write
                problem = object_key_problem(relative)
                if problem is not None:
                    raise ObjectStoreError(f"obs://{bucket}/{key} cannot be read: {problem}")
                target = into / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                client.download_file(bucket, key, str(target))
                count += 1
    except ClientError as exc:
        raise ObjectStoreError(f"obs://{bucket}/{folder}: {_describe(exc)}") from None
    except BotoCoreError as exc:
        raise ObjectStoreUnreachable(f"the OBS endpoint cannot be reached: {exc}") from None
    return count


def _describe(error: Any) -> str:
    body = error.response.get("Error", {})
    return f"{body.get('Code', 'error')}: {body.get('Message', '') or 'refused'}".strip()
