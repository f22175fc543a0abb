"""The call queue through the routing desk: waiting calls and call-back tasks are offered like
alarms, accepting answers or places the call, the call's end completes the task."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from accounts.models import AuditEntry
from callcenter.models import CallCase, CallLeg
from callcenter.routing import call_tasks
from callcenter.routing.lifespan import desk_of
from config.settings import Settings
from dashboard.app import create_app
from runtime.clock import ManualClock
from runtime.context import Runtime
from tests.callcenter.conftest import dial, phone_event, press
from tests.callcenter.test_routing_desk import operators, token

CALLER = "+8613700000077"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The routing loop is driven by hand (sync, tick) under the manual clock."""
    return settings.model_copy(update={"run_background_tasks": False})


async def sync(runtime: Runtime) -> None:
    await call_tasks.sync_call_tasks(runtime, desk_of(runtime))


async def my_desk(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    answer: dict[str, Any] = (await client.get("/api/v1/routing/me", headers=headers)).json()
    return answer


async def test_emergency_call_is_broadcast_and_accepting_answers_it(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """A caller pressing 1 is offered to the emergency-skilled operator; accepting answers the
    call as theirs (audited); hanging up completes the task and starts wrap-up."""
    (skilled,) = await operators(runtime, client, 1, ["emergency"])
    call = await dial(client, skilled, CALLER)
    call_id = call["call"]["id"]
    await press(client, skilled, call_id, digits="1")
    await sync(runtime)
    (offer,) = (await my_desk(client, skilled))["offers"]
    assert (offer["ref"], offer["kind"], offer["priority"]) == \
        (f"call:{call_id}", "emergency_call", 1)
    accepted = await client.post(f"/api/v1/routing/tasks/{offer['id']}/accept", headers=skilled)
    assert accepted.status_code == 200, accepted.text
    answered = (await client.get(f"/api/v1/calls/{call_id}", headers=skilled)).json()
    assert answered["operator"] == "op0" and answered["answered_at"] is not None
    assert (await client.get("/api/v1/calls/queue", headers=skilled)).json() == []
    async with runtime.sessions() as session:
        actions = (await session.execute(select(AuditEntry.detail).where(
            AuditEntry.action == "call.answer"))).scalars().all()
    assert actions == [{"call": call_id, "via": "routing"}]
    await client.post(f"/api/v1/calls/{call_id}/hangup", headers=skilled)
    await sync(runtime)
    desk = await my_desk(client, skilled)
    assert desk["working_on"] == [] and desk["operator"]["state"] == "wrap_up"


async def test_menu_call_reserves_the_longest_idle_operator_with_a_countdown(
    client: httpx.AsyncClient, runtime: Runtime, clock: ManualClock
) -> None:
    """A policy call is reserved for one operator for 15 s; unanswered, it moves on."""
    team = await operators(runtime, client, 2, [])
    call = await dial(client, team[0], CALLER)
    await press(client, team[0], call["call"]["id"], digits="2")
    await sync(runtime)
    holders = [i for i, me in enumerate(team) if (await my_desk(client, me))["offers"]]
    assert len(holders) == 1
    (offer,) = (await my_desk(client, team[holders[0]]))["offers"]
    assert offer["kind"] == "call" and offer["state"] == "reserved"
    assert offer["reservation_expires"] is not None
    clock.advance(16)
    await desk_of(runtime).tick()
    other = team[1 - holders[0]]
    (moved,) = (await my_desk(client, other))["offers"]
    assert moved["id"] == offer["id"]
    assert (await client.post(f"/api/v1/routing/tasks/{offer['id']}/accept",
                              headers=other)).status_code == 200
    answered = (await client.get(f"/api/v1/calls/{call['call']['id']}", headers=other)).json()
    assert answered["operator"] == f"op{1 - holders[0]}"


async def test_caller_who_hangs_up_is_withdrawn_from_the_desk(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """A caller leaving the queue takes their task off the desk; nobody is left holding it."""
    (me,) = await operators(runtime, client, 1, [])
    call = await dial(client, me, CALLER)
    await press(client, me, call["call"]["id"], digits="3")
    await sync(runtime)
    assert len((await my_desk(client, me))["offers"]) == 1
    await phone_event(client, me, call["call"]["id"], "completed")
    await sync(runtime)
    desk = await my_desk(client, me)
    assert desk["offers"] == [] and desk["operator"]["state"] == "available"


async def test_english_caller_goes_to_an_english_speaker(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """The language chosen in the menu is the task's: only an operator who speaks it is asked."""
    team = await operators(runtime, client, 2, [])
    boss = await token(client, "boss")
    await client.put("/api/v1/routing/operators/op1", headers=boss,
                     json={"skills": [], "languages": ["zh-CN", "en-US"]})
    await client.post("/api/v1/routing/me/state", json={"state": "available"}, headers=team[1])
    call = await dial(client, team[0], CALLER)
    await press(client, team[0], call["call"]["id"], digits="9")
    await press(client, team[0], call["call"]["id"], digits="2")
    await sync(runtime)
    assert (await my_desk(client, team[0]))["offers"] == []
    (offer,) = (await my_desk(client, team[1]))["offers"]
    assert offer["ref"] == f"call:{call['call']['id']}"


async def test_requested_call_back_is_a_task_that_places_the_call(
    client: httpx.AsyncClient, runtime: Runtime, clock: ManualClock
) -> None:
    """A caller who asked to be called back waits on the desk; accepting rings them straight
    to the operator, and closing the call-back completes the task."""
    (me,) = await operators(runtime, client, 1, [])
    call = await dial(client, me, CALLER)
    await press(client, me, call["call"]["id"], digits="2")
    async with runtime.sessions() as session:
        leg = await session.get(CallLeg, call["call"]["id"])
        assert leg is not None
        leg.callback_offered = True
        await session.commit()
    await press(client, me, call["call"]["id"], digits="1")
    await sync(runtime)
    (offer,) = (await my_desk(client, me))["offers"]
    assert offer["kind"] == "callback" and offer["ref"].startswith("case:")
    assert (await client.post(f"/api/v1/routing/tasks/{offer['id']}/accept",
                              headers=me)).status_code == 200
    async with runtime.sessions() as session:
        back = await session.scalar(select(CallLeg).where(CallLeg.purpose == "operator_call"))
        case = await session.scalar(select(CallCase))
    assert back is not None and case is not None
    assert (back.to_number, back.operator, back.case_id) == (CALLER, "op0", case.id)
    assert case.operator == "op0"
    done = await client.post(f"/api/v1/calls/cases/{case.id}/done", headers=me,
                             json={"outcome": "called_back"})
    assert done.status_code == 200
    await sync(runtime)
    assert (await my_desk(client, me))["working_on"] == []


async def test_a_restart_resumes_call_tasks_without_queueing_twice(
    settings: Settings, clock: ManualClock
) -> None:
    """With a call reserved when the service stops, the new one holds the same reservation
    and does not queue the call again."""
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        runtime: Runtime = app.state.runtime
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            (me,) = await operators(runtime, http, 1, [])
            call = await dial(http, me, CALLER)
            await press(http, me, call["call"]["id"], digits="3")
        await sync(runtime)
        before = {t.ref: (t.state, t.reserved_to) for t in desk_of(runtime).router.tasks.values()}
    assert before == {f"call:{call['call']['id']}": ("reserved", "op0")}
    again = create_app(settings, clock=clock)
    async with again.router.lifespan_context(again):
        runtime = again.state.runtime
        await sync(runtime)
        after = {t.ref: (t.state, t.reserved_to) for t in desk_of(runtime).router.tasks.values()}
    assert after == before


async def test_accepting_a_call_whose_caller_just_left_is_refused(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """The caller hangs up between the offer and the accept: 409 naming the call, the task
    is finished and nobody is on the call."""
    (me,) = await operators(runtime, client, 1, [])
    call = await dial(client, me, CALLER)
    call_id = call["call"]["id"]
    await press(client, me, call_id, digits="3")
    await sync(runtime)
    (offer,) = (await my_desk(client, me))["offers"]
    await phone_event(client, me, call_id, "completed")
    refused = await client.post(f"/api/v1/routing/tasks/{offer['id']}/accept", headers=me)
    assert refused.status_code == 409
    assert f"call {call_id} is not waiting" in refused.json()["detail"]
    assert (await my_desk(client, me))["working_on"] == []
    left = (await client.get(f"/api/v1/calls/{call_id}", headers=me)).json()
    assert left["operator"] is None and left["outcome"] == "abandoned"
