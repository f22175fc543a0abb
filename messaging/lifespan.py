"""The message port's resources: the configured SMS gateway, WeChat, and one HTTP client."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any

import httpx
from fastapi import Depends

from callcenter.lifespan import CALLCENTER, callcenter_of
from config.exceptions import InsecureSettingsError
from config.keys import Purpose, purpose_key
from config.settings import Settings
from messaging.aliyun import AliyunSms
from messaging.port import MessageGateway
from messaging.telephony_sms import TelephonySms
from messaging.tencent import TencentSms
from messaging.wechat import WechatAccount
from runtime.context import Runtime
from runtime.deps import part_dependency
from runtime.parts import Part
from runtime.tasks import SpawnedTasks

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MessagingRuntime:
    """The gateways by name, the retry pauses, and the attempts running after commits."""

    sms: MessageGateway
    wechat: WechatAccount | None
    retry_seconds: tuple[float, ...]
    hold_seconds: float
    link_key: bytes
    receipt_key: bytes
    attempts: SpawnedTasks = field(default_factory=lambda: SpawnedTasks("message attempt"))

    def gateway(self, name: str) -> MessageGateway | None:
        found: MessageGateway | None = self.wechat if name == "wechat" else None
        return found or (self.sms if self.sms.name == name else None)

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        self.attempts.spawn(work)

    async def drain(self) -> None:
        """Wait until every spawned attempt (and any fallback it spawned) has finished."""
        await self.attempts.drain()


def _need(settings: Settings, choice: str, names: tuple[str, ...]) -> None:
    missing = [f"ANXIN_{n.upper()}" for n in names if not getattr(settings, n)]
    if missing:
        raise InsecureSettingsError(f"ANXIN_SMS={choice} needs {', '.join(missing)}")


def build_sms(runtime: Runtime, client: httpx.AsyncClient) -> MessageGateway:
    s = runtime.settings
    if s.sms == "aliyun":
        _need(s, "aliyun", ("aliyun_access_key_id", "aliyun_access_key_secret",
                            "aliyun_sms_sign_name"))
        assert s.aliyun_access_key_id and s.aliyun_access_key_secret and s.aliyun_sms_sign_name
        return AliyunSms(client=client, clock=runtime.clock, endpoint=s.aliyun_sms_endpoint,
                         access_key_id=s.aliyun_access_key_id,
                         access_key_secret=s.aliyun_access_key_secret.get_secret_value(),
                         sign_name=s.aliyun_sms_sign_name, templates=s.sms_templates,
                         region=s.aliyun_sms_region)
    if s.sms == "tencent":
        _need(s, "tencent", ("tencent_secret_id", "tencent_secret_key", "tencent_sms_app_id",
                             "tencent_sms_sign_name"))
        assert s.tencent_secret_id and s.tencent_secret_key and s.tencent_sms_app_id
        assert s.tencent_sms_sign_name
        return TencentSms(client=client, clock=runtime.clock, endpoint=s.tencent_sms_endpoint,
                          secret_id=s.tencent_secret_id,
                          secret_key=s.tencent_secret_key.get_secret_value(),
                          app_id=s.tencent_sms_app_id, sign_name=s.tencent_sms_sign_name,
                          templates=s.sms_templates, region=s.tencent_sms_region)
    return TelephonySms(callcenter_of(runtime).provider)


def build_wechat(runtime: Runtime, client: httpx.AsyncClient) -> WechatAccount | None:
    s = runtime.settings
    if not s.wechat_app_id:
        return None
    if s.wechat_app_secret is None or not s.public_base_url:
        raise InsecureSettingsError(
            "ANXIN_WECHAT_APP_ID needs ANXIN_WECHAT_APP_SECRET and ANXIN_PUBLIC_BASE_URL")
    return WechatAccount(client=client, clock=runtime.clock, app_id=s.wechat_app_id,
                         app_secret=s.wechat_app_secret.get_secret_value(),
                         templates=s.wechat_templates, api_base=s.wechat_api_base,
                         oauth_base=s.wechat_oauth_base)


@asynccontextmanager
async def open_messaging(runtime: Runtime) -> AsyncIterator[MessagingRuntime]:
    """Open the gateways' HTTP client; on the way out, let attempts in flight finish."""
    settings = runtime.settings
    timeout = settings.message_timeout_seconds
    async with httpx.AsyncClient(timeout=timeout) as client:
        messaging = MessagingRuntime(
            sms=build_sms(runtime, client), wechat=build_wechat(runtime, client),
            retry_seconds=tuple(settings.message_retry_seconds), hold_seconds=timeout * 3,
            link_key=purpose_key(settings, Purpose.WECHAT_LINKS),
            receipt_key=purpose_key(settings, Purpose.MESSAGE_RECEIPTS))
        try:
            yield messaging
        finally:
            await messaging.drain()


# ANXIN_SMS=telephony sends texts through the call centre's phone network.
MESSAGING = Part("messaging", open_messaging, needs=(CALLCENTER,))
MessagingDep = Annotated[MessagingRuntime, Depends(part_dependency(MESSAGING))]


def messaging_of(runtime: Runtime) -> MessagingRuntime:
    return runtime.part(MESSAGING)
