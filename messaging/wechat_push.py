"""What WeChat pushes to the official account's server URL: checked as WeChat documents it
(``signature`` = SHA-1 of the sorted token, timestamp and nonce), then read. Only the
template-message delivery report (``TEMPLATESENDJOBFINISH``) is of interest here."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from xml.etree import ElementTree


def push_signature(token: str, timestamp: str, nonce: str) -> str:
    return hashlib.sha1("".join(sorted((token, timestamp, nonce))).encode()).hexdigest()


def signed_by_wechat(token: str, *, signature: str, timestamp: str, nonce: str) -> bool:
    return hmac.compare_digest(signature, push_signature(token, timestamp, nonce))


@dataclass(frozen=True, slots=True)
class TemplateReport:
    msgid: str
    delivered: bool
    status: str  # success | failed:user block | failed: system failed


def template_report(body: bytes) -> TemplateReport | None:
    """The delivery report in a push, or None for any other push (or a body we cannot read)."""
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return None
    if root.findtext("Event") != "TEMPLATESENDJOBFINISH":
        return None
    msgid, status = root.findtext("MsgID") or "", root.findtext("Status") or ""
    if not msgid:
        return None
    return TemplateReport(msgid=msgid.strip(), delivered=status.strip() == "success",
                          status=status.strip())
