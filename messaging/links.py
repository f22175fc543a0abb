"""Signed, expiring links a family contact opens in WeChat to bind their account; the token
names the contact and the staff member who sent it (the wechat-links key)."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime

from messaging.exceptions import BadBindingLink


@dataclass(frozen=True, slots=True)
class BindingLink:
    contact_id: int
    staff: str
    expires_at: datetime


def _mac(key: bytes, payload: str) -> str:
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()[:40]


def sign_binding(link: BindingLink, *, key: bytes) -> str:
    payload = f"{link.contact_id}.{int(link.expires_at.timestamp())}.{link.staff.encode().hex()}"
    return f"{payload}.{_mac(key, payload)}"


def read_binding(token: str, *, key: bytes, now: datetime) -> BindingLink:
    """The link a token stands for; a tampered or expired one raises ``BadBindingLink``."""
    parts = token.split(".")
    if len(parts) != 4 or not (parts[0].isdigit() and parts[1].isdigit()):
        raise BadBindingLink("this binding link is not valid")
    payload = ".".join(parts[:3])
    if not hmac.compare_digest(parts[3], _mac(key, payload)):
        raise BadBindingLink("this binding link is not valid")
    try:
        staff = bytes.fromhex(parts[2]).decode()
    except ValueError as error:
        raise BadBindingLink("this binding link is not valid") from error
    link = BindingLink(int(parts[0]), staff, datetime.fromtimestamp(int(parts[1]), UTC))
    if link.expires_at <= now:
        raise BadBindingLink("this binding link has expired; ask the centre for a new one")
    return link


def receipt_token(key: bytes, gateway: str) -> str:
    """The secret path segment a gateway's receipt callback URL carries."""
    return _mac(key, f"receipts:{gateway}")
