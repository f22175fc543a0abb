"""WeChat notices to families: binding with consent through the OAuth round trip, template
messages with a cached access token, and SMS when WeChat fails."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import select

from accounts.models import AuditEntry
from accounts.roles import Role
from config.settings import Settings
from liveness.reminders import MessagePortReminderSender, Reminder
from messaging import flows
from messaging.binding import CONSENT_ZH
from messaging.lifespan import messaging_of
from messaging.models import WechatBinding
from messaging.port import Outgoing
from messaging.wechat_fake import FakeWechat
from runtime.clock import ManualClock
from runtime.context import Runtime
from seniors.models import EmergencyContact
from tests.callcenter.conftest import SENIOR_PHONE, SON_PHONE
from tests.conftest import LiveServer, LoginAs
from tests.messaging.conftest import all_messages, served, sos_notice

PUBLIC = "http://anxin.test"
SERVER_TOKEN = "wechat-server-token"
WECHAT_TEMPLATES = {"alarm_received": "tmpl-alarm-received", "visit_arranged": "tmpl-visit",
                    "liveness_reminder": "tmpl-reminder"}


@pytest.fixture
def fake(clock: ManualClock) -> FakeWechat:
    return FakeWechat(app_id="wx0123456789abcdef", app_secret="wechat-secret",
                      templates=frozenset(WECHAT_TEMPLATES.values()), now=clock.now)


@pytest.fixture
async def wechat(fake: FakeWechat) -> AsyncIterator[LiveServer]:
    async for server in served(fake.app()):
        yield server


@pytest.fixture
def settings(settings: Settings, wechat: LiveServer) -> Settings:
    return settings.model_copy(update={
        "wechat_app_id": "wx0123456789abcdef", "wechat_app_secret": SecretStr("wechat-secret"),
        "wechat_templates": WECHAT_TEMPLATES, "wechat_api_base": wechat.url,
        "wechat_oauth_base": wechat.url, "public_base_url": PUBLIC,
        "wechat_server_token": SecretStr(SERVER_TOKEN),
        "run_background_tasks": False})


async def son(runtime: Runtime, senior: int) -> EmergencyContact:
    async with runtime.sessions() as session:
        return (await session.scalars(select(EmergencyContact).where(
            EmergencyContact.senior_id == senior).order_by(EmergencyContact.position))).first() \
            or pytest.fail("the senior has no contacts")


async def bind_son(client: httpx.AsyncClient, headers: dict[str, str], contact_id: int,
                   wechat: LiveServer) -> httpx.Response:
    """What the son does: open the link in WeChat, agree, come back from WeChat's OAuth."""
    link = await client.post("/api/v1/messages/wechat-links", json={"contact_id": contact_id},
                             headers=headers)
    assert link.status_code == 201, link.text
    path = link.json()["url"].removeprefix(PUBLIC)
    assert "同意" in (await client.get(path)).text
    agreed = await client.get(f"{path}/agree")
    assert agreed.status_code == 303
    assert agreed.headers["location"].startswith(f"{wechat.url}/connect/oauth2/authorize?")
    async with httpx.AsyncClient() as browser:
        back = await browser.get(agreed.headers["location"])
    assert back.status_code == 302
    return await client.get(back.headers["location"].removeprefix(PUBLIC))


async def test_a_contact_binds_wechat_with_consent(
        runtime: Runtime, client: httpx.AsyncClient, login_as: LoginAs, senior_id: int,
        fake: FakeWechat, wechat: LiveServer) -> None:
    """The operator's link (and QR code) leads the contact through consent and WeChat's OAuth;
    the openid is stored with the words agreed to, and audited; a replayed code binds
    nothing more."""
    operator = await login_as(Role.OPERATOR)
    contact = await son(runtime, senior_id)
    link = await client.post("/api/v1/messages/wechat-links", json={"contact_id": contact.id},
                             headers=operator)
    assert "<svg" in link.json()["qr_svg"]
    done = await bind_son(client, operator, contact.id, wechat)
    assert done.status_code == 200 and "已绑定" in done.text
    async with runtime.sessions() as session:
        (binding,) = (await session.scalars(select(WechatBinding))).all()
        audit = (await session.scalars(select(AuditEntry.action).where(
            AuditEntry.action.like("wechat.%")))).all()
    assert (binding.contact_id, binding.phone, binding.openid) == (
        contact.id, SON_PHONE, fake.current_openid)
    assert CONSENT_ZH in binding.consent_text and binding.link_sent_by == "test_operator"
    assert sorted(audit) == ["wechat.bound", "wechat.link", "wechat.link"]


async def test_a_bad_or_expired_link_binds_nothing(
        runtime: Runtime, client: httpx.AsyncClient, login_as: LoginAs, senior_id: int,
        clock: ManualClock) -> None:
    """A tampered link and one past its time are refused with a page that says so."""
    operator = await login_as(Role.OPERATOR)
    contact = await son(runtime, senior_id)
    link = await client.post("/api/v1/messages/wechat-links", json={"contact_id": contact.id},
                             headers=operator)
    path = link.json()["url"].removeprefix(PUBLIC)
    missing = await client.post("/api/v1/messages/wechat-links", json={"contact_id": 99999},
                                headers=operator)
    assert missing.status_code == 404
    tampered = await client.get(path[:-1] + ("0" if path[-1] != "0" else "1"))
    assert tampered.status_code == 400 and "not valid" in tampered.text
    clock.advance(73 * 3600)
    expired = await client.get(f"{path}/done", params={"code": "abc", "state": "agreed"})
    assert expired.status_code == 400 and "expired" in expired.text
    async with runtime.sessions() as session:
        assert (await session.scalars(select(WechatBinding))).all() == []


async def test_a_bound_family_hears_of_an_sos_on_wechat(
        runtime: Runtime, client: httpx.AsyncClient, login_as: LoginAs, senior_id: int,
        fake: FakeWechat, wechat: LiveServer) -> None:
    """After binding, the SOS notice goes as a template message to the openid; the access
    token is fetched once, and again only when WeChat says it expired."""
    operator = await login_as(Role.OPERATOR)
    await bind_son(client, operator, (await son(runtime, senior_id)).id, wechat)
    (message,) = await sos_notice(runtime, senior_id)
    assert (message.channel, message.gateway, message.state) == ("wechat", "wechat", "sent")
    (sent,) = fake.sent
    assert sent["touser"] == fake.current_openid
    assert sent["template_id"] == "tmpl-alarm-received"
    assert "王秀英" in sent["data"]["text"]["value"] and sent["data"]["name"]["value"] == "王秀英"
    again = Outgoing(to=SON_PHONE, text="t", template="liveness_reminder", purpose="reminder")
    assert (await flows.send_now(runtime, again)).state == "sent"
    assert fake.tokens_issued == 1
    fake.expire_tokens()
    assert (await flows.send_now(runtime, again)).state == "sent"
    assert fake.tokens_issued == 2 and len(fake.sent) == 3


async def test_a_reminder_reaches_the_bound_family_when_the_senior_has_no_wechat(
        runtime: Runtime, client: httpx.AsyncClient, login_as: LoginAs, senior_id: int,
        fake: FakeWechat, wechat: LiveServer) -> None:
    """A proof-of-life reminder for a senior whose own number has no WeChat goes as a WeChat
    notice to the son who bound his; nothing goes by SMS to the senior's phone."""
    operator = await login_as(Role.OPERATOR)
    await bind_son(client, operator, (await son(runtime, senior_id)).id, wechat)
    sender = MessagePortReminderSender(runtime)
    await sender.send(Reminder(senior_id, [SENIOR_PHONE], "old_age_allowance",
                               date(2027, 1, 5), "王秀英，您的生存认证将于2027-01-05到期。"))
    await messaging_of(runtime).drain()
    (message,) = await all_messages(runtime)
    assert (message.channel, message.address, message.state) == (
        "wechat", fake.current_openid, "sent")
    (sent,) = fake.sent
    assert sent["template_id"] == "tmpl-reminder" and sent["touser"] == fake.current_openid


async def test_when_wechat_fails_the_notice_goes_by_sms(
        runtime: Runtime, client: httpx.AsyncClient, login_as: LoginAs, senior_id: int,
        fake: FakeWechat, wechat: LiveServer) -> None:
    """WeChat refuses the template: that message is failed, and the same words go out as
    an SMS through the SMS channel, linked to the failed one."""
    operator = await login_as(Role.OPERATOR)
    await bind_son(client, operator, (await son(runtime, senior_id)).id, wechat)
    fake.templates = frozenset()
    messages = await sos_notice(runtime, senior_id)
    assert [(m.channel, m.state) for m in messages] == [("wechat", "failed"), ("sms", "sent")]
    assert messages[1].fallback_of == messages[0].id and messages[1].address == SON_PHONE
    assert messages[1].body == messages[0].body and "40037" in (messages[0].last_error or "")
    cases = (await client.get("/api/v1/calls/cases", headers=operator)).json()
    assert [(t["channel"], t["state"]) for t in cases[0]["texts"]] == [
        ("wechat", "failed"), ("sms", "sent")]


async def test_wechat_delivery_reports_are_verified_and_stored(
        runtime: Runtime, client: httpx.AsyncClient, login_as: LoginAs, senior_id: int,
        fake: FakeWechat, wechat: LiveServer) -> None:
    """WeChat's server check echoes only when signed; a signed TEMPLATESENDJOBFINISH push
    marks the notice delivered, an unsigned one is refused and changes nothing."""
    operator = await login_as(Role.OPERATOR)
    await bind_son(client, operator, (await son(runtime, senior_id)).id, wechat)
    (message,) = await sos_notice(runtime, senior_id)
    query, body = fake.report_push(int(message.provider_id or 0), token=SERVER_TOKEN,
                                   delivered=True)
    url = "/api/v1/messages/receipts/wechat"
    check = await client.get(url, params={**query, "echostr": "4620117958"})
    assert check.status_code == 200 and check.text == "4620117958"
    forged = await client.post(url, params={**query, "nonce": "1"}, content=body)
    assert forged.status_code == 403
    assert (await all_messages(runtime))[0].state == "sent"
    pushed = await client.post(url, params=query, content=body,
                               headers={"content-type": "text/xml"})
    assert pushed.status_code == 200 and pushed.text == "success"
    (message,) = await all_messages(runtime)
    assert message.state == "delivered"
