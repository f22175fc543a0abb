"""The provider page behind a signed link, and signed webhooks to providers' own systems."""

from __future__ import annotations

import json
from dataclasses import dataclass

import httpx
import pytest

from dispatch.notify import FakeNotifier, LoggingSmsSender, OfferNotice, WebhookNotifier
from dispatch.signing import SIGNATURE_HEADER, body_signature_valid
from runtime.clock import ManualClock
from runtime.context import Runtime
from tests.dispatch.conftest import AddProvider, link_for
from tests.dispatch.steps import create_order, open_offers, order_of, timeline

Channels = tuple[FakeNotifier, LoggingSmsSender]


async def test_provider_accepts_and_completes_on_the_page(
    client: httpx.AsyncClient,
    runtime: Runtime,
    dispatcher: dict[str, str],
    senior_id: int,
    add_provider: AddProvider,
    channels: Channels,
) -> None:
    """The SMS link opens a phone page; accept, on my way, arrived, completed with a note."""
    await add_provider("张师傅")
    order_id = (await create_order(client, dispatcher, senior_id))["id"]
    _, sms = channels
    # ManualClock starts at 09:00 UTC: the same-day offer runs 3 minutes, to 17:03 in Hohhot.
    assert "助洁保洁" in sms.sent[0][1] and "请在 17:03 前回复" in sms.sent[0][1]
    path = sms.sent[0][1].split("http://127.0.0.1:8000", 1)[1].split()[0]
    page = await client.get(path)
    assert page.status_code == 200 and 'name="viewport"' in page.text
    assert 'data-action="accept"' in page.text
    token = next(iter((await open_offers(runtime, order_id)).values()))
    for action, note in (
        ("accept", ""),
        ("en_route", ""),
        ("arrive", ""),
        ("complete", "已打扫厨房"),
    ):
        answer = await client.post(
            path, data={"action": action, "offer_token": token, "note": note}, follow_redirects=True
        )
        assert answer.status_code == 200
        assert "已记录" in answer.text, answer.text
    order = await order_of(client, dispatcher, order_id)
    assert order["state"] == "completed" and order["completion_note"] == "已打扫厨房"


async def test_the_provider_page_speaks_local_time_and_words(
    client: httpx.AsyncClient,
    dispatcher: dict[str, str],
    senior_id: int,
    add_provider: AddProvider,
    channels: Channels,
) -> None:
    """Reply-by on the centre's clock (17:03, not 09:03 UTC) and the state in words."""
    await add_provider("张师傅")
    await create_order(client, dispatcher, senior_id)
    path = channels[1].sent[0][1].split("http://127.0.0.1:8000", 1)[1].split()[0]
    page = (await client.get(path)).text
    assert '<time id="reply-by">17:03</time>' in page
    assert "UTC" not in page
    assert ">待接单 Offered<" in page and ">offered<" not in page


async def test_a_bad_link_opens_a_page_in_words(
    client: httpx.AsyncClient,
    runtime: Runtime,
    dispatcher: dict[str, str],
    senior_id: int,
    add_provider: AddProvider,
) -> None:
    """A tampered link in the browser gets a 403 page saying what to do, not JSON."""
    provider = await add_provider("a")
    order_id = (await create_order(client, dispatcher, senior_id))["id"]
    link = link_for(runtime, provider_id=provider, order_id=order_id, hours=1)
    page = await client.get(f"/p/{link[:-1] + ('0' if link[-1] != '0' else '1')}")
    assert page.status_code == 403
    assert page.headers["content-type"].startswith("text/html")
    assert "链接无效或已过期" in page.text and "12349" in page.text
    assert '"detail"' not in page.text


@pytest.mark.parametrize("damage", ["tamper", "expire", "other_order"])
async def test_a_bad_link_is_refused_and_changes_nothing(
    damage: str,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: ManualClock,
    dispatcher: dict[str, str],
    senior_id: int,
    add_provider: AddProvider,
    channels: Channels,
) -> None:
    """A tampered, expired or re-pointed link answers 403 and the offer stays open."""
    provider = await add_provider("a")
    order_id = (await create_order(client, dispatcher, senior_id))["id"]
    offer_token = (await open_offers(runtime, order_id))[provider]
    link = link_for(runtime, provider_id=provider, order_id=order_id, hours=0.01)
    if damage == "tamper":
        link = link[:-1] + ("0" if link[-1] != "0" else "1")
    elif damage == "other_order":
        parts = link.split(".")
        link = ".".join([parts[0], str(order_id + 1), *parts[2:]])
    else:
        clock.advance(60)
    page = await client.get(f"/p/{link}")
    posted = await client.post(
        f"/p/{link}/actions", json={"action": "accept", "offer_token": offer_token}
    )
    form = await client.post(f"/p/{link}", data={"action": "accept", "offer_token": offer_token})
    assert (page.status_code, posted.status_code, form.status_code) == (403, 403, 403)
    assert "link" in posted.json()["detail"]
    assert (await order_of(client, dispatcher, order_id))["state"] == "offered"
    assert [t["to_state"] for t in await timeline(client, dispatcher, order_id)][-1] == "offered"


async def test_webhook_provider_gets_a_signed_offer(
    client: httpx.AsyncClient,
    runtime: Runtime,
    dispatcher: dict[str, str],
    senior_id: int,
    add_provider: AddProvider,
    channels: Channels,
) -> None:
    """A provider with its own system is told by webhook, not SMS, with the offer token."""
    provider = await add_provider(
        "firm", channel="webhook", webhook_url="https://93.184.216.34/anxin"
    )
    order_id = (await create_order(client, dispatcher, senior_id))["id"]
    webhook, sms = channels
    assert sms.sent == []
    (notice,) = webhook.sent
    assert (notice.provider_id, notice.order_id) == (provider, order_id)
    assert notice.offer_token == (await open_offers(runtime, order_id))[provider]


async def test_webhook_provider_answers_through_the_api(
    client: httpx.AsyncClient,
    runtime: Runtime,
    dispatcher: dict[str, str],
    senior_id: int,
    add_provider: AddProvider,
    channels: Channels,
) -> None:
    """A provider's own system takes the link and token from the webhook and reports accept,
    on my way (with its position), arrived and completed as JSON."""
    provider = await add_provider(
        "firm", channel="webhook", webhook_url="https://93.184.216.34/anxin"
    )
    order_id = (await create_order(client, dispatcher, senior_id))["id"]
    webhook, _ = channels
    (notice,) = webhook.sent
    actions_url = notice.link.split("http://127.0.0.1:8000", 1)[1] + "/actions"
    for body in (
        {"action": "accept", "offer_token": notice.offer_token},
        {"action": "en_route", "latitude": 40.86, "longitude": 111.67},
        {"action": "arrive"},
        {"action": "complete", "note": "done"},
    ):
        answer = await client.post(actions_url, json=body)
        assert answer.status_code == 200, answer.text
    order = await order_of(client, dispatcher, order_id)
    assert (order["state"], order["provider_id"]) == ("completed", provider)
    again = await client.post(
        actions_url, json={"action": "accept", "offer_token": notice.offer_token}
    )
    assert again.status_code == 409 and "already accepted" in again.json()["detail"]


@dataclass
class FixedSecrets:
    """Webhook secrets by provider id (the outer seam of the notifier)."""

    by_provider: dict[int, str]

    async def secret_of(self, provider_id: int) -> str | None:
        return self.by_provider.get(provider_id)


async def test_webhook_adapter_signs_the_body() -> None:
    """The HTTP adapter POSTs JSON whose HMAC signature the provider can check."""
    received: list[httpx.Request] = []

    def provider_system(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(204)

    async with httpx.AsyncClient(transport=httpx.MockTransport(provider_system)) as http:
        notifier = WebhookNotifier(http, FixedSecrets({1: "s" * 40}))
        await notifier.send_offer(
            OfferNotice(
                provider_id=1,
                channel="webhook",
                phone="",
                webhook_url="https://93.184.216.34/h",
                order_id=7,
                offer_token="abc",
                service="meals",
                district="新城区",
                urgency="urgent",
                expires_at="2026-01-05T09:01:00+00:00",
                link="http://x/p/t",
            )
        )
    (request,) = received
    assert json.loads(request.content)["order_id"] == 7
    assert body_signature_valid(request.content, request.headers[SIGNATURE_HEADER], secret="s" * 40)
    assert not body_signature_valid(
        request.content + b" ", request.headers[SIGNATURE_HEADER], secret="s" * 40
    )
