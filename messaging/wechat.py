"""WeChat official account: template messages to bound families, and the OAuth exchange
that tells us a family member's openid when they open the binding link in WeChat.

The access token (``cgi-bin/token``, valid ``expires_in`` seconds) is cached and fetched
again a few minutes early, or at once when WeChat says it expired or is invalid (40001,
40014, 42001); only one fetch runs at a time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx

from messaging.http_gateway import call_gateway
from messaging.port import Delivery, GatewayError
from runtime.clock import Clock

TOKEN_MARGIN = timedelta(minutes=5)
STALE_TOKEN_CODES = frozenset({40001, 40014, 42001})
BUSY_CODES = frozenset({-1, 45009, 45047})  # system busy, API rate limits


@dataclass
class WechatAccount:
    """The official account's API: token cache, template messages, OAuth code exchange."""

    client: httpx.AsyncClient
    clock: Clock
    app_id: str
    app_secret: str
    templates: Mapping[str, str]
    api_base: str = "https://api.weixin.qq.com"
    oauth_base: str = "https://open.weixin.qq.com"
    name: str = "wechat"
    _token: str | None = None
    _token_until: datetime | None = None
    _token_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def can_send(self, template: str) -> bool:
        return template in self.templates

    async def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        answer = await call_gateway(self.client, method, f"{self.api_base}{path}", who="WeChat",
                                    **kwargs)
        if not isinstance(answer, dict):
            raise GatewayError("WeChat answered no JSON object", temporary=True)
        return answer

    async def access_token(self, *, refresh: bool = False) -> str:
        async with self._token_lock:
            now = self.clock.now()
            if not refresh and self._token and self._token_until and now < self._token_until:
                return self._token
            answer = await self._call("GET", "/cgi-bin/token", params={
                "grant_type": "client_credential", "appid": self.app_id,
                "secret": self.app_secret})
            if "access_token" not in answer:
                raise GatewayError(f"WeChat gave no access token: {answer.get('errcode')} "
                                   f"{answer.get('errmsg', '')}",
                                   temporary=answer.get("errcode") in BUSY_CODES)
            self._token = str(answer["access_token"])
            lifetime = timedelta(seconds=int(answer.get("expires_in", 7200)))
            self._token_until = now + lifetime - TOKEN_MARGIN
            return self._token

    async def deliver(self, delivery: Delivery) -> str:
        template_id = self.templates.get(delivery.template)
        if template_id is None:
            raise GatewayError(f"no WeChat template for {delivery.template!r}",
                               temporary=False)
        data = {"text": {"value": delivery.text}} | {
            key: {"value": value} for key, value in delivery.params}
        body = {"touser": delivery.address, "template_id": template_id, "data": data}
        answer = await self._send(body, refresh=False)
        if answer.get("errcode") in STALE_TOKEN_CODES:
            answer = await self._send(body, refresh=True)
        code = answer.get("errcode", 0)
        if code != 0 or "msgid" not in answer:
            raise GatewayError(f"WeChat refused: {code} {answer.get('errmsg', '')}",
                               temporary=code in BUSY_CODES)
        return str(answer["msgid"])

    async def _send(self, body: dict[str, Any], *, refresh: bool) -> dict[str, Any]:
        token = await self.access_token(refresh=refresh)
        return await self._call("POST", "/cgi-bin/message/template/send",
                                params={"access_token": token}, json=body)

    def authorize_url(self, *, redirect_uri: str, state: str) -> str:
        """Where WeChat's browser asks the user (silently, snsapi_base) who they are."""
        query = urlencode({"appid": self.app_id, "redirect_uri": redirect_uri,
                           "response_type": "code", "scope": "snsapi_base", "state": state})
        return f"{self.oauth_base}/connect/oauth2/authorize?{query}#wechat_redirect"

    async def openid_for(self, code: str) -> str:
        """Exchange the OAuth code WeChat handed back for the user's openid."""
        answer = await self._call("GET", "/sns/oauth2/access_token", params={
            "appid": self.app_id, "secret": self.app_secret, "code": code,
            "grant_type": "authorization_code"})
        if "openid" not in answer:
            raise GatewayError(f"WeChat refused the code: {answer.get('errcode')} "
                               f"{answer.get('errmsg', '')}", temporary=False)
        return str(answer["openid"])
