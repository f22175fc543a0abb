"""KPIs on a constructed morning of calls and alarms, checked against answers worked by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from accounts.roles import Role
from alarms import service as alarms_service
from callcenter.models import CallLeg
from callcenter.routing.lifespan import desk_of
from callcenter.routing.models import OperatorStateChange
from callcenter.routing.rules import OperatorState, TaskKind
from runtime.clock import ManualClock
from runtime.context import Runtime
from seniors import service as seniors_service
from seniors.schemas import SeniorCreate
from tests.conftest import LoginAs
from tests.seniors.test_api import senior_body

DAY = datetime(2026, 1, 5, tzinfo=UTC)


def at(hh: int, mm: int, ss: int = 0) -> datetime:
    return DAY.replace(hour=hh, minute=mm, second=ss)


# queue, offered, answered, ended, operator
CALLS = [
    ("emergency", at(9, 0), at(9, 0, 10), at(9, 3, 10), "test_operator"),  # wait 10, talk 180
    ("emergency", at(9, 10), at(9, 10, 30), at(9, 12, 30), "opb"),  # wait 30, talk 120
    ("emergency", at(9, 20), None, at(9, 20, 3), None),  # hung up after 3 s (short)
    ("emergency", at(9, 30), None, at(9, 31), None),  # hung up after 60 s
    ("consultation", at(10, 0), at(10, 0, 5), at(10, 5, 5), "test_operator"),  # wait 5, talk 300
    ("consultation", at(8, 0), at(8, 0, 1), at(8, 1), "opb"),  # before the interval
]


# The operators' day as the routing desk records it (see the occupancy test for the sums).
STATES = [
    ("test_operator", "available", at(8, 30)),  # in force when the interval opens
    ("test_operator", "busy", at(9, 0, 10)),
    ("test_operator", "wrap_up", at(9, 3, 10)),
    ("test_operator", "available", at(9, 4, 10)),
    ("test_operator", "break", at(9, 30)),
    ("test_operator", "available", at(10, 0)),
    ("test_operator", "busy", at(10, 0, 5)),
    ("test_operator", "wrap_up", at(10, 5, 5)),
    ("test_operator", "available", at(10, 5, 35)),
    ("test_operator", "offline", at(11, 0)),
    ("opb", "available", at(9, 5)),
    ("opb", "busy", at(9, 10, 30)),
    ("opb", "wrap_up", at(9, 12, 30)),
    ("opb", "reserved", at(9, 13)),
    ("opb", "available", at(9, 13, 15)),
    ("opb", "offline", at(9, 35)),
]


async def seed(runtime: Runtime) -> None:
    async with runtime.sessions() as session:
        for queue, offered, answered, ended, operator in CALLS:
            session.add(CallLeg(provider="simulator", direction="inbound", from_number="+86",
                                to_number="12349", status="completed", queue=queue,
                                created_at=offered, offered_at=offered, answered_at=answered,
                                ended_at=ended, operator=operator, ivr_path=[], ivr_state={}))
        senior = await seniors_service.create_senior(
            session, data=SeniorCreate.model_validate(senior_body()), now=DAY)
        for minute, waited, kind in ((0, 30, "sos"), (5, 90, "fall"), (10, 200, "smoke"),
                                     (15, None, "gas")):
            raised = await alarms_service.raise_alarm(
                session, senior_id=senior.id, kind=kind, at=at(9, minute))
            if waited is not None:
                await alarms_service.acknowledge(
                    session, alarm_id=raised.alarm.id, by="op",
                    at=at(9, minute) + timedelta(seconds=waited))
        session.add_all(OperatorStateChange(username=name, state=state, at=when)
                        for name, state, when in STATES)
        await session.commit()


async def test_kpis_match_the_hand_computed_morning(client: httpx.AsyncClient,
                                                   login_as: LoginAs, runtime: Runtime) -> None:
    """Service level, ASA, abandonment, AHT (talk + 30 s wrap-up) and alarm shares."""
    await seed(runtime)
    supervisor = await login_as(Role.SUPERVISOR)
    params = {"from": "2026-01-05T09:00:00+00:00", "to": "2026-01-05T12:00:00+00:00"}
    report = (await client.get("/api/v1/kpis", params=params, headers=supervisor)).json()
    assert report["calls"] == {
        "offered": 5, "answered": 3, "abandoned": 2, "service_level": 0.4,
        "service_level_excluding_short_abandons": 0.5, "average_speed_of_answer_s": 15.0,
        "abandonment_rate": 0.4, "average_handle_time_s": 230.0, "occupancy": 0.1,
    }
    emergency = report["queues"]["emergency"]
    assert emergency["service_level"] == 0.25
    assert emergency["service_level_excluding_short_abandons"] == 0.3333
    assert emergency["average_handle_time_s"] == 180.0
    assert report["operators"]["test_operator"]["average_handle_time_s"] == 270.0
    assert report["operators"]["test_operator"]["average_speed_of_answer_s"] == 7.5
    alarms = report["alarms"]
    assert alarms["raised"] == 4
    assert alarms["share_within_60s"] == 0.25 and alarms["share_within_180s"] == 0.5
    assert [(a["kind"], a["acknowledged"]) for a in alarms["waited_over_180s"]] == [
        ("smoke", True), ("gas", False)]
    csv = (await client.get("/api/v1/kpis.csv", params=params, headers=supervisor)).text
    assert csv.splitlines()[1] == "calls,all,5,3,2,0.4,0.5,15.0,0.4,230.0,0.1"


async def test_operators_see_only_themselves(client: httpx.AsyncClient, login_as: LoginAs,
                                             runtime: Runtime) -> None:
    """An operator's report holds their own figures and nobody else's; bad intervals are 422."""
    await seed(runtime)
    operator = await login_as(Role.OPERATOR)
    params = {"from": "2026-01-05T09:00:00+00:00", "to": "2026-01-05T12:00:00+00:00"}
    mine = (await client.get("/api/v1/kpis", params=params, headers=operator)).json()
    assert list(mine["operators"]) == ["test_operator"]
    assert "calls" not in mine and "alarms" not in mine
    backwards = await client.get("/api/v1/kpis", headers=operator,
                                 params={"from": params["to"], "to": params["from"]})
    assert backwards.status_code == 422 and "to must be after from" in backwards.text
    dispatcher = await login_as(Role.DISPATCHER)
    assert (await client.get("/api/v1/kpis", params=params,
                             headers=dispatcher)).status_code == 403


async def test_occupancy_matches_the_hand_computed_day(client: httpx.AsyncClient,
                                                       login_as: LoginAs,
                                                       runtime: Runtime) -> None:
    """Occupancy = (talk + hold + wrap-up) / logged-in time without breaks, per operator, per
    queue and in all, for the whole morning and for a ten-minute slice that cuts states."""
    await seed(runtime)
    supervisor = await login_as(Role.SUPERVISOR)
    params = {"from": "2026-01-05T09:00:00+00:00", "to": "2026-01-05T12:00:00+00:00"}
    report = (await client.get("/api/v1/kpis", params=params, headers=supervisor)).json()
    # test_operator: busy 180 + 300 s, wrap-up 60 + 30 s; present 09:00-11:00 less a 30 min
    # break = 5400 s, so 570 / 5400. opb: 150 s of work in 30 min present.
    assert report["operators"]["test_operator"]["occupancy"] == 0.1056
    assert report["operators"]["test_operator"]["talk_and_hold_s"] == 480.0
    assert report["operators"]["test_operator"]["wrap_up_s"] == 90.0
    assert report["operators"]["test_operator"]["break_s"] == 1800.0
    assert report["operators"]["test_operator"]["logged_in_excluding_break_s"] == 5400.0
    assert report["operators"]["opb"]["occupancy"] == 0.0833
    assert report["occupancy"]["occupancy"] == 0.1  # 720 / 7200
    # Queues: talk + 30 s wrap-up of their answered calls over the present time of the
    # operators who took them: emergency (210 + 150) / 7200, consultation 330 / 5400.
    assert report["queues"]["emergency"]["occupancy"] == 0.05
    assert report["queues"]["consultation"]["occupancy"] == 0.0611
    csv_rows = (await client.get("/api/v1/kpis.csv", params=params,
                                 headers=supervisor)).text.splitlines()
    assert csv_rows[0].endswith(",occupancy")
    assert any(row.startswith("operator,opb,") and row.endswith(",0.0833") for row in csv_rows)
    slice_ = {"from": "2026-01-05T09:00:00+00:00", "to": "2026-01-05T09:10:00+00:00"}
    early = (await client.get("/api/v1/kpis", params=slice_, headers=supervisor)).json()
    # 09:00-09:10: test_operator 180 busy + 60 wrap-up of 600 s; opb idle 300 s.
    assert early["operators"]["test_operator"]["occupancy"] == 0.4
    assert early["operators"]["opb"]["occupancy"] == 0.0
    assert early["occupancy"]["occupancy"] == 0.2667


async def test_the_desk_records_state_changes_that_occupancy_reads(
        client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime,
        clock: ManualClock) -> None:
    """Available, reserved, busy, wrap-up and back, as the desk moves an operator, give the
    occupancy worked out by hand: (120 s talk + 30 s wrap-up) / 300 s."""
    operator = await login_as(Role.OPERATOR)
    start = clock.now()
    answer = await client.post("/api/v1/routing/me/state", json={"state": "available"},
                               headers=operator)
    assert answer.status_code == 200
    desk = desk_of(runtime)
    clock.advance(100)
    task = await desk.add_task(kind=TaskKind.CALL, priority=3, ref="call:test")
    assert task is not None
    clock.advance(5)
    await desk.accept(task.id, "test_operator")
    clock.advance(120)
    await desk.complete(task.id, "test_operator")
    clock.advance(30)
    await desk.tick()
    clock.advance(45)
    assert desk.router.operators["test_operator"].state == OperatorState.AVAILABLE
    params = {"from": start.isoformat(), "to": clock.now().isoformat()}
    mine = (await client.get("/api/v1/kpis", params=params, headers=operator)).json()
    figures = mine["operators"]["test_operator"]
    assert (figures["talk_and_hold_s"], figures["wrap_up_s"]) == (120.0, 30.0)
    assert figures["logged_in_excluding_break_s"] == 300.0
    assert figures["occupancy"] == 0.5
