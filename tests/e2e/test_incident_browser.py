"""An incident in a real browser: acknowledge an alarm, open its incident, add a note, order
a service, call a contact on the simulated network, and resolve."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser
from sqlalchemy import select

from alarms import flows
from alarms import service as alarms_service
from callcenter.models import CallLeg
from seniors import service as seniors_service
from tests.conftest import LiveServer
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.browser


async def test_operator_works_an_incident_from_acknowledgement_to_resolution(
        demo_server: LiveServer, browser: Browser) -> None:
    """The operator acknowledges an SOS, follows the link to its incident, writes a note,
    orders a meal delivery, rings the first contact (who answers on the simulator), hangs up
    and resolves: the incident closes and the alarm is resolved with the same disposition."""
    runtime = demo_server.runtime
    raised = await flows.raise_and_announce(runtime, senior_id=3, kind="sos",
                                            at=runtime.clock.now())
    alarm_id = raised.alarm.id
    page = await browser.new_page()
    await log_in(page, demo_server, "operator1")
    await page.click("#nav a[data-page=alarms]")
    await page.click(f"#alarm-rows tr[data-id='{alarm_id}'] button.ack")
    await page.click("#incident-link", timeout=15000)
    await page.wait_for_selector("#incident-state[data-state=open]")
    await page.wait_for_selector("#incident-senior #record-medical")
    await page.wait_for_selector("#incident-timeline li[data-what='alarm.acknowledged']")

    await page.fill("#note-text", "老人按了求助键，电话里说头晕")
    await page.click("#save-note")
    await page.wait_for_selector("#incident-timeline li[data-what=note]")
    assert "头晕" in await page.inner_text("#incident-timeline")
    assert "null" not in await page.inner_text("#incident-actions")

    form = page.locator("#incident-actions form.service-order")
    await form.locator("select[name=service] option[value=meals]").wait_for(state="attached")
    await form.locator("select[name=service]").select_option("meals")
    await form.locator("select[name=urgency]").select_option("same_day")
    await form.locator("button.create-order").click()
    await page.wait_for_selector("#incident-timeline li[data-what^='order.']", timeout=15000)

    await page.click("#record-contacts li[data-position='0'] button.call-contact")
    async with runtime.sessions() as session:
        leg = None
        for _ in range(50):
            leg = await session.scalar(select(CallLeg).where(
                CallLeg.purpose == "operator_call", CallLeg.contact_position == 0))
            if leg is not None:
                break
            await page.wait_for_timeout(100)
        assert leg is not None and leg.operator == "operator1"
    answered = await page.request.post(
        f"{demo_server.url}/telephony/simulator/calls/{leg.id}/events",
        data={"kind": "answered"})
    assert answered.ok, await answered.text()
    await page.wait_for_selector(
        "#incident-timeline li[data-what='call.answered']", timeout=15000)
    await page.wait_for_selector("#incident-contacts li[data-outcome=reached]")
    ended = await page.request.post(f"{demo_server.url}/api/v1/calls/{leg.id}/hangup")
    assert ended.ok, await ended.text()

    await page.select_option("#contact-position", "1")
    await page.select_option("#contact-outcome", "left_message")
    await page.click("#record-contact")
    # A message left is not a contact reached: it shows in the timeline, not in the list.
    await page.wait_for_selector("#incident-timeline li[data-what=contact]")
    assert await page.locator("#incident-contacts li[data-outcome=left_message]").count() == 0
    assert await page.locator("#incident-contacts li[data-outcome=reached]").count() == 1

    await page.select_option("#incident-disposition", "genuine_handled")
    await page.fill("#incident-summary", "家属已到场，老人无碍")
    await page.click("#resolve-incident")
    await page.wait_for_selector("#incident-state[data-state=closed]")
    async with runtime.sessions() as session:
        alarm = await alarms_service.get_alarm(session, alarm_id)
    assert (alarm.state, alarm.disposition, alarm.resolved_by) == (
        "resolved", "genuine_handled", "operator1")


async def test_answering_a_seniors_call_pops_up_the_record_and_opens_an_incident(
        demo_server: LiveServer, browser: Browser) -> None:
    """A registered senior calls and presses 1; the operator answers on the calls page, sees
    the senior's record with devices and history, and follows the link to the new incident,
    whose timeline holds the answered call."""
    runtime = demo_server.runtime
    async with runtime.sessions() as session:
        senior = await seniors_service.get_senior(session, 5)
        number = senior.phones[0].number
    page = await browser.new_page()
    await log_in(page, demo_server, "operator2")
    dialled = await page.request.post(f"{demo_server.url}/telephony/simulator/calls",
                                      data={"from_number": number})
    assert dialled.ok, await dialled.text()
    call_id = (await dialled.json())["call"]["id"]
    pressed = await page.request.post(
        f"{demo_server.url}/telephony/simulator/calls/{call_id}/input", data={"digits": "1"})
    assert pressed.ok, await pressed.text()
    await page.click("#nav a[data-page=calls]")
    await page.click(f"#calls-rows tr[data-id='{call_id}'] button.answer")
    await page.wait_for_selector("#calls-senior #record-devices")
    assert senior.name in await page.inner_text("#calls-senior #record-name")
    await page.click("#calls-incident-link")
    await page.wait_for_selector("#incident-state[data-state=open]")
    await page.wait_for_selector("#incident-timeline li[data-what='call.answered']")
    timeline = await page.inner_text("#incident-timeline")
    assert "值班员 张伟" in timeline and "operator2" not in timeline
