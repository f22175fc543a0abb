"""SMS through Alibaba Cloud: signed as the gateway checks it, retried on 5xx and timeouts,
failed (and shown on the incident) when it never goes out, receipts stored."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr

from accounts.roles import Role
from config.settings import Settings
from messaging import flows
from messaging.aliyun_fake import FakeAliyunSms
from messaging.lifespan import messaging_of
from messaging.links import receipt_token
from messaging.port import Outgoing
from runtime.bus import BusEvent
from runtime.clock import ManualClock
from runtime.context import Runtime
from tests.callcenter.conftest import SON_PHONE
from tests.conftest import LiveServer, LoginAs
from tests.messaging.conftest import TEMPLATES, all_messages, served, sos_notice

SECRET = "aliyun-test-secret-0123456789"


@pytest.fixture
def fake(clock: ManualClock) -> FakeAliyunSms:
    return FakeAliyunSms(access_key_id="LTAI5tTestKey", access_key_secret=SECRET,
                         sign_names=frozenset({"呼和浩特12349"}),
                         templates=frozenset(TEMPLATES.values()), now=clock.now)


@pytest.fixture
async def gateway(fake: FakeAliyunSms) -> AsyncIterator[LiveServer]:
    async for server in served(fake.app()):
        yield server


@pytest.fixture
def settings(settings: Settings, gateway: LiveServer) -> Settings:
    return settings.model_copy(update={
        "sms": "aliyun", "aliyun_access_key_id": "LTAI5tTestKey",
        "aliyun_access_key_secret": SecretStr(SECRET), "aliyun_sms_sign_name": "呼和浩特12349",
        "aliyun_sms_endpoint": f"{gateway.url}/", "sms_templates": TEMPLATES,
        "message_retry_seconds": [10.0, 60.0], "message_timeout_seconds": 1.0,
        "run_background_tasks": False})


def offer(text: str = "【12349】新的服务订单 #7") -> Outgoing:
    return Outgoing(to="+8613900000009", text=text, template="provider_offer",
                    purpose="provider_offer", params=(("order", "7"), ("link", "https://x/p/1")),
                    wechat_ok=False)


async def test_an_sos_notice_leaves_with_a_valid_signature(
        runtime: Runtime, fake: FakeAliyunSms, senior_id: int) -> None:
    """An SOS tells the first contact through Alibaba Cloud: registered template and sign
    name, the senior's name as the template value, a signature the gateway accepts."""
    messages = await sos_notice(runtime, senior_id)
    assert [(m.template, m.gateway, m.state) for m in messages] == [
        ("alarm_received", "aliyun", "sent")]
    assert fake.refused == [] and len(fake.sent) == 1
    request = fake.sent[0]
    assert request["PhoneNumbers"] == SON_PHONE and request["SignName"] == "呼和浩特12349"
    assert request["TemplateCode"] == TEMPLATES["alarm_received"]
    assert json.loads(request["TemplateParam"]) == {"name": "王秀英"}
    assert messages[0].provider_id == request["BizId"]


async def test_a_wrong_secret_is_refused_and_never_reported_sent(
        runtime: Runtime, fake: FakeAliyunSms) -> None:
    """The fake recomputes the signature: signed with another secret, the message is refused
    (not worth retrying) and recorded as failed with the gateway's code."""
    fake.access_key_secret = "someone-else's-secret"
    message = await flows.send_now(runtime, offer())
    assert fake.refused == ["SignatureDoesNotMatch"] and fake.sent == []
    assert message.state == "failed" and message.sent_at is None
    assert "SignatureDoesNotMatch" in (message.last_error or "")


async def test_5xx_is_retried_with_backoff_until_it_goes_out(
        runtime: Runtime, fake: FakeAliyunSms, clock: ManualClock) -> None:
    """Two 503s: the message stays pending and is tried again after each pause, then sent."""
    fake.faults.fail_next = [503, 503]
    message = await flows.send_now(runtime, offer())
    assert (message.state, message.attempts) == ("pending", 1)
    assert await flows.attempt_due(runtime) == 0  # the first pause (10 s) is not over
    clock.advance(10)
    assert await flows.attempt_due(runtime) == 1
    clock.advance(60)
    assert await flows.attempt_due(runtime) == 1
    (message,) = await all_messages(runtime)
    assert (message.state, message.attempts) == ("sent", 3)
    assert len(fake.sent) == 1


async def test_a_gateway_that_times_out_is_retried(
        runtime: Runtime, fake: FakeAliyunSms, clock: ManualClock) -> None:
    """A request the gateway holds past the timeout is not sent; the retry goes out."""
    fake.faults.hang_next = 1
    message = await flows.send_now(runtime, offer())
    assert message.state == "pending" and "unreachable" in (message.last_error or "")
    fake.faults.release.set()
    clock.advance(10)
    await flows.attempt_due(runtime)
    (message,) = await all_messages(runtime)
    assert message.state == "sent"


async def test_failing_every_attempt_is_reported_on_the_bus_and_the_incident(
        runtime: Runtime, fake: FakeAliyunSms, clock: ManualClock, senior_id: int,
        client: httpx.AsyncClient, login_as: LoginAs) -> None:
    """5xx on every attempt: after the last retry the notice is failed, the floor hears it,
    and the incident's timeline says so; nothing says it was sent."""
    operator = await login_as(Role.OPERATOR)
    fake.faults.fail_next = [500, 502, 503]
    async with runtime.bus.subscribe() as feed:
        (message,) = await sos_notice(runtime, senior_id)
        for pause in (10, 60):
            clock.advance(pause)
            await flows.attempt_due(runtime)
        events: list[BusEvent] = []
        while not any(e.data.get("state") == "failed" for e in events):
            events.append(await feed.next())
    (message,) = await all_messages(runtime)
    assert (message.state, message.attempts, message.sent_at) == ("failed", 3, None)
    assert [e.topic for e in events if e.topic == "message.updated"] == ["message.updated"]
    assert "body" not in events[-1].data  # words and links stay off the bus
    alarm_id = message.alarm_id
    assert (await client.post(f"/api/v1/alarms/{alarm_id}/ack", headers=operator)).is_success
    found = (await client.get("/api/v1/incidents", params={"alarm_id": alarm_id},
                              headers=operator)).json()
    detail = (await client.get(f"/api/v1/incidents/{found[0]['id']}", headers=operator)).json()
    notes = [(i["what"], i["detail"]["attempts"]) for i in detail["timeline"]
             if i["source"] == "message"]
    assert notes == [("message.failed", 3)]


async def test_delivery_receipts_are_verified_and_stored(
        runtime: Runtime, fake: FakeAliyunSms, client: httpx.AsyncClient) -> None:
    """A receipt on the secret callback URL marks the message delivered; a wrong token is
    refused and changes nothing; a receipt for an unknown id is kept unmatched."""
    message = await flows.send_now(runtime, offer())
    token = receipt_token(messaging_of(runtime).receipt_key, "aliyun")
    report = fake.report(message.provider_id or "", delivered=True)
    wrong = await client.post("/api/v1/messages/receipts/aliyun/not-the-token", json=report)
    assert wrong.status_code == 403
    assert (await all_messages(runtime))[0].state == "sent"
    answer = await client.post(f"/api/v1/messages/receipts/aliyun/{token}", json=report)
    assert answer.status_code == 200 and answer.json()["code"] == 0
    stranger = [{**report[0], "biz_id": "000000^0"}]
    assert (await client.post(f"/api/v1/messages/receipts/aliyun/{token}",
                              json=stranger)).status_code == 200
    (message,) = await all_messages(runtime)
    assert message.state == "delivered" and message.delivered_at is not None
    bad = await client.post(f"/api/v1/messages/receipts/aliyun/{token}", json=[{"x": 1}])
    assert bad.status_code == 422


async def test_two_attempts_at_one_message_send_it_once(
        runtime: Runtime, fake: FakeAliyunSms) -> None:
    """While one attempt holds a message (the gateway is slow), a second attempt (the retry
    loop) claims nothing: the gateway hears the message once."""
    fake.faults.hang_next = 1
    async with runtime.sessions() as session:
        message = await flows.send(runtime, session, offer())
        await session.commit()  # the first attempt starts and waits on the gateway
    await fake.faults.held.wait()
    await flows.attempt(runtime, message.id)
    assert await flows.attempt_due(runtime) == 0
    fake.faults.release.set()
    await messaging_of(runtime).drain()
    (message,) = await all_messages(runtime)
    assert (message.state, message.attempts, len(fake.sent)) == ("sent", 1, 1)


async def test_aliyun_without_credentials_refuses_to_start(settings: Settings) -> None:
    """ANXIN_SMS=aliyun without its keys stops start-up with a line naming what is missing."""
    from config.exceptions import InsecureSettingsError
    from dashboard.app import create_app
    bare = settings.model_copy(update={"aliyun_access_key_secret": None})
    application = create_app(bare)
    with pytest.raises(InsecureSettingsError, match="ANXIN_ALIYUN_ACCESS_KEY_SECRET"):
        async with application.router.lifespan_context(application):
            pass
