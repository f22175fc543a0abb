"""Signed, expiring, single-use capture links: the senior's phone (or the kiosk) runs a check
without a staff log-in; the link names the senior, the channel and the staff member who sent
it, and carries a random id that the check spends (``liveness_link_uses``)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime

from liveness.exceptions import LinkExpiredError, SessionRefusedError


@dataclass(frozen=True)
class CaptureLink:
    senior_id: int
    channel: str
    staff: str
    expires_at: datetime
    link_id: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    # Which try this link is: a failed check hands the senior the next one (see retry_link).
    attempt: int = 1


def retry_link(link: CaptureLink) -> CaptureLink:
    """The next try after a failed check: a new single-use link with the same expiry."""
    return CaptureLink(link.senior_id, link.channel, link.staff, link.expires_at,
                       attempt=link.attempt + 1)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_link(key: bytes, link: CaptureLink) -> str:
    body = _b64(json.dumps({"s": link.senior_id, "c": link.channel, "u": link.staff,
                            "e": int(link.expires_at.timestamp()),
                            "n": link.link_id, "a": link.attempt}).encode())
    mac = _b64(hmac.new(key, body.encode(), hashlib.sha256).digest())
    return f"{body}.{mac}"


def read_link(key: bytes, token: str, *, now: datetime) -> CaptureLink:
    """The link's content, if the signature holds and it has not expired."""
    body, _, mac = token.partition(".")
    expected = _b64(hmac.new(key, body.encode(), hashlib.sha256).digest())
    if not mac or not hmac.compare_digest(mac, expected):
        raise SessionRefusedError("this capture link is not valid")
    fields = json.loads(_unb64(body))
    link = CaptureLink(int(fields["s"]), str(fields["c"]), str(fields["u"]),
                       datetime.fromtimestamp(int(fields["e"]), tz=UTC), str(fields["n"]),
                       int(fields.get("a", 1)))
    if now >= link.expires_at:
        raise LinkExpiredError("this capture link has expired")
    return link
