"""Alibaba Cloud SMS (Dysmsapi ``SendSms``, API version 2017-05-25) over its RPC HTTP API.

Signed as the RPC style's signature version 1.0 documents: the parameters sorted by name,
each name and value percent-encoded (RFC 3986), joined into the canonical query; the string
to sign is ``METHOD&%2F&`` plus the encoded canonical query; the signature is
base64(HMAC-SHA1(AccessKeySecret + "&", string to sign)). The official SDK pulls in a
large tea/darabonba stack for one call, so the request is made here with httpx.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

import httpx

from messaging.http_gateway import call_gateway
from messaging.port import Delivery, GatewayError
from runtime.clock import Clock

API_VERSION = "2017-05-25"
# Codes that a later attempt may get past: flow control and the gateway's own trouble.
TEMPORARY_CODES = frozenset({"isv.BUSINESS_LIMIT_CONTROL", "isp.SYSTEM_ERROR",
                             "Throttling.User", "ServiceUnavailable", "InternalError"})


def percent(value: str) -> str:
    """RFC 3986 encoding as Alibaba Cloud signs it (``~`` kept, space as %20)."""
    return quote(value, safe="~")


def string_to_sign(method: str, params: Mapping[str, str]) -> str:
    canonical = "&".join(f"{percent(k)}={percent(v)}" for k, v in sorted(params.items()))
    return f"{method}&{percent('/')}&{percent(canonical)}"


def signature(secret: str, method: str, params: Mapping[str, str]) -> str:
    digest = hmac.new(f"{secret}&".encode(), string_to_sign(method, params).encode(),
                      hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def timestamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class AliyunSms:
    """Sends registered templates with the centre's sign name."""

    client: httpx.AsyncClient
    clock: Clock
    endpoint: str
    access_key_id: str
    access_key_secret: str
    sign_name: str
    templates: Mapping[str, str]
    region: str = "cn-hangzhou"
    name: str = "aliyun"

    def params_for(self, delivery: Delivery) -> dict[str, str]:
        code = self.templates.get(delivery.template)
        if code is None:
            raise GatewayError(f"no Alibaba Cloud template code for {delivery.template!r} "
                               "(ANXIN_SMS_TEMPLATES)", temporary=False)
        return {
            "AccessKeyId": self.access_key_id, "Action": "SendSms", "Format": "JSON",
            "PhoneNumbers": delivery.address, "RegionId": self.region,
            "SignName": self.sign_name, "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": secrets.token_hex(16), "SignatureVersion": "1.0",
            "TemplateCode": code,
            "TemplateParam": json.dumps(dict(delivery.params), ensure_ascii=False),
            "Timestamp": timestamp(self.clock.now()), "Version": API_VERSION,
            "OutId": str(delivery.message_id),
        }

    async def deliver(self, delivery: Delivery) -> str:
        params = self.params_for(delivery)
        params["Signature"] = signature(self.access_key_secret, "POST", params)
        answer = await call_gateway(self.client, "POST", self.endpoint, data=params,
                                    who="Alibaba Cloud SMS")
        code = str(answer.get("Code", ""))
        if code != "OK" or not answer.get("BizId"):
            raise GatewayError(f"Alibaba Cloud SMS refused: {code} {answer.get('Message', '')}",
                               temporary=code in TEMPORARY_CODES)
        return str(answer["BizId"])
