"""Escalation against other writers of alarm rows, on PostgreSQL's row locks."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select, text, update

from alarms import flows
from alarms.models import Alarm
from runtime.clock import ManualClock
from runtime.context import Runtime
from seniors import service as seniors_service
from seniors.schemas import SeniorCreate
from tests.databases import Backend
from tests.seniors.test_api import senior_body


async def _another_senior(runtime: Runtime) -> int:
    async with runtime.sessions() as session:
        senior = await seniors_service.create_senior(
            session, data=SeniorCreate.model_validate(senior_body(
                name="张桂兰", resident_id="150102194612150026", phones=["138 0471 0002"])),
            now=runtime.clock.now())
        await session.commit()
        return senior.id


async def _until_a_lock_is_awaited(runtime: Runtime) -> None:
    async with runtime.sessions() as session:
        for _ in range(200):
            waiting = await session.scalar(text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database()"))
            if waiting:
                return
            await session.rollback()
            await asyncio.sleep(0.05)
    raise AssertionError("the escalation never waited for the held alarm")


async def test_escalation_never_holds_one_alarm_while_waiting_for_another(
        runtime: Runtime, senior_id: int, clock: ManualClock, backend: Backend) -> None:
    """While another transaction holds one overdue SOS (the rules feed counting a repeat) and
    then touches a second, the escalation of both completes: no deadlock, both escalate."""
    if backend == "sqlite":
        pytest.skip("row locks and their deadlocks are PostgreSQL's; SQLite has one writer")
    first = await flows.raise_and_announce(runtime, senior_id=senior_id, kind="sos",
                                           at=clock.now())
    second = await flows.raise_and_announce(runtime, senior_id=await _another_senior(runtime),
                                            kind="sos", at=clock.now())
    clock.advance(21)
    async with runtime.sessions() as other:
        await other.execute(update(Alarm).where(Alarm.id == second.alarm.id)
                            .values(count=Alarm.count + 1))
        escalation = asyncio.create_task(flows.escalate_once(runtime))
        await _until_a_lock_is_awaited(runtime)
        await other.execute(update(Alarm).where(Alarm.id == first.alarm.id)
                            .values(count=Alarm.count + 1))
        await other.commit()
    assert await escalation == 2
    async with runtime.sessions() as session:
        levels = (await session.execute(select(Alarm.escalation_level))).scalars().all()
        counts = await session.scalar(select(func.sum(Alarm.count)))
    assert levels == [1, 1]
    assert counts == 4
