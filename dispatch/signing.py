"""Signed, expiring provider links (the provider-links key) and webhook bodies signed with each
provider's own secret, which is kept sealed under the provider-webhook-secrets key."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from config.keys import SealError, seal, unseal
from dispatch.exceptions import BadLink

SIGNATURE_HEADER = "X-Anxin-Signature"


@dataclass(frozen=True, slots=True)
class ProviderLink:
    """Who may act on which order, until when."""

    provider_id: int
    order_id: int
    expires_at: datetime


def _mac(key: bytes, message: bytes) -> str:
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def sign_link(link: ProviderLink, *, key: bytes) -> str:
    payload = f"{link.provider_id}.{link.order_id}.{int(link.expires_at.timestamp())}"
    return f"{payload}.{_mac(key, payload.encode())[:40]}"


def read_link(token: str, *, key: bytes, now: datetime) -> ProviderLink:
    """The link a token stands for; a tampered or expired token raises BadLink."""
    parts = token.split(".")
    if len(parts) != 4 or not all(p.isdigit() for p in parts[:3]):
        raise BadLink("this link is not valid")
    payload, signature = ".".join(parts[:3]), parts[3]
    if not hmac.compare_digest(signature, _mac(key, payload.encode())[:40]):
        raise BadLink("this link is not valid")
    link = ProviderLink(int(parts[0]), int(parts[1]), datetime.fromtimestamp(int(parts[2]), UTC))
    if link.expires_at <= now:
        raise BadLink("this link has expired; ask the dispatcher for a new one")
    return link


def new_webhook_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def seal_webhook_secret(key: bytes, secret: str, *, provider_id: int) -> bytes:
    return seal(key, secret.encode(), associated=f"provider:{provider_id}".encode())


def open_webhook_secret(key: bytes, sealed: bytes, *, provider_id: int) -> str | None:
    """The provider's secret, or None when it does not open (ANXIN_SECRET_KEY changed)."""
    try:
        return unseal(key, sealed, associated=f"provider:{provider_id}".encode()).decode()
    except SealError:
        return None


def sign_body(body: bytes, *, secret: str) -> str:
    """``sha256=`` and the hex HMAC-SHA256 of the raw body under the provider's secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def body_signature_valid(body: bytes, signature: str, *, secret: str) -> bool:
    return hmac.compare_digest(signature, sign_body(body, secret=secret))
