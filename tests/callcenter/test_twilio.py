"""Twilio webhooks through the real app, signed with twilio's own RequestValidator, and the
twilio client talking to a fake HTTP client instead of the network."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import func, select
from twilio.http import HttpClient
from twilio.http.response import Response as TwilioResponse
from twilio.request_validator import RequestValidator

from accounts.roles import Role
from callcenter import conferencing, ivr
from callcenter.ivr import EN
from callcenter.lifespan import callcenter_of
from callcenter.models import CallCase, CallLeg, CallStatusChange
from callcenter.port import Conference, ConnectOperator, Enqueue, Gather, Hangup, Say
from callcenter.twilio_adapter import TwilioProvider, render
from config.exceptions import InsecureSettingsError
from config.settings import Settings
from dashboard.app import create_app
from runtime.clock import ManualClock
from runtime.context import Runtime
from seniors import service as seniors_service
from seniors.schemas import SeniorCreate
from tests.callcenter.conftest import SON_PHONE
from tests.conftest import LoginAs
from tests.seniors.test_api import senior_body

BASE = "https://hotline.example.org"
TOKEN = "0123456789abcdef0123456789abcdef"
ACCOUNT = "AC" + "0" * 32


class FakeTwilioHttp(HttpClient):  # type: ignore[misc]
    """Twilio's REST API as a list of requests and canned answers; no network."""

    def __init__(self) -> None:
        super().__init__(logger=logging.getLogger("fake-twilio"), is_async=False)
        self.requests: list[tuple[str, str, dict[str, Any]]] = []

    def request(self, method: str, uri: str, params: Any = None, data: Any = None,
                headers: Any = None, auth: Any = None, timeout: Any = None,
                allow_redirects: bool = False) -> TwilioResponse:
        self.requests.append((method, uri, dict(data or {})))
        sid = ("SM" if "Messages" in uri else "CA") + f"{len(self.requests):032d}"
        return TwilioResponse(201, json.dumps({"sid": sid, "status": "queued"}))


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={
        "telephony": "twilio", "twilio_account_sid": ACCOUNT,
        "twilio_auth_token": SecretStr(TOKEN), "twilio_from_number": "+15005550006",
        "public_base_url": BASE})


@pytest.fixture
async def app(settings: Settings, clock: ManualClock) -> AsyncIterator[FastAPI]:
    application = create_app(settings, clock=clock)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
def fake_http(runtime: Runtime, settings: Settings) -> FakeTwilioHttp:
    fake = FakeTwilioHttp()
    callcenter_of(runtime).provider = TwilioProvider.from_settings(settings, http_client=fake)
    return fake


def signed(path: str, form: dict[str, str], *, url_base: str = BASE,
           token: str = TOKEN) -> dict[str, str]:
    signature = RequestValidator(token).compute_signature(url_base + path, form)
    return {"X-Twilio-Signature": signature}


async def post(client: httpx.AsyncClient, path: str, form: dict[str, str],
               headers: dict[str, str]) -> httpx.Response:
    return await client.post(path, data=form, headers=headers)


async def legs(runtime: Runtime) -> int:
    async with runtime.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(CallLeg)) or 0)


INCOMING = {"CallSid": "CA" + "1" * 32, "From": "+8613700000077", "To": "+15005550006",
            "CallStatus": "ringing"}


async def test_signed_incoming_call_gets_the_chinese_menu(client: httpx.AsyncClient,
                                                          runtime: Runtime) -> None:
    """A correctly signed call is stored and answered with a slow zh-CN menu Gather."""
    response = await post(client, "/telephony/twilio/incoming", INCOMING,
                          signed("/telephony/twilio/incoming", INCOMING))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    body = response.text
    assert 'language="cmn-CN"' in body and "Polly.Zhiyu" in body
    assert "紧急求助，请按1" in body and 'rate="85%"' in body
    assert f"{BASE}/telephony/twilio/gather?call_id=1" in body
    assert await legs(runtime) == 1


@pytest.mark.parametrize("headers", [
    pytest.param({"X-Twilio-Signature": "Zm9yZ2VkIHNpZ25hdHVyZQ=="}, id="forged"),
    pytest.param({}, id="missing"),
    pytest.param(signed("/telephony/twilio/incoming", INCOMING, url_base="http://anxin.test"),
                 id="signed-for-the-request-host-not-the-public-url"),
    pytest.param(signed("/telephony/twilio/gather", INCOMING), id="signed-for-another-path"),
    pytest.param(signed("/telephony/twilio/incoming", INCOMING, token="f" * 32),
                 id="another-account-token"),
])
async def test_badly_signed_requests_are_refused_and_store_nothing(
    client: httpx.AsyncClient, runtime: Runtime, headers: dict[str, str]
) -> None:
    """Forged, missing or wrong-URL signatures answer 403 and no call is stored."""
    response = await post(client, "/telephony/twilio/incoming", INCOMING, headers)
    assert response.status_code == 403
    assert await legs(runtime) == 0


async def test_tampered_form_is_refused(client: httpx.AsyncClient, runtime: Runtime) -> None:
    """A valid signature over other form values does not cover a changed caller ID."""
    headers = signed("/telephony/twilio/incoming", INCOMING)
    response = await post(client, "/telephony/twilio/incoming",
                          {**INCOMING, "From": "+8613804710001"}, headers)
    assert response.status_code == 403
    assert await legs(runtime) == 0


async def test_gather_routes_by_key_and_enqueues(client: httpx.AsyncClient,
                                                 runtime: Runtime) -> None:
    """Pressing 1 on Twilio enqueues the caller in the emergency queue with a wait URL."""
    await post(client, "/telephony/twilio/incoming", INCOMING,
               signed("/telephony/twilio/incoming", INCOMING))
    form = {"CallSid": INCOMING["CallSid"], "Digits": "1"}
    path = "/telephony/twilio/gather?call_id=1"
    response = await post(client, path, form, signed(path, form))
    assert response.status_code == 200
    assert "<Enqueue" in response.text and ">emergency</Enqueue>" in response.text
    assert f"{BASE}/telephony/twilio/wait?call_id=1" in response.text


async def test_silent_caller_on_twilio_reaches_a_person_after_two_timeouts(
        client: httpx.AsyncClient, runtime: Runtime) -> None:
    """Each Gather carries its timeout from the IVR's timing table; Twilio's two empty results
    (the caller said nothing) give the short repeat, then the general queue."""
    first = await post(client, "/telephony/twilio/incoming", INCOMING,
                       signed("/telephony/twilio/incoming", INCOMING))
    assert f'timeout="{ivr.GATHER_TIMEOUTS["menu"]}"' in first.text
    assert '<say-as interpret-as="digits">12349</say-as>' in first.text
    silence = {"CallSid": INCOMING["CallSid"]}
    path = "/telephony/twilio/gather?call_id=1"
    repeat = await post(client, path, silence, signed(path, silence))
    assert f'timeout="{ivr.GATHER_TIMEOUTS["menu_repeat"]}"' in repeat.text
    assert "稍候转人工" in repeat.text
    queued = await post(client, path, silence, signed(path, silence))
    assert "<Gather" not in queued.text and ">general</Enqueue>" in queued.text
    async with runtime.sessions() as session:
        call = await session.get(CallLeg, 1)
    assert call is not None and call.ivr_path == ["menu", "silence", "silence:human"]


async def test_registered_senior_on_twilio_is_greeted_and_queued_without_a_menu(
        client: httpx.AsyncClient, runtime: Runtime) -> None:
    """The same fast path on Twilio: the greeting by name, then <Enqueue> at priority 2."""
    async with runtime.sessions() as session:
        await seniors_service.create_senior(
            session, data=SeniorCreate.model_validate(senior_body()), now=runtime.clock.now())
        await session.commit()
    known = {**INCOMING, "From": "+8613804710001"}
    response = await post(client, "/telephony/twilio/incoming", known,
                          signed("/telephony/twilio/incoming", known))
    assert "<Gather" not in response.text and "王秀英您好" in response.text
    assert ">general</Enqueue>" in response.text
    async with runtime.sessions() as session:
        call = await session.get(CallLeg, 1)
    assert call is not None and (call.queue, call.priority, call.ivr_path) == \
        ("general", 2, ["fast-path:known"])
    again = await post(client, "/telephony/twilio/incoming", known,
                       signed("/telephony/twilio/incoming", known))
    assert again.text == response.text  # a repeated webhook hears the same start


async def test_status_callbacks_out_of_order_and_repeated(
    client: httpx.AsyncClient, runtime: Runtime, fake_http: FakeTwilioHttp
) -> None:
    """Late 'ringing' after 'completed' changes nothing; a repeat is stored once."""
    await post(client, "/telephony/twilio/incoming", INCOMING,
               signed("/telephony/twilio/incoming", INCOMING))
    path = "/telephony/twilio/status"
    for status in ("completed", "ringing", "completed", "in-progress"):
        form = {"CallSid": INCOMING["CallSid"], "CallStatus": status}
        response = await post(client, path, form, signed(path, form))
        assert response.status_code == 204
    await callcenter_of(runtime).drain()
    async with runtime.sessions() as session:
        call = await session.scalar(select(CallLeg))
        changes = (await session.execute(select(CallStatusChange.status).order_by(
            CallStatusChange.id))).scalars().all()
    assert call is not None and call.status == "completed" and call.outcome == "ended_in_menu"
    assert sorted(changes) == ["completed", "in_progress", "ringing"]


async def test_outbound_call_and_text_go_through_the_twilio_client(
    runtime: Runtime, fake_http: FakeTwilioHttp
) -> None:
    """place_call and send_sms make the REST requests Twilio expects, with our callbacks."""
    provider = callcenter_of(runtime).provider
    sid = await provider.place_call(call_id=7, to="+447700900123")
    text_sid = await provider.send_sms(to="+447700900123", body="测试")
    assert sid.startswith("CA") and text_sid.startswith("SM")
    (call_method, call_uri, call_data), (_, sms_uri, sms_data) = fake_http.requests
    assert call_method == "POST" and call_uri.endswith(f"/Accounts/{ACCOUNT}/Calls.json")
    assert call_data["To"] == "+447700900123" and call_data["From"] == "+15005550006"
    assert call_data["Url"] == f"{BASE}/telephony/twilio/outbound?call_id=7"
    assert call_data["StatusCallback"] == f"{BASE}/telephony/twilio/status"
    assert sms_uri.endswith("/Messages.json") and sms_data["Body"] == "测试"


async def test_party_dialled_into_a_conference_through_the_twilio_client(
    client: httpx.AsyncClient, runtime: Runtime, fake_http: FakeTwilioHttp
) -> None:
    """A party leg is one Calls request whose own TwiML joins the call's conference (muted for
    a listener), with our status callback; the returned sid is stored on the leg."""
    await post(client, "/telephony/twilio/incoming", INCOMING,
               signed("/telephony/twilio/incoming", INCOMING))
    leg = await conferencing.add_party(runtime, call_id=1, to="+447700900124",
                                       purpose="supervisor_monitor", requested_by="sup")
    ((method, uri, data),) = fake_http.requests
    assert method == "POST" and uri.endswith(f"/Accounts/{ACCOUNT}/Calls.json")
    assert data["To"] == "+447700900124" and data["From"] == "+15005550006"
    assert "Url" not in data
    assert data["Twiml"] == ('<?xml version="1.0" encoding="UTF-8"?><Response><Dial>'
                             '<Conference beep="false" muted="true">anxin-call-1</Conference>'
                             '</Dial></Response>')
    assert data["StatusCallback"] == f"{BASE}/telephony/twilio/status"
    assert leg.provider_sid == "CA" + f"{1:032d}" and leg.parent_call_id == 1
    answered = {"CallSid": leg.provider_sid, "CallStatus": "in-progress"}
    await post(client, "/telephony/twilio/status", answered,
               signed("/telephony/twilio/status", answered))
    async with runtime.sessions() as session:
        stored = await session.get(CallLeg, leg.id)
    assert stored is not None and stored.status == "in_progress" and stored.answered_at


async def test_answered_outbound_alarm_call_is_queued_as_emergency(
    client: httpx.AsyncClient, runtime: Runtime, fake_http: FakeTwilioHttp
) -> None:
    """When the senior picks up a call-back, Twilio is told to say why and enqueue them."""
    async with runtime.sessions() as session:
        session.add(CallLeg(provider="twilio", provider_sid="CA" + "9" * 32,
                            direction="outbound", purpose="alarm_callback",
                            from_number="12349", to_number="+447700900123", status="ringing",
                            created_at=runtime.clock.now(), ivr_path=[], ivr_state={}))
        await session.commit()
    path = "/telephony/twilio/outbound?call_id=1"
    form = {"CallSid": "CA" + "9" * 32, "CallStatus": "in-progress"}
    response = await post(client, path, form, signed(path, form))
    assert response.status_code == 200
    assert "求助信号" in response.text and ">emergency</Enqueue>" in response.text


async def test_long_wait_on_twilio_offers_a_call_back(client: httpx.AsyncClient,
                                                      runtime: Runtime,
                                                      clock: ManualClock) -> None:
    """After 2 minutes in the policy queue the wait URL offers a call-back; 1 accepts it."""
    await post(client, "/telephony/twilio/incoming", INCOMING,
               signed("/telephony/twilio/incoming", INCOMING))
    key = {"CallSid": INCOMING["CallSid"], "Digits": "2"}
    gather_path = "/telephony/twilio/gather?call_id=1"
    await post(client, gather_path, key, signed(gather_path, key))
    wait_path = "/telephony/twilio/wait?call_id=1"
    waiting = {"CallSid": INCOMING["CallSid"], "QueueTime": "10"}
    early = await post(client, wait_path, waiting, signed(wait_path, waiting))
    assert "<Gather" not in early.text and "请稍候" in early.text
    clock.advance(121)
    offer = await post(client, wait_path, waiting, signed(wait_path, waiting))
    assert "<Gather" in offer.text and "回电，请按1" in offer.text
    accept = {"CallSid": INCOMING["CallSid"], "Digits": "1"}
    accepted = await post(client, gather_path, accept, signed(gather_path, accept))
    assert "<Hangup" in accepted.text
    async with runtime.sessions() as session:
        task = await session.scalar(select(CallCase))
    assert task is not None and task.kind == "requested_callback"
    assert task.number == INCOMING["From"]


async def test_repeated_incoming_webhook_keeps_one_leg(client: httpx.AsyncClient,
                                                       runtime: Runtime) -> None:
    """Twilio retrying the incoming webhook gets the same answer and no second call row."""
    headers = signed("/telephony/twilio/incoming", INCOMING)
    first = await post(client, "/telephony/twilio/incoming", INCOMING, headers)
    again = await post(client, "/telephony/twilio/incoming", INCOMING, headers)
    assert first.status_code == again.status_code == 200
    assert await legs(runtime) == 1


async def test_abandoned_emergency_on_twilio_is_called_back_through_the_client(
    client: httpx.AsyncClient, runtime: Runtime, fake_http: FakeTwilioHttp
) -> None:
    """An emergency caller who hangs up in the queue is rung back through Twilio's REST API."""
    await post(client, "/telephony/twilio/incoming", INCOMING,
               signed("/telephony/twilio/incoming", INCOMING))
    words = {"CallSid": INCOMING["CallSid"], "SpeechResult": "救命啊"}
    gather_path = "/telephony/twilio/gather?call_id=1"
    await post(client, gather_path, words, signed(gather_path, words))
    hung_up = {"CallSid": INCOMING["CallSid"], "CallStatus": "completed"}
    await post(client, "/telephony/twilio/status", hung_up,
               signed("/telephony/twilio/status", hung_up))
    await callcenter_of(runtime).drain()
    ((method, uri, data),) = fake_http.requests
    assert uri.endswith("/Calls.json") and data["To"] == INCOMING["From"]
    assert data["Url"] == f"{BASE}/telephony/twilio/outbound?call_id=2"
    async with runtime.sessions() as session:
        callback = await session.get(CallLeg, 2)
    assert callback is not None and callback.provider_sid == "CA" + f"{1:032d}"
    assert callback.purpose == "abandoned_callback"


def test_every_action_renders_as_twiml() -> None:
    """Say, Gather, Enqueue, ConnectOperator, Conference and Hangup each become their verb."""
    twiml = render((Say("Hello", EN), Gather("Press 1", EN, 4, speech_hints=("help",)),
                    Enqueue("policy", 3), ConnectOperator("operator1"),
                    Conference("anxin-call-5"), Hangup()),
                   base_url="https://h.example/", call_id=5)
    assert '<Say language="en-US" voice="Polly.Joanna"><prosody rate="85%">Hello' in twiml
    assert 'hints="help"' in twiml and 'language="en-US"' in twiml and 'timeout="4"' in twiml
    assert 'waitUrl="https://h.example/telephony/twilio/wait?call_id=5"' in twiml
    assert "<Client>operator1</Client>" in twiml
    assert "<Conference>anxin-call-5</Conference>" in twiml
    assert twiml.endswith("<Hangup /></Response>")


async def test_twilio_without_credentials_refuses_to_start(settings: Settings) -> None:
    """ANXIN_TELEPHONY=twilio with no auth token stops the service with a clear reason."""
    missing = settings.model_copy(update={"twilio_auth_token": None})
    application = create_app(missing)
    with pytest.raises(InsecureSettingsError, match="ANXIN_TWILIO_AUTH_TOKEN"):
        async with application.router.lifespan_context(application):
            pass


async def give_phone(client: httpx.AsyncClient, supervisor: dict[str, str], username: str,
                     endpoint: str | None) -> httpx.Response:
    return await client.put(f"/api/v1/routing/operators/{username}", headers=supervisor,
                            json={"skills": ["emergency"], "languages": ["zh-CN"],
                                  "phone_endpoint": endpoint})


async def waiting_emergency(client: httpx.AsyncClient) -> None:
    await post(client, "/telephony/twilio/incoming", INCOMING,
               signed("/telephony/twilio/incoming", INCOMING))
    key = {"CallSid": INCOMING["CallSid"], "Digits": "1"}
    path = "/telephony/twilio/gather?call_id=1"
    await post(client, path, key, signed(path, key))


async def test_answering_rings_the_operators_phone_into_the_callers_conference(
    client: httpx.AsyncClient, runtime: Runtime, login_as: LoginAs, fake_http: FakeTwilioHttp
) -> None:
    """Answering on Twilio moves the caller into the call's conference, then dials the
    operator's SIP endpoint into the same conference, stored as the operator's leg."""
    supervisor = await login_as(Role.SUPERVISOR)
    operator = await login_as(Role.OPERATOR)
    given = await give_phone(client, supervisor, "test_operator", "sip:op7@pbx.example.org")
    assert given.status_code == 200 and given.json()["phone_endpoint"] == "sip:op7@pbx.example.org"
    await waiting_emergency(client)
    answered = await client.post("/api/v1/calls/1/answer", headers=operator)
    assert answered.status_code == 200
    await callcenter_of(runtime).drain()
    (_, bridge_uri, bridge), (_, dial_uri, dial) = fake_http.requests
    assert bridge_uri.endswith(f"/Calls/{INCOMING['CallSid']}.json")
    assert "<Conference>anxin-call-1</Conference>" in bridge["Twiml"]
    assert dial_uri.endswith("/Calls.json") and dial["To"] == "sip:op7@pbx.example.org"
    assert '<Conference beep="true" muted="false">anxin-call-1</Conference>' in dial["Twiml"]
    async with runtime.sessions() as session:
        leg = await session.get(CallLeg, 2)
    assert leg is not None and (leg.purpose, leg.parent_call_id, leg.operator) == \
        ("operator_leg", 1, "test_operator")
    assert leg.provider_sid == "CA" + f"{2:032d}"


async def test_operator_without_a_phone_gets_no_audio_leg(
    client: httpx.AsyncClient, runtime: Runtime, login_as: LoginAs, fake_http: FakeTwilioHttp
) -> None:
    """With no endpoint the caller is still moved to the conference but nobody is dialled."""
    operator = await login_as(Role.OPERATOR)
    await waiting_emergency(client)
    await client.post("/api/v1/calls/1/answer", headers=operator)
    await callcenter_of(runtime).drain()
    ((_, bridge_uri, _),) = fake_http.requests
    assert bridge_uri.endswith(f"/Calls/{INCOMING['CallSid']}.json")
    assert await legs(runtime) == 1


async def test_bad_phone_endpoint_is_refused(client: httpx.AsyncClient,
                                             login_as: LoginAs) -> None:
    """An endpoint that is no number, SIP URI or client identity is a 422 and not stored."""
    supervisor = await login_as(Role.SUPERVISOR)
    refused = await give_phone(client, supervisor, "test_operator", "call me maybe")
    assert refused.status_code == 422
    listed = (await client.get("/api/v1/routing/operators", headers=supervisor)).json()
    assert all(op["phone_endpoint"] is None for op in listed)


async def test_operator_call_on_twilio_rings_callee_and_operator(
    client: httpx.AsyncClient, runtime: Runtime, login_as: LoginAs, fake_http: FakeTwilioHttp,
    senior_id: int,
) -> None:
    """An operator's own call dials the number and the operator's phone into one conference."""
    supervisor = await login_as(Role.SUPERVISOR)
    operator = await login_as(Role.OPERATOR)
    await give_phone(client, supervisor, "test_operator", "+447700900999")
    placed = await client.post("/api/v1/calls/outbound", headers=operator,
                               json={"to": SON_PHONE})
    assert placed.status_code == 201, placed.text
    (_, _, callee), (_, _, own) = fake_http.requests
    assert callee["To"] == SON_PHONE and own["To"] == "+447700900999"
    conference = f"<Conference beep=\"true\" muted=\"false\">{placed.json()['conference']}"
    assert conference in callee["Twiml"] and conference in own["Twiml"]


async def test_supervisor_listens_in_muted_through_twilio(
    client: httpx.AsyncClient, runtime: Runtime, login_as: LoginAs, fake_http: FakeTwilioHttp
) -> None:
    """Monitoring on Twilio dials the supervisor's phone into the call's conference muted;
    without a phone endpoint it is a 409 that says what to set."""
    supervisor = await login_as(Role.SUPERVISOR)
    await waiting_emergency(client)
    missing = await client.post("/api/v1/calls/1/monitor", headers=supervisor)
    assert missing.status_code == 409 and "no phone endpoint" in missing.json()["detail"]
    assert fake_http.requests == []
    await give_phone(client, supervisor, "test_supervisor", "client:sup1")
    listening = await client.post("/api/v1/calls/1/monitor", headers=supervisor)
    assert listening.status_code == 200, listening.text
    assert listening.json()["mode"] == "listening"
    assert listening.json()["leg"]["purpose"] == "supervisor_monitor"
    ((_, _, dialled),) = fake_http.requests
    assert dialled["To"] == "client:sup1"
    assert '<Conference beep="false" muted="true">anxin-call-1</Conference>' in dialled["Twiml"]
