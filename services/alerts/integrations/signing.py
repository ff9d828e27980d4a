"""Standard Webhooks signatures (https://www.standardwebhooks.com), pure.

``webhook-signature`` = space-separated ``v1,<base64 HMAC-SHA256>`` over
``"{webhook-id}.{webhook-timestamp}.{body}"``, one per secret in force: during a
rotation both the new and the previous secret sign, so a receiver holding either
verifies. Secrets are ``whsec_`` + base64 of 24 random bytes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence

PREFIX = "whsec_"


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(PREFIX))


def sign(msg_id: str, timestamp: int, body: bytes, keys: Sequence[str]) -> str:
    content = f"{msg_id}.{timestamp}.".encode() + body
    sigs = [
        "v1," + base64.b64encode(hmac.new(_key(k), content, hashlib.sha256).digest()).decode()
        for k in keys
    ]
    return " ".join(sigs)


def headers(msg_id: str, timestamp: int, body: bytes, keys: Sequence[str]) -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(msg_id, timestamp, body, keys),
        "content-type": "application/cloudevents+json; charset=utf-8",
    }
