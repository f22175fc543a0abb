"""Recording on Twilio: the notice is the first <Say> of the TwiML, and the live call's
recording is started through the Call Recordings REST resource."""

from __future__ import annotations

import httpx
import pytest

from callcenter.lifespan import callcenter_of
from callcenter.recordings.flows import NOTICE
from config.settings import Settings
from runtime.context import Runtime
from tests.callcenter.test_twilio import (  # noqa: F401 (Twilio's app and REST fake)
    ACCOUNT,
    INCOMING,
    FakeTwilioHttp,
    app,
    fake_http,
    post,
    signed,
)
from tests.callcenter.test_twilio import settings as twilio_settings


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Twilio's test settings, with the hotline recorded."""
    base: Settings = twilio_settings.__wrapped__(settings)  # type: ignore[attr-defined]
    return base.model_copy(update={"recording_call_kinds": ["hotline"]})


async def test_twilio_callers_hear_the_notice_and_the_call_is_recorded(
        client: httpx.AsyncClient, runtime: Runtime,
        fake_http: FakeTwilioHttp) -> None:  # noqa: F811 (the imported fixture)
    """With the hotline recorded, the TwiML opens with the notice, and one Recordings
    request (both channels) starts recording the caller's live call."""
    response = await post(client, "/telephony/twilio/incoming", INCOMING,
                          signed("/telephony/twilio/incoming", INCOMING))
    assert response.status_code == 200
    body = response.text
    assert body.index(NOTICE["zh-CN"]) < body.index("紧急求助，请按1")
    await callcenter_of(runtime).drain()
    ((method, uri, data),) = fake_http.requests
    assert method == "POST"
    assert uri.endswith(f"/Accounts/{ACCOUNT}/Calls/{INCOMING['CallSid']}/Recordings.json")
    assert data["RecordingChannels"] == "dual"
