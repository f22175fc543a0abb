"""A local stand-in for Tencent Cloud's SMS API (tests, demos): checks each SendSms request
the way the gateway does (TC3-HMAC-SHA256 recomputed over the headers the request says it
signed, credential scope and timestamp within five minutes, registered app, sign and
template) and answers in the API 3.0 JSON. Written from the documentation, not from our
adapter.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from messaging.fake_faults import Faults

SKEW_SECONDS = 300


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


@dataclass
class FakeTencentSms:
    """Accepts SendSms for one secret id; ``faults`` makes it answer 5xx or hold requests."""

    secret_id: str
    secret_key: str
    app_id: str
    sign_names: frozenset[str]
    templates: frozenset[str]
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    sent: list[dict[str, Any]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    faults: Faults = field(default_factory=Faults)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(2640))

    def app(self) -> FastAPI:
        application = FastAPI()
        application.add_api_route("/", self.handle, methods=["POST"])
        return application

    def _error(self, code: str, message: str) -> JSONResponse:
        self.refused.append(code)
        return JSONResponse({"Response": {"Error": {"Code": code, "Message": message},
                                          "RequestId": "fake-request"}})

    async def handle(self, request: Request) -> JSONResponse:
        failure = await self.faults.before_request()
        if failure is not None:
            return JSONResponse({"Response": {"Error": {"Code": "InternalError",
                                                        "Message": "busy"}}},
                                status_code=failure)
        body = await request.body()
        headers = {k.lower(): v for k, v in request.headers.items()}
        problem = self._signature_problem(headers, body)
        if problem is not None:
            return self._error(*problem)
        if headers.get("x-tc-action") != "SendSms" or headers.get("x-tc-version") != \
                "2021-01-11":
            return self._error("InvalidAction", "no such action for this version")
        return self._send(json.loads(body))

    def _signature_problem(self, headers: dict[str, str], body: bytes) -> tuple[str, str] | None:
        auth = headers.get("authorization", "")
        algorithm, _, rest = auth.partition(" ")
        fields = dict(part.strip().split("=", 1) for part in rest.split(",") if "=" in part)
        if algorithm != "TC3-HMAC-SHA256" or not {"Credential", "SignedHeaders",
                                                   "Signature"} <= fields.keys():
            return "AuthFailure.InvalidAuthorization", "Authorization is not valid"
        secret_id, day, service, terminator = (fields["Credential"].split("/") + ["", "", ""])[:4]
        if secret_id != self.secret_id:
            return "AuthFailure.SecretIdNotFound", "the SecretId is not found"
        timestamp = int(headers.get("x-tc-timestamp", "0") or 0)
        if abs(self.now().timestamp() - timestamp) > SKEW_SECONDS:
            return "AuthFailure.SignatureExpire", "signature expired"
        if day != datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d") \
                or service != "sms" or terminator != "tc3_request":
            return "AuthFailure.InvalidAuthorization", "credential scope is not valid"
        signed = fields["SignedHeaders"].split(";")
        if "content-type" not in signed or "host" not in signed:
            return "AuthFailure.InvalidAuthorization", "content-type and host must be signed"
        canonical_headers = "".join(f"{name}:{headers.get(name, '').strip().lower()}\n"
                                    for name in signed)
        canonical = "\n".join(["POST", "/", "", canonical_headers, fields["SignedHeaders"],
                               hashlib.sha256(body).hexdigest()])
        scope = f"{day}/sms/tc3_request"
        to_sign = "\n".join(["TC3-HMAC-SHA256", str(timestamp), scope,
                             hashlib.sha256(canonical.encode()).hexdigest()])
        key = _hmac(_hmac(_hmac(f"TC3{self.secret_key}".encode(), day), "sms"), "tc3_request")
        if not hmac.compare_digest(fields["Signature"], hmac.new(
                key, to_sign.encode(), hashlib.sha256).hexdigest()):
            return "AuthFailure.SignatureFailure", "The provided credentials could not be " \
                "validated."
        return None

    def _send(self, request: dict[str, Any]) -> JSONResponse:
        if request.get("SmsSdkAppId") != self.app_id:
            return self._error("FailedOperation.SmsSdkAppIdVerifyFail", "SdkAppId not found")
        if request.get("SignName") not in self.sign_names:
            return self._error("FailedOperation.SignatureIncorrectOrUnapproved", "sign name")
        if request.get("TemplateId") not in self.templates:
            return self._error("FailedOperation.TemplateIncorrectOrUnapproved", "template")
        statuses = []
        for phone in request.get("PhoneNumberSet", []):
            serial = f"3369:{next(self._ids)}"
            self.sent.append({**request, "PhoneNumber": phone, "SerialNo": serial})
            statuses.append({"SerialNo": serial, "PhoneNumber": phone, "Fee": 1,
                             "SessionContext": request.get("SessionContext", ""),
                             "Code": "Ok", "Message": "send success", "IsoCode": "CN"})
        return JSONResponse({"Response": {"SendStatusSet": statuses,
                                          "RequestId": "fake-request"}})

    def report(self, serial_no: str, *, delivered: bool) -> list[dict[str, Any]]:
        """A status-callback body for one message, as the gateway posts it."""
        sent = next(s for s in self.sent if s["SerialNo"] == serial_no)
        return [{"user_receive_time": self.now().strftime("%Y-%m-%d %H:%M:%S"),
                 "nationcode": "86", "mobile": str(sent["PhoneNumber"]).removeprefix("+86"),
                 "report_status": "SUCCESS" if delivered else "FAIL",
                 "errmsg": "DELIVRD" if delivered else "MI:0013",
                 "description": "用户短信送达成功" if delivered else "用户短信未送达",
                 "sid": serial_no}]
