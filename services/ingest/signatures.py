"""The Standard Webhooks signature scheme (https://www.standardwebhooks.com/).

A signed request carries three headers::

    webhook-id:        a unique message id (a retry of the same message reuses it)
    webhook-timestamp: integer seconds since the epoch
    webhook-signature: space-separated "v1,<base64 HMAC-SHA256>" entries

The HMAC key is the secret's bytes: a secret is written ``whsec_<base64>``, and the signed
content is ``id + "." + timestamp + "." + payload``. The payload of a request with a body
(``POST /v1/push/{publisher}/calls``) is its raw body, as Standard Webhooks defines it. A
request without a body (withdrawing a call, hiding an interest) signs what it does instead:
its method, one space and its path as sent, e.g. ``DELETE /v1/push/ville/calls/2026-001``
(:func:`target_payload`), so that its headers, if leaked, cannot act on another path.
Verification compares every candidate signature with every configured secret (two during a
rotation) in constant time, over the raw bytes of the payload, and refuses a timestamp more
than ``tolerance`` seconds away from now (either way).

:func:`sign` is the sending side (alert webhooks, tests, the benchmark).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from shared.errors import ConfigError

PREFIX = "whsec_"
TOLERANCE_S = 5 * 60
MAX_ID_LENGTH = 256


class SignatureError(Exception):
    """The request is not authentic; ``code`` is the machine-readable reason."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Signed:
    """What a verified request proved: its message id and timestamp."""

    msg_id: str
    timestamp: int


def decode_secret(secret: str) -> bytes:
    """The key bytes of a ``whsec_...`` secret; :class:`ConfigError` when malformed."""
    if not secret.startswith(PREFIX):
        raise ConfigError("a push secret must start with 'whsec_'")
    try:
        key = base64.b64decode(secret[len(PREFIX):], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ConfigError("a push secret must be whsec_ followed by base64") from exc
    if len(key) < 16:
        raise ConfigError("a push secret must hold at least 16 bytes")
    return key


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def parse_secrets(raw: str) -> dict[str, tuple[bytes, ...]]:
    """``publisher=whsec_...`` pairs, comma-separated; a publisher may appear twice (rotation)."""
    result: dict[str, list[bytes]] = {}
    for part in raw.split(","):
        part = part.strip()
        if not part:
            continue
        publisher, sep, secret = part.partition("=")
        publisher = publisher.strip()
        if not sep or not publisher:
            raise ConfigError(f"expected publisher=whsec_..., got {part.split('=')[0]!r}")
        if not publisher.replace("-", "").replace("_", "").isalnum():
            raise ConfigError(f"publisher names are letters, digits, - and _: {publisher!r}")
        result.setdefault(publisher, []).append(decode_secret(secret.strip()))
    return {p: tuple(keys) for p, keys in result.items()}


def target_payload(method: str, path: str) -> bytes:
    """The signed payload of a request without a body: ``METHOD /path`` (path as sent,
    percent-encoding included, without the query string)."""
    return f"{method.upper()} {path}".encode()


def signature(key: bytes, msg_id: str, timestamp: int | str, body: bytes) -> str:
    content = msg_id.encode() + b"." + str(timestamp).encode() + b"." + body
    digest = hmac.new(key, content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def sign(secret: str | bytes, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three headers of a signed request."""
    key = decode_secret(secret) if isinstance(secret, str) else secret
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(key, msg_id, timestamp, body),
    }


def verify(
    headers: Mapping[str, str],
    body: bytes,
    keys: Sequence[bytes],
    now: float,
    tolerance: float = TOLERANCE_S,
) -> Signed:
    """Check the headers against ``keys``; raise :class:`SignatureError` when not authentic."""
    msg_id = headers.get("webhook-id", "")
    raw_ts = headers.get("webhook-timestamp", "")
    raw_sig = headers.get("webhook-signature", "")
    if not msg_id or not raw_ts or not raw_sig:
        raise SignatureError("missing_signature", "webhook-id, webhook-timestamp and "
                             "webhook-signature headers are required")
    if len(msg_id) > MAX_ID_LENGTH or not msg_id.isascii() or not msg_id.isprintable():
        raise SignatureError("invalid_signature", "webhook-id is not a valid message id")
    if not raw_ts.isascii() or not raw_ts.isdigit() or len(raw_ts) > 12:
        raise SignatureError("invalid_timestamp", "webhook-timestamp must be integer seconds")
    timestamp = int(raw_ts)
    if abs(now - timestamp) > tolerance:
        raise SignatureError(
            "timestamp_out_of_tolerance",
            f"webhook-timestamp is more than {int(tolerance)} s away from the server's clock",
        )
    candidates = []
    for entry in raw_sig.split():
        version, _, value = entry.partition(",")
        if version == "v1" and value:
            candidates.append(value.encode("ascii", "replace"))
    matched = False
    for key in keys:
        expected = signature(key, msg_id, raw_ts, body)[3:].encode()
        for candidate in candidates:
            # compare_digest on bytes: constant time whatever the content.
            matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        raise SignatureError("invalid_signature", "no valid v1 signature for this body")
    return Signed(msg_id, timestamp)
