"""Recurring visits: each schedule makes one order per visit, planned ahead and batch-assigned.

Today's remaining visits are made at once; from the planning time each evening (18:00 local by
default) tomorrow's are made too, and all of them are assigned together (tomorrow's meal round
is one cost matrix). An order names its visit in ``source_ref`` (``schedule:<id>:<date>``) and
the database refuses a second order with the same name, so a sweep can run again, or on two
instances at once, without doubling a visit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from dispatch import flows
from dispatch.batch import assign_batch
from dispatch.exceptions import InvalidRequest, NotFound
from dispatch.lifecycle import OrderState
from dispatch.models import ServiceOrder, VisitSchedule
from dispatch.schemas import (
    OrderCreate,
    OrderSource,
    ScheduleCreate,
    ScheduleUpdate,
    Urgency,
    check_schedule_dates,
)
from runtime.context import Runtime
from seniors import service as seniors_service

SWEEP_SECONDS = 60.0
ACTOR = "schedule"


@dataclass(frozen=True, slots=True)
class Visit:
    schedule: VisitSchedule
    service_at: datetime
    local_date: date

    @property
    def source_ref(self) -> str:
        return f"schedule:{self.schedule.id}:{self.local_date.isoformat()}"


async def create_schedule(
    session: AsyncSession, *, data: ScheduleCreate, actor: str, now: datetime
) -> VisitSchedule:
    await seniors_service.get_senior(session, data.senior_id)
    schedule = VisitSchedule(
        senior_id=data.senior_id,
        service=data.service.value,
        weekdays=sorted(data.weekdays),
        local_minute=data.at.hour * 60 + data.at.minute,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        skip_dates=sorted({day.isoformat() for day in data.skip_dates}),
        notes=data.notes,
        active=True,
        created_by=actor,
        created_at=now,
    )
    session.add(schedule)
    await session.flush()
    return schedule


async def get_schedule(session: AsyncSession, schedule_id: int) -> VisitSchedule:
    schedule = await session.get(VisitSchedule, schedule_id)
    if schedule is None:
        raise NotFound(f"schedule {schedule_id} does not exist")
    return schedule


async def list_schedules(
    session: AsyncSession, *, senior_id: int | None = None
) -> Sequence[VisitSchedule]:
    query = select(VisitSchedule).order_by(VisitSchedule.id)
    if senior_id is not None:
        query = query.where(VisitSchedule.senior_id == senior_id)
    return (await session.scalars(query)).all()


async def update_schedule(
    session: AsyncSession, *, schedule_id: int, changes: ScheduleUpdate
) -> VisitSchedule:
    """Change days, time, dates, notes, or pause/resume; orders already made stay as they
    are. InvalidRequest if the dates end before they start."""
    schedule = await get_schedule(session, schedule_id)
    given = changes.model_fields_set
    starts_on = changes.starts_on if "starts_on" in given else schedule.starts_on
    ends_on = changes.ends_on if "ends_on" in given else schedule.ends_on
    try:
        check_schedule_dates(starts_on, ends_on)
    except ValueError as error:
        raise InvalidRequest(str(error)) from error
    schedule.starts_on, schedule.ends_on = starts_on, ends_on
    if changes.skip_dates is not None:
        schedule.skip_dates = sorted({day.isoformat() for day in changes.skip_dates})
    if changes.weekdays is not None:
        schedule.weekdays = sorted(set(changes.weekdays))
    if changes.at is not None:
        schedule.local_minute = changes.at.hour * 60 + changes.at.minute
    if changes.notes is not None:
        schedule.notes = changes.notes
    if changes.active is not None:
        schedule.active = changes.active
    return schedule


def visits_due(
    schedules: Sequence[VisitSchedule], *, now: datetime, zone: ZoneInfo, plan_minute: int
) -> list[Visit]:
    """The visits to make now: the rest of today, and tomorrow once planning time has come."""
    local_now = now.astimezone(zone)
    days = [local_now.date()]
    if local_now.hour * 60 + local_now.minute >= plan_minute:
        days.append(local_now.date() + timedelta(days=1))
    visits = []
    for schedule in schedules:
        start = time(schedule.local_minute // 60, schedule.local_minute % 60)
        for day in days:
            at = datetime.combine(day, start, zone).astimezone(UTC)
            if runs_on(schedule, day) and at > now:
                visits.append(Visit(schedule, at, day))
    return visits


def runs_on(schedule: VisitSchedule, day: date) -> bool:
    """A visit on this local date: one of its weekdays, within its dates, not skipped."""
    return (day.weekday() in schedule.weekdays
            and (schedule.starts_on is None or schedule.starts_on <= day)
            and (schedule.ends_on is None or day <= schedule.ends_on)
            and day.isoformat() not in schedule.skip_dates)


async def plan_visits(runtime: Runtime) -> list[int]:
    """Make the orders for due visits that have none, then assign every waiting visit in one
    batch (including any a crashed sweep left unassigned); returns the new orders' ids."""
    now = runtime.clock.now()
    policy = flows.dispatch_of(runtime).policy
    async with runtime.sessions() as session:
        active = (
            await session.scalars(select(VisitSchedule).where(VisitSchedule.active.is_(True)))
        ).all()
        visits = visits_due(
            active,
            now=now,
            zone=policy.timezone,
            plan_minute=runtime.settings.dispatch_plan_minute,
        )
        made = set(
            await session.scalars(
                select(ServiceOrder.source_ref).where(
                    ServiceOrder.source == OrderSource.SCHEDULE.value,
                    ServiceOrder.source_ref.in_([v.source_ref for v in visits]),
                )
            )
        )
    created = []
    for visit in visits:
        if visit.source_ref in made:
            continue
        try:
            order = await flows.create_order(
                runtime,
                actor=f"{ACTOR}:{visit.schedule.id}",
                data=OrderCreate(
                    senior_id=visit.schedule.senior_id,
                    service=visit.schedule.service,
                    urgency=Urgency.SCHEDULED,
                    source=OrderSource.SCHEDULE,
                    source_ref=visit.source_ref,
                    service_at=visit.service_at,
                    notes=visit.schedule.notes,
                    batch=True,
                ),
            )
        except IntegrityError:
            continue  # another instance made this visit's order first
        created.append(order.id)
    waiting = await waiting_visits(runtime)
    if waiting:
        await assign_batch(runtime, order_ids=waiting, actor=ACTOR)
    return created


async def waiting_visits(runtime: Runtime) -> list[int]:
    async with runtime.sessions() as session:
        return list(
            await session.scalars(
                select(ServiceOrder.id).where(
                    ServiceOrder.source == OrderSource.SCHEDULE.value,
                    ServiceOrder.state == OrderState.CREATED.value,
                )
            )
        )


async def run_schedules(runtime: Runtime) -> None:
    """Every minute, make and assign the visits that have come due."""
    while True:
        await plan_visits(runtime)
        await runtime.clock.sleep(SWEEP_SECONDS)
