"""Tencent Cloud SMS (``SendSms``, API version 2021-01-11) signed with TC3-HMAC-SHA256.

The canonical request is method, ``/``, empty query, the signed headers (content-type and
host) and the hex SHA-256 of the body; the string to sign is the algorithm, the timestamp,
the credential scope ``date/sms/tc3_request`` and the hex SHA-256 of the canonical request;
the key is HMAC-SHA256 chained over ``"TC3" + SecretKey`` → date → ``sms`` → ``tc3_request``.
The official SDK is large and synchronous, so the request is made here with httpx.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from messaging.http_gateway import call_gateway
from messaging.port import Delivery, GatewayError
from runtime.clock import Clock

API_VERSION = "2021-01-11"
SERVICE = "sms"
ALGORITHM = "TC3-HMAC-SHA256"
CONTENT_TYPE = "application/json; charset=utf-8"
TEMPORARY_PREFIXES = ("InternalError", "RequestLimitExceeded", "LimitExceeded",
                      "ResourceUnavailable")


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def canonical_request(*, host: str, body: bytes, content_type: str = CONTENT_TYPE) -> str:
    return (f"POST\n/\n\ncontent-type:{content_type}\nhost:{host}\n\ncontent-type;host\n"
            f"{hashlib.sha256(body).hexdigest()}")


def tc3_signature(secret_key: str, *, timestamp: int, host: str, body: bytes,
                  content_type: str = CONTENT_TYPE) -> str:
    day = datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%d")
    scope = f"{day}/{SERVICE}/tc3_request"
    request = canonical_request(host=host, body=body, content_type=content_type)
    to_sign = (f"{ALGORITHM}\n{timestamp}\n{scope}\n"
               f"{hashlib.sha256(request.encode()).hexdigest()}")
    key = _hmac(_hmac(_hmac(f"TC3{secret_key}".encode(), day), SERVICE), "tc3_request")
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def authorization(secret_id: str, secret_key: str, *, timestamp: int, host: str,
                  body: bytes) -> str:
    day = datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%d")
    sig = tc3_signature(secret_key, timestamp=timestamp, host=host, body=body)
    return (f"{ALGORITHM} Credential={secret_id}/{day}/{SERVICE}/tc3_request, "
            f"SignedHeaders=content-type;host, Signature={sig}")


@dataclass
class TencentSms:
    """Sends registered templates from the centre's SMS application with its sign name."""

    client: httpx.AsyncClient
    clock: Clock
    endpoint: str
    secret_id: str
    secret_key: str
    app_id: str
    sign_name: str
    templates: Mapping[str, str]
    region: str = "ap-guangzhou"
    name: str = "tencent"

    def body_for(self, delivery: Delivery) -> bytes:
        template_id = self.templates.get(delivery.template)
        if template_id is None:
            raise GatewayError(f"no Tencent Cloud template id for {delivery.template!r} "
                               "(ANXIN_SMS_TEMPLATES)", temporary=False)
        return json.dumps({
            "PhoneNumberSet": [delivery.address], "SmsSdkAppId": self.app_id,
            "SignName": self.sign_name, "TemplateId": template_id,
            "TemplateParamSet": [value for _, value in delivery.params],
            "SessionContext": str(delivery.message_id),
        }, ensure_ascii=False).encode()

    async def deliver(self, delivery: Delivery) -> str:
        body = self.body_for(delivery)
        host = urlsplit(self.endpoint).netloc
        now = int(self.clock.now().timestamp())
        headers = {
            "Content-Type": CONTENT_TYPE, "Host": host, "X-TC-Action": "SendSms",
            "X-TC-Timestamp": str(now), "X-TC-Version": API_VERSION, "X-TC-Region": self.region,
            "Authorization": authorization(self.secret_id, self.secret_key, timestamp=now,
                                           host=host, body=body),
        }
        reply = await call_gateway(self.client, "POST", self.endpoint, content=body,
                                   headers=headers, who="Tencent Cloud SMS")
        return _serial_no(reply)


def _serial_no(reply: Any) -> str:
    try:
        answer = reply["Response"]
    except (KeyError, TypeError) as error:
        raise GatewayError("Tencent Cloud SMS answered no Response", temporary=True) from error
    refused = answer.get("Error")
    if refused:
        code = str(refused.get("Code", ""))
        raise GatewayError(f"Tencent Cloud SMS refused: {code} {refused.get('Message', '')}",
                           temporary=code.startswith(TEMPORARY_PREFIXES))
    status = (answer.get("SendStatusSet") or [{}])[0]
    if status.get("Code") != "Ok" or not status.get("SerialNo"):
        code = str(status.get("Code", ""))
        raise GatewayError(f"Tencent Cloud SMS refused: {code} {status.get('Message', '')}",
                           temporary=code.startswith(TEMPORARY_PREFIXES))
    return str(status["SerialNo"])
