"""Recordings in a real browser: a supervisor opens the incident of a recorded call, sees
the recording and plays it; the playback is audited."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser
from sqlalchemy import select

from accounts.models import AuditEntry
from callcenter.recordings import flows as recordings
from config.settings import Settings
from dashboard.app import create_app
from incidents.models import Incident
from seniors import service as seniors_service
from tests.conftest import LiveServer, serve
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.browser


@pytest.fixture
async def recording_server(settings: Settings) -> AsyncIterator[LiveServer]:
    demo = settings.model_copy(update={"demo": True, "recording_call_kinds": ["hotline"]})
    async for server in serve(create_app(demo)):
        yield server


async def test_a_supervisor_plays_a_recorded_call_from_its_incident(
        recording_server: LiveServer, browser: Browser) -> None:
    """A senior's recorded call is answered and ended; on the incident page the supervisor
    finds its recording, plays it in the page's player, and the playback is in the audit."""
    server = recording_server
    runtime = server.runtime
    async with runtime.sessions() as session:
        number = (await seniors_service.get_senior(session, 5)).phones[0].number
    operator = await browser.new_page()
    await log_in(operator, server, "operator2")
    dialled = await operator.request.post(f"{server.url}/telephony/simulator/calls",
                                          data={"from_number": number})
    call_id = (await dialled.json())["call"]["id"]
    await operator.request.post(f"{server.url}/telephony/simulator/calls/{call_id}/input",
                                data={"digits": "1"})
    answered = await operator.request.post(f"{server.url}/api/v1/calls/{call_id}/answer")
    assert answered.ok, await answered.text()
    await operator.request.post(f"{server.url}/api/v1/calls/{call_id}/hangup")
    assert await recordings.collect(runtime) == 1
    async with runtime.sessions() as session:
        incident_id = await session.scalar(select(Incident.id).where(Incident.senior_id == 5))

    page = await browser.new_page()
    await log_in(page, server, "supervisor1")
    await page.goto(f"{server.url}/app#/incident/{incident_id}")
    await page.click("#incident-recordings li[data-state=stored] button.play-recording",
                     timeout=15000)
    await page.wait_for_function(
        "() => (document.querySelector('#incident-recordings audio') || {}).src"
        "?.startsWith('blob:')")
    async with runtime.sessions() as session:
        plays = (await session.scalars(select(AuditEntry.actor).where(
            AuditEntry.action == "recording.played"))).all()
    assert plays == ["supervisor1"]
