"""``GET /api/v1/kpis`` and its CSV export: supervisors see everything, operators themselves."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.deps import require_roles
from accounts.models import StaffUser
from accounts.roles import Role
from alarms import service as alarms_service
from alarms.kinds import ALARM_KINDS
from callcenter.kpis import series
from callcenter.kpis.figures import (
    AlarmRecord,
    CallRecord,
    StateRecord,
    alarm_figures,
    call_figures,
    occupancy_of,
    occupancy_summary,
    queue_occupancy,
    state_seconds,
)
from callcenter.models import CallLeg
from callcenter.routing.models import OperatorStateChange
from callcenter.routing.rules import WRAP_UP_SECONDS, TaskKind
from runtime.csv_export import CsvExport, CsvResponse
from runtime.deps import SessionDep
from runtime.times import QueryTime
from seniors import service as seniors_service

router = APIRouter(prefix="/api/v1/kpis", tags=["kpis"])
Staff = Annotated[StaffUser, Depends(require_roles({Role.OPERATOR, Role.SUPERVISOR}))]
Supervisor = Annotated[StaffUser, Depends(require_roles({Role.SUPERVISOR}))]
MAX_BUCKETS = 24 * 31
Interval = tuple[datetime, datetime]


def interval(
    from_: Annotated[QueryTime, Query(alias="from")], to: Annotated[QueryTime, Query()]
) -> Interval:
    if from_.tzinfo is None or to.tzinfo is None:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            "from and to need a time zone, e.g. 2026-01-05T00:00:00+08:00")
    if to <= from_:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "to must be after from")
    return from_, to


IntervalDep = Annotated[Interval, Depends(interval)]


async def _calls(session: AsyncSession, span: Interval) -> list[CallRecord]:
    """Inbound calls offered in [from, to), by the offered_at index, five columns each (whole
    call legs, JSON columns and all, cost 0.3 ms a row: seconds for a region's month)."""
    rows = await session.execute(select(
        CallLeg.queue, CallLeg.offered_at, CallLeg.answered_at, CallLeg.ended_at,
        CallLeg.operator).where(CallLeg.direction == "inbound", CallLeg.offered_at >= span[0],
                                CallLeg.offered_at < span[1]))
    return [CallRecord(queue=queue or "none", offered_at=offered_at, answered_at=answered_at,
                       ended_at=ended_at, operator=operator)
            for queue, offered_at, answered_at, ended_at, operator in rows
            if offered_at is not None]


async def _alarms(session: AsyncSession, span: Interval) -> list[AlarmRecord]:
    rows = await alarms_service.raised_between(session, start=span[0], end=span[1])
    return [AlarmRecord(id=row.id, senior_id=row.senior_id, kind=row.kind,
                        priority=row.priority, raised_at=row.first_at,
                        acknowledged_at=row.acknowledged_at) for row in rows]


async def _states(session: AsyncSession, span: Interval) -> list[StateRecord]:
    """State changes inside the interval, plus each operator's state in force at its start."""
    last_before = (select(OperatorStateChange.username,
                          func.max(OperatorStateChange.id).label("id"))
                   .where(OperatorStateChange.at <= span[0])
                   .group_by(OperatorStateChange.username).subquery())
    rows = (await session.execute(select(OperatorStateChange).where(
        (OperatorStateChange.id.in_(select(last_before.c.id)))
        | ((OperatorStateChange.at > span[0]) & (OperatorStateChange.at < span[1])))
        .order_by(OperatorStateChange.at, OperatorStateChange.id))).scalars().all()
    return [StateRecord(row.username, row.state, row.at) for row in rows]


async def _named(session: AsyncSession, alarms: dict[str, Any]) -> dict[str, Any]:
    """The late alarms with their senior's name and their kind in words."""
    late: list[dict[str, Any]] = alarms["waited_over_180s"]
    names = await seniors_service.names_of(session, sorted({a["senior_id"] for a in late}))
    for alarm in late:
        kind = ALARM_KINDS.get(alarm["kind"])
        alarm.update(senior_name=names.get(alarm["senior_id"]),
                     label=kind.label_zh if kind else alarm["kind"],
                     label_en=kind.label_en if kind else alarm["kind"])
    return alarms


async def compute(session: AsyncSession, span: Interval, user: StaffUser,
                  threshold: float) -> dict[str, Any]:
    wrap_up = WRAP_UP_SECONDS[TaskKind.CALL]
    calls = await _calls(session, span)
    total, by_queue, by_operator = call_figures(calls, threshold=threshold, wrap_up=wrap_up)
    spent = state_seconds(await _states(session, span), start=span[0], end=span[1])
    operators: dict[str, dict[str, Any]] = {}
    for name in sorted(set(by_operator) | set(spent)):
        figures = by_operator[name].summary() if name in by_operator else {}
        operators[name] = {**figures, **occupancy_summary(spent.get(name, {}))}
    if user.role not in (Role.SUPERVISOR, Role.ADMIN):
        return {"from": span[0].isoformat(), "to": span[1].isoformat(),
                "operators": {user.username: operators.get(user.username)}}
    by_queue_occupancy = queue_occupancy(calls, spent, start=span[0], end=span[1],
                                         wrap_up=wrap_up)
    everyone: dict[str, float] = {}
    for states in spent.values():
        for state, seconds in states.items():
            everyone[state] = everyone.get(state, 0.0) + seconds
    return {
        "from": span[0].isoformat(), "to": span[1].isoformat(), "threshold_s": threshold,
        "calls": {**total.summary(), "occupancy": occupancy_of(everyone)},
        "queues": {name: {**figures.summary(), "occupancy": by_queue_occupancy.get(name)}
                   for name, figures in sorted(by_queue.items())},
        "operators": operators,
        "alarms": await _named(session, alarm_figures(await _alarms(session, span),
                                                      until=span[1]).summary()),
        "occupancy": occupancy_summary(everyone),
    }


@router.get("")
async def kpis(user: Staff, session: SessionDep, span: IntervalDep,
               threshold: Annotated[float, Query(gt=0, le=600)] = 20) -> dict[str, Any]:
    """KPIs for calls offered and alarms raised in [from, to)."""
    return await compute(session, span, user, threshold)


@router.get("/series")
async def kpi_series(user: Supervisor, session: SessionDep, span: IntervalDep,
                     step_minutes: Annotated[int, Query(ge=5, le=1440)] = 60) -> dict[str, Any]:
    """Per bucket of [from, to): calls offered, answered and abandoned, the shares answered
    and acknowledged within 60 s and 180 s, and the longest queue (for the charts)."""
    step = timedelta(minutes=step_minutes)
    if (span[1] - span[0]) / step > MAX_BUCKETS:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            f"at most {MAX_BUCKETS} buckets: shorten the interval or "
                            "lengthen step_minutes")
    found = series.buckets(await _calls(session, span), await _alarms(session, span),
                           start=span[0], end=span[1], step=step)
    return {"from": span[0].isoformat(), "to": span[1].isoformat(), "step_s": step_minutes * 60,
            "buckets": [{**asdict(b), "start": b.start.isoformat()} for b in found]}


@router.get(".csv", response_class=CsvResponse)
async def kpis_csv(user: Staff, session: SessionDep, span: IntervalDep,
                   threshold: Annotated[float, Query(gt=0, le=600)] = 20) -> Response:
    """The same figures as CSV: one row per scope (all calls, each queue, each operator)."""
    report = await compute(session, span, user, threshold)
    rows: list[tuple[str, str, dict[str, Any] | None]] = []
    if "calls" in report:
        rows.append(("calls", "all", report["calls"]))
        rows += [("queue", name, figures) for name, figures in report["queues"].items()]
    rows += [("operator", name, figures) for name, figures in report["operators"].items()]
    export = CsvExport()
    columns = ["offered", "answered", "abandoned", "service_level",
               "service_level_excluding_short_abandons", "average_speed_of_answer_s",
               "abandonment_rate", "average_handle_time_s", "occupancy"]
    export.row(["scope", "name", *columns])
    for scope, name, figures in rows:
        export.row([scope, name, *[(figures or {}).get(c, "") for c in columns]])
    if "alarms" in report:
        alarms = report["alarms"]
        export.row([])
        export.row(["alarms", "raised", "share_within_60s", "share_within_180s"])
        export.row(["alarms", alarms["raised"], alarms["share_within_60s"],
                    alarms["share_within_180s"]])
    return export.response("anxin-kpis.csv")
