"""Access-key secrets sealed with AES-256-GCM under a key kept outside the database, so
that a copy of the database alone cannot sign requests.

A sealed value is ``v1:`` + base64url(nonce ‖ ciphertext ‖ tag). The access key id is the
associated data: a sealed secret moved onto another key's row does not open.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SEALED_PREFIX = "v1:"
KEY_BYTES = 32
_NONCE_BYTES = 12


class SecretKeyError(ValueError):
    """A key that is not 32 bytes of base64, or a sealed value it does not open."""


def parse_key(text: str) -> bytes:
    """A key written as base64 (standard or URL-safe alphabet, padding optional)."""
    compact = text.strip()
    padded = compact + "=" * (-len(compact) % 4)
    try:
        key = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SecretKeyError("the secret key is not base64") from exc
    if len(key) != KEY_BYTES:
        raise SecretKeyError(f"the secret key must be {KEY_BYTES} bytes, base64-encoded")
    return key


def new_key_text() -> str:
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode("ascii")


def is_sealed(stored: str) -> bool:
    return stored.startswith(SEALED_PREFIX)


@dataclass(frozen=True, slots=True)
class SecretBox:
    key: bytes = field(repr=False)

    def seal(self, secret: str, context: str) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = AESGCM(self.key).encrypt(nonce, secret.encode("utf-8"), context.encode("utf-8"))
        return SEALED_PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def open(self, stored: str, context: str) -> str:
        if not is_sealed(stored):
            raise SecretKeyError("the value is not sealed")
        try:
            raw = base64.urlsafe_b64decode(stored.removeprefix(SEALED_PREFIX))
            plain = AESGCM(self.key).decrypt(
                raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], context.encode("utf-8")
            )
        except (binascii.Error, ValueError, InvalidTag) as exc:
            raise SecretKeyError("the secret key does not open this value") from exc
        return plain.decode("utf-8")
