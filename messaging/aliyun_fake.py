"""A local stand-in for Alibaba Cloud's SMS API (tests, demos): checks each SendSms request
the way the gateway does (signature version 1.0 recomputed from the parameters, nonce used
once, timestamp within 15 minutes, registered sign name and template) and answers in the
gateway's JSON. Written from the documentation, not from our adapter, so one cannot hide
the other's mistake.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from messaging.fake_faults import Faults

UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")
SKEW = timedelta(minutes=15)


def encode(text: str) -> str:
    """Alibaba Cloud's percent-encoding: unreserved bytes kept, every other UTF-8 byte %XX."""
    return "".join(chr(b) if b in UNRESERVED else f"%{b:02X}" for b in text.encode())


@dataclass
class FakeAliyunSms:
    """Accepts SendSms for one access key; ``faults`` makes it answer 5xx or hold requests."""

    access_key_id: str
    access_key_secret: str
    sign_names: frozenset[str]
    templates: frozenset[str]
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    sent: list[dict[str, str]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    faults: Faults = field(default_factory=Faults)
    _nonces: set[str] = field(default_factory=set)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(900619746936))

    def app(self) -> FastAPI:
        application = FastAPI()
        application.add_api_route("/", self.handle, methods=["POST"])
        return application

    def _error(self, status: int, code: str, message: str) -> JSONResponse:
        self.refused.append(code)
        return JSONResponse({"RequestId": "F4A3C2B1-FAKE", "HostId": "dysmsapi.aliyuncs.com",
                             "Code": code, "Message": message}, status_code=status)

    async def handle(self, request: Request) -> JSONResponse:
        failure = await self.faults.before_request()
        if failure is not None:
            return self._error(failure, "ServiceUnavailable",
                               "The request has failed due to a temporary failure of the server.")
        params = {k: str(v) for k, v in (await request.form()).items()}
        return self._checked(params) or self._accept(params)

    def _checked(self, params: dict[str, str]) -> JSONResponse | None:
        required = ("AccessKeyId", "Action", "PhoneNumbers", "SignName", "TemplateCode",
                    "Signature", "SignatureMethod", "SignatureNonce", "SignatureVersion",
                    "Timestamp", "Version", "Format", "RegionId")
        missing = [name for name in required if not params.get(name)]
        if missing:
            return self._error(400, "MissingParameter", f"{missing[0]} is mandatory")
        if params["AccessKeyId"] != self.access_key_id:
            return self._error(404, "InvalidAccessKeyId.NotFound", "Specified access key is "
                               "not found.")
        if (params["SignatureMethod"], params["SignatureVersion"]) != ("HMAC-SHA1", "1.0"):
            return self._error(400, "InvalidSignatureMethod", "unsupported signature method")
        if params["Signature"] != self.expected_signature(params):
            return self._error(400, "SignatureDoesNotMatch", "Specified signature is not "
                               "matched with our calculation.")
        at = datetime.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        if abs(self.now() - at) > SKEW:
            return self._error(400, "InvalidTimeStamp.Expired", "Specified time stamp or date "
                               "value is expired.")
        if params["SignatureNonce"] in self._nonces:
            return self._error(400, "SignatureNonceUsed", "Specified signature nonce was used "
                               "already.")
        self._nonces.add(params["SignatureNonce"])
        if params["Action"] != "SendSms" or params["Version"] != "2017-05-25":
            return self._error(400, "InvalidAction.NotFound", "Specified api is not found")
        if params["SignName"] not in self.sign_names:
            return JSONResponse(self._refusal("isv.SMS_SIGNATURE_ILLEGAL", "签名不合法"))
        if params["TemplateCode"] not in self.templates:
            return JSONResponse(self._refusal("isv.SMS_TEMPLATE_ILLEGAL", "模板不合法"))
        return None

    def _refusal(self, code: str, message: str) -> dict[str, Any]:
        self.refused.append(code)
        return {"RequestId": "F4A3C2B1-FAKE", "Code": code, "Message": message}

    def expected_signature(self, params: dict[str, str]) -> str:
        pairs = sorted((k, v) for k, v in params.items() if k != "Signature")
        query = "&".join(f"{encode(k)}={encode(v)}" for k, v in pairs)
        text = f"POST&{encode('/')}&{encode(query)}"
        key = f"{self.access_key_secret}&".encode()
        return base64.b64encode(hmac.new(key, text.encode(), hashlib.sha1).digest()).decode()

    def _accept(self, params: dict[str, str]) -> JSONResponse:
        biz_id = f"{next(self._ids)}^0"
        self.sent.append({**params, "BizId": biz_id})
        return JSONResponse({"Message": "OK", "RequestId": "F4A3C2B1-FAKE", "BizId": biz_id,
                             "Code": "OK"})

    def report(self, biz_id: str, *, delivered: bool) -> list[dict[str, Any]]:
        """An SmsReport push body for one message, as the gateway sends it."""
        sent = next(s for s in self.sent if s["BizId"] == biz_id)
        stamp = self.now().astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
        return [{"phone_number": sent["PhoneNumbers"], "send_time": stamp,
                 "report_time": stamp, "success": delivered,
                 "err_code": "DELIVERED" if delivered else "MK:0001",
                 "err_msg": "用户接收成功" if delivered else "用户未接收", "sms_size": "1",
                 "biz_id": biz_id, "out_id": sent.get("OutId", "")}]
