"""SMS through Tencent Cloud: TC3-HMAC-SHA256 as the gateway checks it; receipts move a
message forward only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from pydantic import SecretStr

from config.settings import Settings
from messaging import flows
from messaging.lifespan import messaging_of
from messaging.links import receipt_token
from messaging.port import Outgoing
from messaging.tencent_fake import FakeTencentSms
from runtime.clock import ManualClock
from runtime.context import Runtime
from tests.callcenter.conftest import SON_PHONE
from tests.conftest import LiveServer
from tests.messaging.conftest import TEMPLATES, all_messages, served, sos_notice

SECRET = "tencent-test-secret-key-0123"


@pytest.fixture
def fake(clock: ManualClock) -> FakeTencentSms:
    return FakeTencentSms(secret_id="AKIDtest", secret_key=SECRET, app_id="1400123456",
                          sign_names=frozenset({"呼和浩特12349"}),
                          templates=frozenset(TEMPLATES.values()), now=clock.now)


@pytest.fixture
async def gateway(fake: FakeTencentSms) -> AsyncIterator[LiveServer]:
    async for server in served(fake.app()):
        yield server


@pytest.fixture
def settings(settings: Settings, gateway: LiveServer) -> Settings:
    return settings.model_copy(update={
        "sms": "tencent", "tencent_secret_id": "AKIDtest",
        "tencent_secret_key": SecretStr(SECRET), "tencent_sms_app_id": "1400123456",
        "tencent_sms_sign_name": "呼和浩特12349", "tencent_sms_endpoint": f"{gateway.url}/",
        "sms_templates": TEMPLATES, "run_background_tasks": False})


async def test_an_sos_notice_leaves_with_a_valid_tc3_signature(
        runtime: Runtime, fake: FakeTencentSms, senior_id: int) -> None:
    """An SOS tells the first contact through Tencent Cloud with the registered template,
    its values in order, and a TC3 signature the gateway accepts."""
    messages = await sos_notice(runtime, senior_id)
    assert [(m.template, m.gateway, m.state) for m in messages] == [
        ("alarm_received", "tencent", "sent")]
    assert fake.refused == []
    (request,) = fake.sent
    assert request["PhoneNumberSet"] == [SON_PHONE]
    assert request["TemplateId"] == TEMPLATES["alarm_received"]
    assert request["TemplateParamSet"] == ["王秀英"]
    assert messages[0].provider_id == request["SerialNo"]


async def test_a_wrong_key_or_a_stale_clock_is_refused(
        runtime: Runtime, fake: FakeTencentSms, clock: ManualClock) -> None:
    """The fake recomputes the signature and checks its time: another key, or a request
    signed ten minutes off, is refused and recorded as failed."""
    outgoing = Outgoing(to="+8613900000009", text="t", template="provider_offer",
                        purpose="provider_offer", wechat_ok=False)
    fake.secret_key = "another-key"
    first = await flows.send_now(runtime, outgoing)
    fake.secret_key = SECRET
    fake.now = lambda: clock.now() + timedelta(minutes=10)
    second = await flows.send_now(runtime, outgoing)
    assert fake.refused == ["AuthFailure.SignatureFailure", "AuthFailure.SignatureExpire"]
    assert (first.state, second.state) == ("failed", "failed") and fake.sent == []


async def test_receipts_move_a_message_forward_only(
        runtime: Runtime, fake: FakeTencentSms, client: httpx.AsyncClient) -> None:
    """A FAIL receipt fails a sent message; a later SUCCESS for it cannot bring it back."""
    message = await flows.send_now(runtime, Outgoing(
        to="+8613900000009", text="t", template="provider_offer", purpose="provider_offer",
        wechat_ok=False))
    token = receipt_token(messaging_of(runtime).receipt_key, "tencent")
    url = f"/api/v1/messages/receipts/tencent/{token}"
    failed = await client.post(url, json=fake.report(message.provider_id or "",
                                                     delivered=False))
    assert failed.json() == {"result": 0, "errmsg": "OK"}
    await client.post(url, json=fake.report(message.provider_id or "", delivered=True))
    (message,) = await all_messages(runtime)
    assert message.state == "failed" and message.delivered_at is None
    assert "MI:0013" in (message.last_error or "")


async def test_a_5xx_from_tencent_is_retried_with_backoff_until_it_goes_out(
        runtime: Runtime, fake: FakeTencentSms, clock: ManualClock) -> None:
    """A 502 from Tencent Cloud: the message stays pending, is not sent again before its
    pause is over, and goes out on the retry, signed afresh."""
    fake.faults.fail_next = [502]
    message = await flows.send_now(runtime, Outgoing(
        to="+8613900000009", text="t", template="provider_offer", purpose="provider_offer",
        wechat_ok=False))
    assert (message.state, message.attempts, message.sent_at) == ("pending", 1, None)
    assert await flows.attempt_due(runtime) == 0
    clock.advance(10)
    assert await flows.attempt_due(runtime) == 1
    (message,) = await all_messages(runtime)
    assert (message.state, message.attempts) == ("sent", 2)
    assert len(fake.sent) == 1 and fake.refused == []
