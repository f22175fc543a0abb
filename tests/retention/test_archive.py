"""Archiving the case record by age: closed records leave the lists, stay readable by id."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import httpx
from sqlalchemy import insert

from accounts.roles import Role
from alarms.models import Alarm
from callcenter.models import CallLeg
from retention import flows as retention_flows
from runtime.clock import ManualClock
from runtime.context import Runtime
from seniors.models import Senior
from tests.conftest import LoginAs

NOW = datetime(2026, 12, 1, 8, tzinfo=UTC)


def alarm(*, senior_id: int, at: datetime, state: str) -> dict[str, object]:
    return {"senior_id": senior_id, "kind": "sos", "priority": 1, "state": state,
            "open_key": None if state == "resolved" else f"{senior_id}:sos",
            "voice_path": False, "condition_active": False, "count": 1, "first_at": at,
            "last_at": at, "details": {}, "escalation_level": 0, "notes": ""}


def call(*, at: datetime, ended: bool) -> dict[str, object]:
    return {"provider": "simulator", "direction": "inbound", "purpose": "hotline",
            "from_number": "+8613900000001", "to_number": "12349", "status": "completed",
            "ivr_state": {}, "ivr_path": [], "priority": 3, "created_at": at,
            "ended_at": at + timedelta(minutes=3) if ended else None,
            "callback_offered": False}


async def fill(runtime: Runtime) -> None:
    old, recent = NOW - timedelta(days=800), NOW - timedelta(days=10)
    async with runtime.sessions() as session:
        await session.execute(insert(Senior), [{
            "id": 1, "name": "王秀英", "resident_id": "R00000000000000001",
            "birth_date": date(1940, 1, 1), "sex": "F", "address": "", "district": "新城区",
            "lives_alone": False, "languages": [], "medical_notes": "",
            "subsidy_categories": [], "created_at": old, "updated_at": old}])
        await session.execute(insert(Alarm), [
            alarm(senior_id=1, at=old, state="resolved"),
            alarm(senior_id=1, at=recent, state="resolved"),
            alarm(senior_id=1, at=old, state="acknowledged")])
        await session.execute(insert(CallLeg), [call(at=old, ended=True),
                                                call(at=recent, ended=True)])
        await session.commit()


async def test_old_closed_cases_leave_the_lists_but_stay_readable(
        client: httpx.AsyncClient, login_as: LoginAs, runtime: Runtime) -> None:
    """Past the archive age, resolved alarms and ended calls leave the lists; open ones stay."""
    await fill(runtime)
    policy = retention_flows.RetentionPolicy(case_archive_days=365, pause_factor=0)
    report = await retention_flows.retention_pass(runtime.sessions, policy=policy,
                                                  clock=ManualClock(NOW))
    assert (report.archived["alarms"], report.archived["calls"]) == (1, 1)
    headers = await login_as(Role.SUPERVISOR)
    listed = (await client.get("/api/v1/alarms", headers=headers)).json()
    assert sorted(a["id"] for a in listed) == [2, 3]
    everything = (await client.get("/api/v1/alarms", params={"archived": "true"},
                                   headers=headers)).json()
    assert sorted(a["id"] for a in everything) == [1, 2, 3]
    assert (await client.get("/api/v1/alarms/1", headers=headers)).status_code == 200
    calls = (await client.get("/api/v1/calls", headers=headers)).json()
    assert [c["id"] for c in calls] == [2]
    again = await retention_flows.retention_pass(runtime.sessions, policy=policy,
                                                 clock=ManualClock(NOW))
    assert again.archived["alarms"] == 0


async def test_nothing_is_archived_by_default(runtime: Runtime) -> None:
    """Without ANXIN_CASE_ARCHIVE_DAYS the case record is never archived."""
    await fill(runtime)
    policy = retention_flows.RetentionPolicy.from_settings(runtime.settings)
    report = await retention_flows.retention_pass(runtime.sessions, policy=policy,
                                                  clock=ManualClock(NOW))
    assert report.archived == {}
