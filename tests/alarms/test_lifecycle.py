"""Alarm lifecycle: one open alarm per senior and kind, repeats, ownership, resolution."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import func, select

from accounts.roles import Role
from alarms import flows, service
from alarms.exceptions import AlarmOwnedError, AlarmStateError
from alarms.kinds import Disposition, Priority
from alarms.models import Alarm
from runtime.clock import ManualClock
from runtime.context import Runtime
from tests.conftest import LoginAs


async def test_repeats_update_the_open_alarm(runtime: Runtime, senior_id: int,
                                             clock: ManualClock) -> None:
    """A second SOS while one is open counts a repeat; it does not open another alarm."""
    first = await flows.raise_and_announce(runtime, senior_id=senior_id, kind="sos",
                                           at=clock.now(), device_id="pendant-1")
    clock.advance(30)
    second = await flows.raise_and_announce(runtime, senior_id=senior_id, kind="sos",
                                            at=clock.now(), details={"press": 2})
    assert first.created and not second.created
    assert second.alarm.id == first.alarm.id
    assert second.alarm.count == 2
    assert second.alarm.last_at == clock.now()
    assert second.alarm.details == {"press": 2}


async def test_concurrent_duplicates_open_one_alarm(runtime: Runtime, senior_id: int,
                                                    clock: ManualClock) -> None:
    """Twenty simultaneous raises of the same condition leave one alarm counting twenty."""
    await asyncio.gather(*(
        flows.raise_and_announce(runtime, senior_id=senior_id, kind="fall", at=clock.now())
        for _ in range(20)
    ))
    async with runtime.sessions() as session:
        alarms = (await session.execute(select(Alarm))).scalars().all()
    assert len(alarms) == 1
    assert alarms[0].count == 20


async def test_resolved_alarm_lets_a_new_one_open(runtime: Runtime, senior_id: int,
                                                  clock: ManualClock) -> None:
    """After resolution the same condition opens a fresh alarm."""
    first = await flows.raise_and_announce(runtime, senior_id=senior_id, kind="sos",
                                           at=clock.now())
    async with runtime.sessions() as session:
        await service.resolve(session, alarm_id=first.alarm.id, by="op", at=clock.now(),
                              disposition=Disposition.TEST)
        await session.commit()
    again = await flows.raise_and_announce(runtime, senior_id=senior_id, kind="sos",
                                           at=clock.now())
    assert again.created and again.alarm.id != first.alarm.id


async def test_cleared_condition_keeps_the_alarm_for_the_operator(
    runtime: Runtime, senior_id: int, clock: ManualClock
) -> None:
    """Vitals back to normal mark the condition cleared; the alarm stays open."""
    raised = await flows.raise_and_announce(runtime, senior_id=senior_id, kind="heart_rate",
                                            at=clock.now(), details={"heart_rate": 125})
    async with runtime.sessions() as session:
        cleared = await service.clear_condition(session, senior_id=senior_id,
                                                kind="heart_rate", at=clock.now())
        await session.commit()
        alarm = await service.get_alarm(session, raised.alarm.id)
    assert cleared is not None
    assert alarm.state == "raised" and alarm.condition_active is False


async def test_priority_only_ever_rises(runtime: Runtime, senior_id: int,
                                        clock: ManualClock) -> None:
    """A fall followed by no movement raises the alarm to P1; a lower repeat does not lower it."""
    raised = await flows.raise_and_announce(runtime, senior_id=senior_id, kind="inactivity",
                                            at=clock.now())
    assert raised.alarm.priority == Priority.URGENT
    async with runtime.sessions() as session:
        alarm = await service.escalate_priority(session, alarm_id=raised.alarm.id,
                                                priority=Priority.LIFE_THREATENING,
                                                at=clock.now(), reason="fall then no motion")
        await session.commit()
    repeat = await flows.raise_and_announce(runtime, senior_id=senior_id, kind="inactivity",
                                            at=clock.now())
    assert alarm.priority == 1 and repeat.alarm.priority == 1


async def test_unknown_kind_is_refused(runtime: Runtime, senior_id: int,
                                       clock: ManualClock) -> None:
    """An alarm kind outside the taxonomy is an error and stores nothing."""
    with pytest.raises(ValueError, match="unknown alarm kind"):
        await flows.raise_and_announce(runtime, senior_id=senior_id, kind="bogus",
                                       at=clock.now())
    async with runtime.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Alarm)) == 0


async def test_p1_escalates_at_20_60_and_180_seconds(runtime: Runtime, senior_id: int,
                                                     clock: ManualClock) -> None:
    """Unacknowledged P1: re-alert at 20 s and 60 s, supervisor-only alert at 180 s."""
    await flows.raise_and_announce(runtime, senior_id=senior_id, kind="sos", at=clock.now())
    levels = []
    async with runtime.bus.subscribe() as sub:
        for seconds in (19, 1, 40, 119, 1, 300):
            clock.advance(seconds)
            await flows.escalate_once(runtime)
        await runtime.bus.settled()
        while sub.queue.qsize():
            event = await sub.next()
            if event.topic == "alarm.escalated":
                levels.append((event.data["level"], sorted(event.roles)))
    floor = ["operator", "supervisor"]
    assert levels == [(1, floor), (2, floor), (3, ["supervisor"])]


async def test_acknowledged_alarm_does_not_escalate(runtime: Runtime, senior_id: int,
                                                    clock: ManualClock) -> None:
    """Once an operator owns it, the alarm stops escalating."""
    raised = await flows.raise_and_announce(runtime, senior_id=senior_id, kind="fall",
                                            at=clock.now())
    clock.advance(10)
    async with runtime.sessions() as session:
        await service.acknowledge(session, alarm_id=raised.alarm.id, by="op", at=clock.now())
        await session.commit()
    clock.advance(200)
    assert await flows.escalate_once(runtime) == 0


async def test_operator_acknowledges_and_resolves_over_http(
    client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime, senior_id: int,
    clock: ManualClock,
) -> None:
    """Ack takes ownership (a second operator gets 409), resolve closes with a disposition."""
    raised = await flows.raise_and_announce(runtime, senior_id=senior_id, kind="sos",
                                            at=clock.now())
    operator = await login_as(Role.OPERATOR)
    listed = (await client.get("/api/v1/alarms", params={"state": "raised"},
                               headers=operator)).json()
    assert [a["id"] for a in listed] == [raised.alarm.id]
    clock.advance(12)
    ack = await client.post(f"/api/v1/alarms/{raised.alarm.id}/ack", headers=operator)
    assert ack.status_code == 200 and ack.json()["acknowledged_by"] == "test_operator"
    supervisor = await login_as(Role.SUPERVISOR)
    taken = await client.post(f"/api/v1/alarms/{raised.alarm.id}/ack", headers=supervisor)
    assert taken.status_code == 409 and "test_operator" in taken.json()["detail"]
    bad = await client.post(f"/api/v1/alarms/{raised.alarm.id}/resolve", headers=operator,
                            json={"disposition": "maybe"})
    assert bad.status_code == 422 and "disposition" in bad.json()["detail"]
    done = await client.post(f"/api/v1/alarms/{raised.alarm.id}/resolve", headers=operator,
                             json={"disposition": "false_alarm", "notes": "按错了"})
    assert done.json()["state"] == "resolved"
    detail = (await client.get(f"/api/v1/alarms/{raised.alarm.id}", headers=operator)).json()
    assert [s["action"] for s in detail["timeline"]] == ["raised", "acknowledged", "resolved"]
    assert detail["timeline"][1]["detail"]["waited_seconds"] == 12
    again = await client.post(f"/api/v1/alarms/{raised.alarm.id}/resolve", headers=operator,
                              json={"disposition": "test"})
    assert again.status_code == 409
    dispatcher = await login_as(Role.DISPATCHER)
    assert (await client.post(f"/api/v1/alarms/{raised.alarm.id}/ack",
                              headers=dispatcher)).status_code == 403


async def test_an_acknowledgement_that_read_the_alarm_before_another_won_gets_409(
        runtime: Runtime, senior_id: int, clock: ManualClock) -> None:
    """Finding: the acknowledgement read the state, then updated without a guard, so an
    operator whose request read 'raised' just before a colleague's committed also got 200.
    Now the second attempt is refused with the owner's name and nothing changes."""
    raised = await flows.raise_and_announce(runtime, senior_id=senior_id, kind="sos",
                                            at=clock.now())
    async with runtime.sessions() as late:
        seen = await service.get_alarm(late, raised.alarm.id)  # read while still raised
        assert seen.state == "raised"
        await late.commit()  # end the read transaction; the object stays in the session
        async with runtime.sessions() as first:
            await service.acknowledge(first, alarm_id=raised.alarm.id, by="li", at=clock.now())
            await first.commit()
        with pytest.raises(AlarmOwnedError, match="owned by li"):
            await service.acknowledge(late, alarm_id=raised.alarm.id, by="wang",
                                      at=clock.now())
        await late.rollback()
    async with runtime.sessions() as session:
        alarm = await service.get_alarm(session, raised.alarm.id)
        steps = [s.action for s in await service.timeline(session, alarm_id=alarm.id)]
    assert alarm.acknowledged_by == "li"
    assert steps.count("acknowledged") == 1


async def test_two_concurrent_resolutions_close_an_alarm_once(
        runtime: Runtime, senior_id: int, clock: ManualClock) -> None:
    """Two operators resolving at once: one resolves it, the other is told it already is."""
    raised = await flows.raise_and_announce(runtime, senior_id=senior_id, kind="fall",
                                            at=clock.now())

    async def resolve(by: str) -> str:
        async with runtime.sessions() as session:
            try:
                await service.resolve(session, alarm_id=raised.alarm.id, by=by, at=clock.now(),
                                      disposition=Disposition.FALSE_ALARM)
            except AlarmStateError as error:
                return str(error)
            await session.commit()
            return "resolved"

    outcomes = sorted(await asyncio.gather(resolve("li"), resolve("wang")))
    assert outcomes[0].startswith("alarm") and "already resolved" in outcomes[0]
    assert outcomes[1] == "resolved"
