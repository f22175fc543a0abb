"""Outbound work beyond the basic cascade: bus-driven call-backs, restarts, alarm owners,
campaigns, and who may use the call API."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from sqlalchemy import select

from accounts.roles import Role
from alarms import events as alarm_events
from alarms import service as alarms_service
from callcenter import flows, service
from callcenter.lifespan import callcenter_of
from callcenter.models import CallCase, CallLeg
from callcenter.port import CallStatus
from config.settings import Settings
from dashboard.app import create_app
from runtime.clock import ManualClock
from runtime.context import Runtime
from seniors import service as seniors_service
from seniors.schemas import SeniorCreate
from tests.callcenter.conftest import SENIOR_PHONE, SON_PHONE, phone_event, press, spoken
from tests.conftest import LoginAs
from tests.seniors.test_api import senior_body


async def raise_sos(runtime: Runtime, senior_id: int, *, publish: bool = False) -> int:
    async with runtime.sessions() as session:
        raised = await alarms_service.raise_alarm(session, senior_id=senior_id, kind="sos",
                                                  at=runtime.clock.now())
        rows = await alarm_events.rows_of(session, [raised.alarm])
        await session.commit()
    if publish:
        alarm_events.publish_raised(runtime.bus, raised.alarm, rows)
    return raised.alarm.id


async def legs(runtime: Runtime) -> list[CallLeg]:
    async with runtime.sessions() as session:
        return list((await session.execute(select(CallLeg).order_by(CallLeg.id))).scalars())


async def test_alarm_raised_event_rings_the_senior_without_waiting_for_the_sweep(
    runtime: Runtime, senior_id: int
) -> None:
    """The alarm.raised bus event alone starts the call-back to the senior's phone."""
    await raise_sos(runtime, senior_id, publish=True)
    for _ in range(200):
        if await legs(runtime):
            break
        await asyncio.sleep(0.01)
    await callcenter_of(runtime).drain()
    found = await legs(runtime)
    assert [(c.to_number, c.purpose) for c in found] == [(SENIOR_PHONE, "alarm_callback")]
    await flows.sweep(runtime)  # the sweep sees the same alarm and does not call twice
    assert len(await legs(runtime)) == 1


async def test_cascade_resumes_after_a_restart(settings: Settings, clock: ManualClock) -> None:
    """A no-answer stored just before a restart: the next process dials the son."""
    first_process = create_app(settings, clock=clock)
    async with first_process.router.lifespan_context(first_process):
        runtime: Runtime = first_process.state.runtime
        async with runtime.sessions() as session:
            senior = await seniors_service.create_senior(
                session, data=SeniorCreate.model_validate(senior_body()), now=clock.now())
            await session.commit()
        await raise_sos(runtime, senior.id)
        await flows.sweep(runtime)
        async with runtime.sessions() as session:
            first = (await session.execute(select(CallLeg))).scalar_one()
            await service.record_status(session, call=first, status=CallStatus.NO_ANSWER,
                                        now=clock.now())
            await session.commit()
    # The first process stopped before any follow-up ran; the next one picks the case up.
    second_process = create_app(settings, clock=clock)
    async with second_process.router.lifespan_context(second_process):
        again: Runtime = second_process.state.runtime
        await flows.sweep(again)
        assert [c.to_number for c in await legs(again)] == [SENIOR_PHONE, SON_PHONE]


async def test_answered_call_back_is_marked_for_the_operator_owning_the_alarm(
    client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime, senior_id: int
) -> None:
    """The operator who acknowledged the SOS sees the senior's answered call-back first."""
    operator = await login_as(Role.OPERATOR)
    alarm_id = await raise_sos(runtime, senior_id)
    async with runtime.sessions() as session:
        await alarms_service.acknowledge(session, alarm_id=alarm_id, by="test_operator",
                                         at=runtime.clock.now())
        await session.commit()
    await flows.sweep(runtime)
    call_id = (await legs(runtime))[0].id
    answered = await phone_event(client, operator, call_id, "answered")
    assert "求助信号" in spoken(answered)
    await callcenter_of(runtime).drain()
    queue = (await client.get("/api/v1/calls/queue", headers=operator)).json()
    assert [(c["id"], c["reserved_for"]) for c in queue] == [(call_id, "test_operator")]
    async with runtime.sessions() as session:
        case = (await session.execute(select(CallCase))).scalar_one()
    assert case.outcome == "senior_reached"


async def test_wellbeing_campaign_calls_seniors_living_alone_and_records_results(
    client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime, senior_id: int
) -> None:
    """A wellbeing call is answered, 1 is pressed, and the campaign reports one 'well'."""
    supervisor = await login_as(Role.SUPERVISOR)
    created = await client.post("/api/v1/calls/campaigns", headers=supervisor,
                                json={"kind": "wellbeing", "name": "周一关怀回访"})
    assert created.status_code == 201, created.text
    await flows.sweep(runtime)
    (call,) = await legs(runtime)
    assert (call.to_number, call.purpose) == (SENIOR_PHONE, "wellbeing")
    answered = await phone_event(client, supervisor, call.id, "answered")
    assert "一切都好，请按1" in spoken(answered)
    await press(client, supervisor, call.id, digits="1")
    await phone_event(client, supervisor, call.id, "completed")
    await flows.sweep(runtime)
    report: dict[str, Any] = (await client.get(f"/api/v1/calls/campaigns/{created.json()['id']}",
                                               headers=supervisor)).json()
    assert report["results"] == {"well": 1}
    assert report["finished_at"] is not None


async def test_heat_warning_reaches_only_the_district(
    client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime, senior_id: int
) -> None:
    """A warning for another district calls nobody; for 新城区 it is read and recorded."""
    supervisor = await login_as(Role.SUPERVISOR)
    elsewhere = await client.post("/api/v1/calls/campaigns", headers=supervisor, json={
        "kind": "warning", "name": "高温预警", "district": "赛罕区"})
    here = await client.post("/api/v1/calls/campaigns", headers=supervisor, json={
        "kind": "warning", "name": "高温预警", "district": "新城区",
        "message": "明天最高气温38度，请减少外出，多喝水。"})
    await flows.sweep(runtime)
    (call,) = await legs(runtime)
    answered = await phone_event(client, supervisor, call.id, "answered")
    assert spoken(answered).count("明天最高气温38度") == 2
    assert answered["actions"][-1]["type"] == "hangup"
    await phone_event(client, supervisor, call.id, "completed")
    report = (await client.get(f"/api/v1/calls/campaigns/{here.json()['id']}",
                               headers=supervisor)).json()
    assert report["results"] == {"delivered": 1}
    empty = (await client.get(f"/api/v1/calls/campaigns/{elsewhere.json()['id']}",
                              headers=supervisor)).json()
    assert empty["calls"] == []


async def test_only_call_staff_answer_calls(client: httpx.AsyncClient,
                                            login_as: LoginAs) -> None:
    """A dispatcher may not read the call queue, an operator may not start campaigns."""
    dispatcher = await login_as(Role.DISPATCHER)
    operator = await login_as(Role.OPERATOR)
    assert (await client.get("/api/v1/calls/queue", headers=dispatcher)).status_code == 403
    refused = await client.post("/api/v1/calls/campaigns", headers=operator,
                                json={"kind": "wellbeing", "name": "x"})
    assert refused.status_code == 403
    client.cookies.clear()  # logging in left a session cookie behind
    assert (await client.get("/api/v1/calls/queue")).status_code == 401


async def test_nobody_reached_closes_the_case_for_dispatch(
    client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime, senior_id: int
) -> None:
    """Senior and both contacts fail to answer: the case closes 'unreached', announced on the
    bus for dispatch, and the first contact's last text says so without promising a visit."""
    operator = await login_as(Role.OPERATOR)
    await raise_sos(runtime, senior_id)
    async with runtime.bus.subscribe() as subscription:
        await flows.sweep(runtime)
        for kind in ("no_answer", "failed", "busy"):
            latest = (await legs(runtime))[-1]
            await phone_event(client, operator, latest.id, kind)
            await callcenter_of(runtime).drain()
        topics = []
        await runtime.bus.settled()
        while not subscription.queue.empty():
            event = await subscription.next()
            topics.append((event.topic, event.data.get("outcome")))
    assert ("call.case", "unreached") in topics
    cases = (await client.get("/api/v1/calls/cases", headers=operator)).json()
    assert [a["outcome"] for a in cases[0]["attempts"]] == ["no_answer", "failed", "busy"]
    assert cases[0]["outcome"] == "unreached"
    # True at that moment: nobody reached yet, the operator still on it; no visit promised
    # before a provider has accepted one.
    last = cases[0]["texts"][-1]["body"]
    assert "暂未联系上" in last and "继续处理" in last and "上门" not in last
