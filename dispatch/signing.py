"""Signed, expiring provider links and signed webhook bodies (HMAC-SHA256, the secret key)."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime

from dispatch.exceptions import BadLink

SIGNATURE_HEADER = "X-Anxin-Signature"


@dataclass(frozen=True, slots=True)
class ProviderLink:
    """Who may act on which order, until when."""

    provider_id: int
    order_id: int
    expires_at: datetime


def _mac(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign_link(link: ProviderLink, *, secret: str) -> str:
    payload = f"{link.provider_id}.{link.order_id}.{int(link.expires_at.timestamp())}"
    return f"{payload}.{_mac(secret, b'link:' + payload.encode())[:40]}"


def read_link(token: str, *, secret: str, now: datetime) -> ProviderLink:
    """The link a token stands for; a tampered or expired token raises BadLink."""
    parts = token.split(".")
    if len(parts) != 4 or not all(p.isdigit() for p in parts[:3]):
        raise BadLink("this link is not valid")
    payload, signature = ".".join(parts[:3]), parts[3]
    if not hmac.compare_digest(signature, _mac(secret, b"link:" + payload.encode())[:40]):
        raise BadLink("this link is not valid")
    link = ProviderLink(int(parts[0]), int(parts[1]), datetime.fromtimestamp(int(parts[2]), UTC))
    if link.expires_at <= now:
        raise BadLink("this link has expired; ask the dispatcher for a new one")
    return link


def sign_body(body: bytes, *, secret: str) -> str:
    return "sha256=" + _mac(secret, b"webhook:" + body)


def body_signature_valid(body: bytes, signature: str, *, secret: str) -> bool:
    return hmac.compare_digest(signature, sign_body(body, secret=secret))
