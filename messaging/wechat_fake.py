"""A local stand-in for the WeChat official-account API and its OAuth page (tests, demos):
access tokens that expire (42001) or are replaced (40001), template messages only to known
followers with known templates, OAuth codes that are good once (40163), answered in
WeChat's JSON. ``/connect/oauth2/authorize`` plays WeChat's browser: it sends the user back
to ``redirect_uri`` with a code for ``current_openid``.
"""

from __future__ import annotations

import hashlib
import itertools
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse


@dataclass
class FakeWechat:
    app_id: str
    app_secret: str
    templates: frozenset[str]
    followers: set[str] = field(default_factory=set)
    current_openid: str = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"
    token_seconds: int = 7200
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    sent: list[dict[str, Any]] = field(default_factory=list)
    tokens_issued: int = 0
    fail_next: list[int] = field(default_factory=list)
    _tokens: dict[str, datetime] = field(default_factory=dict)
    _codes: dict[str, str] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(200228332))

    def app(self) -> FastAPI:
        application = FastAPI()
        application.add_api_route("/cgi-bin/token", self.token, methods=["GET"])
        application.add_api_route("/cgi-bin/message/template/send", self.template_send,
                                  methods=["POST"])
        application.add_api_route("/sns/oauth2/access_token", self.oauth_token,
                                  methods=["GET"])
        application.add_api_route("/connect/oauth2/authorize", self.authorize,
                                  methods=["GET"])
        return application

    def expire_tokens(self) -> None:
        """As if every token had run out (WeChat then answers 42001)."""
        self._tokens = {token: self.now() - timedelta(seconds=1) for token in self._tokens}

    @staticmethod
    def _err(code: int, message: str) -> JSONResponse:
        return JSONResponse({"errcode": code, "errmsg": message})

    async def token(self, grant_type: str = "", appid: str = "",
                    secret: str = "") -> JSONResponse:
        if grant_type != "client_credential":
            return self._err(40002, "invalid grant_type")
        if appid != self.app_id:
            return self._err(40013, "invalid appid")
        if secret != self.app_secret:
            return self._err(40125, "invalid appsecret")
        token = secrets.token_urlsafe(32)
        self._tokens[token] = self.now() + timedelta(seconds=self.token_seconds)
        self.tokens_issued += 1
        return JSONResponse({"access_token": token, "expires_in": self.token_seconds})

    async def template_send(self, request: Request, access_token: str = "") -> JSONResponse:
        if self.fail_next:
            return JSONResponse({"errcode": -1, "errmsg": "system error"},
                                status_code=self.fail_next.pop(0))
        until = self._tokens.get(access_token)
        if until is None:
            return self._err(40001, "invalid credential, access_token is invalid or not latest")
        if until <= self.now():
            return self._err(42001, "access_token expired")
        body = await request.json()
        if body.get("touser") not in self.followers:
            return self._err(43004, "require subscribe")
        if body.get("template_id") not in self.templates:
            return self._err(40037, "invalid template_id")
        msgid = next(self._ids)
        self.sent.append({**body, "msgid": msgid})
        return JSONResponse({"errcode": 0, "errmsg": "ok", "msgid": msgid})

    async def authorize(self, appid: str = "", redirect_uri: str = "", response_type: str = "",
                        scope: str = "", state: str = "") -> Any:
        if appid != self.app_id or response_type != "code" or scope not in (
                "snsapi_base", "snsapi_userinfo") or not redirect_uri:
            return self._err(10003, "redirect_uri or parameters are not valid")
        code = secrets.token_urlsafe(16)
        self._codes[code] = self.current_openid
        self.followers.add(self.current_openid)
        return RedirectResponse(f"{redirect_uri}?{urlencode({'code': code, 'state': state})}",
                                status_code=302)

    async def oauth_token(self, appid: str = "", secret: str = "", code: str = "",
                          grant_type: str = "") -> JSONResponse:
        if appid != self.app_id or secret != self.app_secret:
            return self._err(40125, "invalid appsecret")
        if grant_type != "authorization_code":
            return self._err(40002, "invalid grant_type")
        openid = self._codes.pop(code, None)
        if openid is None:
            return self._err(40163, "code been used or is not valid")
        return JSONResponse({"access_token": secrets.token_urlsafe(24), "expires_in": 7200,
                             "refresh_token": secrets.token_urlsafe(24), "openid": openid,
                             "scope": "snsapi_base"})

    def report_push(self, msgid: int, *, token: str, delivered: bool,
                    timestamp: str = "1767600000", nonce: str = "8730212") -> tuple[
                        dict[str, str], bytes]:
        """The query and XML body of WeChat's TEMPLATESENDJOBFINISH push for one message."""
        signature = hashlib.sha1("".join(sorted((token, timestamp, nonce))).encode())
        status = "success" if delivered else "failed:user block"
        body = (f"<xml><ToUserName><![CDATA[gh_fake]]></ToUserName>"
                f"<FromUserName><![CDATA[{self.current_openid}]]></FromUserName>"
                f"<CreateTime>{timestamp}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
                f"<Event><![CDATA[TEMPLATESENDJOBFINISH]]></Event><MsgID>{msgid}</MsgID>"
                f"<Status><![CDATA[{status}]]></Status></xml>")
        return ({"signature": signature.hexdigest(), "timestamp": timestamp, "nonce": nonce},
                body.encode())
