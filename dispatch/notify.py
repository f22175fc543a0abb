"""Telling providers about offers: their own system by signed webhook, or an SMS with a link.

Both are Protocols with an in-repo fake beside the real adapter. SMS goes through the message
port (messaging/), which picks the gateway (Alibaba Cloud, Tencent Cloud or the telephony
port) and retries; ``LoggingSmsSender`` only logs the text it would send.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from typing import Protocol

import httpx

from dispatch.signing import SIGNATURE_HEADER, sign_body
from messaging import flows as messaging_flows
from messaging.port import Outgoing
from runtime.context import Runtime

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class OfferNotice:
    """What a provider is told about one offer."""

    provider_id: int
    channel: str
    phone: str
    webhook_url: str | None
    order_id: int
    offer_token: str
    service: str
    district: str
    urgency: str
    expires_at: str
    link: str
    # For people reading an SMS: the reply-by time on the centre's clock and the service's name.
    expires_local: str = ""
    service_name: str = ""


class ProviderNotifier(Protocol):
    async def send_offer(self, notice: OfferNotice) -> None: ...


class SmsSender(Protocol):
    async def send_sms(self, *, to: str, text: str,
                       params: tuple[tuple[str, str], ...] = ()) -> None: ...


class WebhookSecrets(Protocol):
    """Each provider's own webhook secret, or None when it has none (or it does not open)."""

    async def secret_of(self, provider_id: int) -> str | None: ...


@dataclass
class WebhookNotifier:
    """POSTs the offer as JSON to the provider's URL, signed with that provider's secret."""

    client: httpx.AsyncClient
    secrets: WebhookSecrets

    async def send_offer(self, notice: OfferNotice) -> None:
        if not notice.webhook_url:
            raise ValueError(f"provider {notice.provider_id} has no webhook URL")
        secret = await self.secrets.secret_of(notice.provider_id)
        if secret is None:
            raise ValueError(
                f"provider {notice.provider_id} has no webhook secret; issue one with "
                f"POST /api/v1/providers/{notice.provider_id}/webhook-secret")
        body = json.dumps({"type": "offer", **asdict(notice)}, ensure_ascii=False).encode()
        response = await self.client.post(
            notice.webhook_url,
            content=body,
            headers={
                "content-type": "application/json",
                SIGNATURE_HEADER: sign_body(body, secret=secret),
            },
        )
        response.raise_for_status()


@dataclass
class FakeNotifier:
    """Records offers instead of sending them (tests, demo)."""

    sent: list[OfferNotice] = field(default_factory=list)

    async def send_offer(self, notice: OfferNotice) -> None:
        self.sent.append(notice)


@dataclass
class LoggingSmsSender:
    """Stands in for the telephony domain's SMS port: logs and keeps what it would send."""

    sent: list[tuple[str, str]] = field(default_factory=list)

    async def send_sms(self, *, to: str, text: str,
                       params: tuple[tuple[str, str], ...] = ()) -> None:
        self.sent.append((to, text))
        log.info("SMS to %s: %s", to, text)


@dataclass
class MessagePortSmsSender:
    """Sends through the message port, as an SMS only (providers are not families)."""

    runtime: Runtime

    async def send_sms(self, *, to: str, text: str,
                       params: tuple[tuple[str, str], ...] = ()) -> None:
        await messaging_flows.send_now(self.runtime, Outgoing(
            to=to, text=text, template="provider_offer", purpose="provider_offer",
            params=params, wechat_ok=False))


def sms_text(notice: OfferNotice) -> str:
    return (
        f"【12349】新的服务订单 #{notice.order_id}"
        f"（{notice.service_name or notice.service}，{notice.district}），"
        f"请在 {notice.expires_local or notice.expires_at} 前回复：{notice.link}"
    )


def sms_params(notice: OfferNotice) -> tuple[tuple[str, str], ...]:
    """The offer's template values, in the order the text uses them."""
    return (("order", str(notice.order_id)), ("service", notice.service_name or notice.service),
            ("district", notice.district),
            ("expires", notice.expires_local or notice.expires_at), ("link", notice.link))


async def deliver_offer(notice: OfferNotice, *, webhook: ProviderNotifier, sms: SmsSender) -> None:
    """Send through the provider's channel; a failure is logged, the offer timer still runs."""
    try:
        if notice.channel == "webhook":
            await webhook.send_offer(notice)
        elif notice.phone:
            await sms.send_sms(to=notice.phone, text=sms_text(notice),
                               params=sms_params(notice))
    except (httpx.HTTPError, ValueError):
        log.warning(
            "could not notify provider %s of order %s",
            notice.provider_id,
            notice.order_id,
            exc_info=True,
        )
