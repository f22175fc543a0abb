"""Provider keys and links: each provider's own webhook secret (shown once, rotatable), and
links that act only on their own order and only once per step — over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select

from accounts import service as accounts_service
from accounts.models import AuditEntry
from accounts.roles import Role
from config.settings import Settings
from dashboard.app import create_app
from dispatch import offers, orders, service
from dispatch.events import Outbox
from dispatch.exceptions import InvalidTransition, OfferClosed
from dispatch.flows import StoredWebhookSecrets, dispatch_of
from dispatch.lifecycle import OrderEvent
from dispatch.models import Offer, OrderTransition, Provider
from dispatch.notify import LoggingSmsSender, WebhookNotifier
from dispatch.signing import SIGNATURE_HEADER, body_signature_valid
from runtime.clock import ManualClock
from tests.conftest import TEST_PASSWORD, LiveServer, serve
from tests.dispatch.conftest import SENIOR_AT, link_for
from tests.dispatch.steps import open_offers
from tests.seniors.test_api import senior_body


@pytest.fixture
async def server(settings: Settings, clock: ManualClock) -> AsyncIterator[LiveServer]:
    async for running in serve(create_app(settings, clock=clock)):
        dispatch_of(running.runtime).sms = LoggingSmsSender()
        yield running


@pytest.fixture
async def staff(server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    """A supervisor's HTTP client (seniors and dispatch) against the live server."""
    runtime = server.runtime
    async with runtime.sessions() as session:
        await accounts_service.create_user(session, username="d1", display_name="D",
                                           role=Role.SUPERVISOR, password=TEST_PASSWORD,
                                           now=runtime.clock.now())
        await session.commit()
    async with httpx.AsyncClient(base_url=server.url) as client:
        login = await client.post("/api/v1/auth/login",
                                  json={"username": "d1", "password": TEST_PASSWORD})
        client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        yield client


async def add_senior(staff: httpx.AsyncClient) -> int:
    created = await staff.post("/api/v1/seniors", json=senior_body(
        latitude=SENIOR_AT[0], longitude=SENIOR_AT[1]))
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


async def add_provider(staff: httpx.AsyncClient, name: str, **fields: object) -> dict[str, object]:
    body: dict[str, object] = {
        "name": name, "phone": "13800000000", "services": ["cleaning", "meals"],
        "districts": ["新城区"], "work_start_minute": 0, "work_end_minute": 0, "capacity": 3,
        "channel": "sms", "latitude": SENIOR_AT[0] + 0.01, "longitude": SENIOR_AT[1], **fields}
    created = await staff.post("/api/v1/providers", json=body)
    assert created.status_code == 201, created.text
    result: dict[str, object] = created.json()
    return result


async def new_order(staff: httpx.AsyncClient, senior_id: int) -> int:
    created = await staff.post("/api/v1/orders", json={
        "senior_id": senior_id, "service": "cleaning", "urgency": "same_day"})
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


async def test_each_provider_signs_with_its_own_secret_shown_once_and_rotatable(
        server: LiveServer, staff: httpx.AsyncClient) -> None:
    """Webhooks verify with the provider's secret (not the installation's); a rotation
    replaces it, is audited, and the secret is never shown again."""
    runtime = server.runtime
    received: list[httpx.Request] = []

    def provider_system(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(204)

    async with httpx.AsyncClient(transport=httpx.MockTransport(provider_system)) as outbound:
        dispatch_of(runtime).webhook = WebhookNotifier(outbound, StoredWebhookSecrets(
            runtime.sessions, dispatch_of(runtime).policy.webhook_secret_key))
        senior_id = await add_senior(staff)
        firm = await add_provider(staff, "firm", channel="webhook",
                                  webhook_url="https://93.184.216.34/anxin")
        other = await add_provider(staff, "other", latitude=SENIOR_AT[0] + 0.5)
        first_secret = str(firm["webhook_secret"])
        assert first_secret != other["webhook_secret"]
        shown = (await staff.get(f"/api/v1/providers/{firm['id']}")).json()
        assert "webhook_secret" not in shown and shown["webhook_secret_set"] is True
        await new_order(staff, senior_id)
        rotated = await staff.post(f"/api/v1/providers/{firm['id']}/webhook-secret")
        assert rotated.status_code == 200, rotated.text
        second_secret = rotated.json()["webhook_secret"]
        await new_order(staff, senior_id)
    assert len(received) == 2
    before, after = received
    installation = runtime.settings.secret()
    assert body_signature_valid(before.content, before.headers[SIGNATURE_HEADER],
                                secret=first_secret)
    assert not body_signature_valid(before.content, before.headers[SIGNATURE_HEADER],
                                    secret=installation)
    assert body_signature_valid(after.content, after.headers[SIGNATURE_HEADER],
                                secret=second_secret)
    assert not body_signature_valid(after.content, after.headers[SIGNATURE_HEADER],
                                    secret=first_secret)
    async with runtime.sessions() as session:
        audited = await session.scalar(select(AuditEntry).where(
            AuditEntry.action == "dispatch.webhook_secret_rotated"))
        row = await session.get(Provider, firm["id"])
    assert audited is not None and audited.subject_id == str(firm["id"])
    assert row is not None and row.webhook_secret_sealed is not None
    assert second_secret.encode() not in row.webhook_secret_sealed


async def test_a_link_for_one_order_cannot_accept_another(
        server: LiveServer, staff: httpx.AsyncClient) -> None:
    """With order A's link and order B's offer token, B is not accepted and its offer stays."""
    runtime = server.runtime
    senior_id = await add_senior(staff)
    provider = int(str((await add_provider(staff, "p"))["id"]))
    order_a, order_b = await new_order(staff, senior_id), await new_order(staff, senior_id)
    token_b = (await open_offers(runtime, order_b))[provider]
    link_a = link_for(runtime, provider_id=provider, order_id=order_a)
    async with httpx.AsyncClient(base_url=server.url) as phone:
        crossed = await phone.post(f"/p/{link_a}/actions",
                                   json={"action": "accept", "offer_token": token_b})
        declined = await phone.post(f"/p/{link_a}/actions",
                                    json={"action": "decline", "offer_token": token_b})
    assert crossed.status_code == 409 and "this order" in crossed.json()["detail"]
    assert declined.status_code == 409
    assert (await open_offers(runtime, order_b)) == {provider: token_b}
    assert (await staff.get(f"/api/v1/orders/{order_b}")).json()["state"] == "offered"


async def test_a_step_replayed_by_another_instance_is_taken_once(
        server: LiveServer, staff: httpx.AsyncClient) -> None:
    """An instance that read the order (or offer) before the provider's report over HTTP
    landed cannot take the same step again: completion and decline-vs-expiry count once."""
    runtime = server.runtime
    policy = dispatch_of(runtime).policy
    senior_id = await add_senior(staff)
    provider = int(str((await add_provider(staff, "p"))["id"]))
    await add_provider(staff, "q", latitude=SENIOR_AT[0] + 0.3)
    order_id = await new_order(staff, senior_id)
    token = (await open_offers(runtime, order_id))[provider]
    link = link_for(runtime, provider_id=provider, order_id=order_id)
    async with httpx.AsyncClient(base_url=server.url) as phone:

        async def report(action: str, offer_token: str = "") -> int:
            answer = await phone.post(f"/p/{link}/actions",
                                      json={"action": action, "offer_token": offer_token})
            return answer.status_code

        assert [await report("accept", token), await report("arrive")] == [200, 200]
        async with runtime.sessions() as other:
            order = await orders.get_order(other, order_id)  # read before the report lands
            assert await report("complete") == 200
            with pytest.raises(InvalidTransition, match="that is completed"):
                await service.provider_step(
                    other, order=order, provider_id=provider, event=OrderEvent.COMPLETE,
                    note="", policy=policy, now=runtime.clock.now(), outbox=Outbox())
        assert await report("complete") == 409  # and a plain replay, too
        declined = await new_order(staff, senior_id)
        offer_token = (await open_offers(runtime, declined))[provider]
        link = link_for(runtime, provider_id=provider, order_id=declined)
        async with runtime.sessions() as other:
            offer = await other.scalar(select(Offer).where(Offer.token == offer_token))
            assert offer is not None
            assert await report("decline", offer_token) == 200
            with pytest.raises(OfferClosed, match="already declined"):
                await offers.close_offer(other, offer, outcome="expired", policy=policy,
                                         now=runtime.clock.now(), actor="system",
                                         outbox=Outbox())
    async with runtime.sessions() as session:
        steps = list(await session.scalars(select(OrderTransition.event).where(
            OrderTransition.order_id.in_((order_id, declined)))))
        row = await session.get(Provider, provider)
    assert steps.count("complete") == 1 and steps.count("decline") == 1
    assert "offer_expired" not in steps
    assert row is not None and (row.jobs_completed, row.active_jobs) == (1, 0)
