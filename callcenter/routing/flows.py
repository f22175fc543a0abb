"""The routing desk's lifespan and loop: load the queue, tick, and turn alarms into tasks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import select

from alarms.kinds import AlarmState
from alarms.models import Alarm
from callcenter.routing import call_tasks
from callcenter.routing.desk import NewTask, RoutingDesk
from callcenter.routing.engine import TaskState
from callcenter.routing.models import RoutingTask
from callcenter.routing.rules import TaskKind
from incidents import service as incidents_service
from runtime.context import Runtime

TICK_SECONDS = 1.0


@asynccontextmanager
async def open_desk(runtime: Runtime) -> AsyncIterator[None]:
    """Load the stored queue into the engine before requests arrive."""
    desk = RoutingDesk(runtime)
    await desk.load()
    runtime.routing = desk
    try:
        yield
    finally:
        runtime.routing = None


def desk_of(runtime: Runtime) -> RoutingDesk:
    if runtime.routing is None:
        raise RuntimeError("the routing desk is not open")
    return runtime.routing


async def sync_alarm_tasks(runtime: Runtime) -> None:
    """Every unacknowledged alarm waits as a task; acknowledged or resolved ones stop waiting.
    A senior with an open incident has their new alarms offered to its owner first.

    Read from the database each tick, so an alarm raised by any process (or while this one
    restarted) still reaches an operator.
    """
    desk = desk_of(runtime)
    async with runtime.sessions() as session:
        raised = (await session.execute(
            select(Alarm.id, Alarm.priority, Alarm.senior_id)
            .where(Alarm.state == AlarmState.RAISED)
        )).all()
        queued = set((await session.execute(
            select(RoutingTask.open_ref).where(RoutingTask.open_ref.like("alarm:%"))
        )).scalars())
        new = [row for row in raised if f"alarm:{row.id}" not in queued]
        owners = await incidents_service.owners_of_open(session, [row.senior_id for row in new])
        resolved = set((await session.execute(
            select(Alarm.id).where(Alarm.state == AlarmState.RESOLVED, Alarm.id.in_(
                [int(t.ref.split(":")[1]) for t in desk.router.tasks.values()
                 if t.ref.startswith("alarm:") and t.state == TaskState.ASSIGNED]))
        )).scalars())
    raised_refs = {f"alarm:{row.id}": row.priority for row in raised}
    resolved_refs = {f"alarm:{alarm_id}" for alarm_id in resolved}
    await desk.add_tasks([NewTask(TaskKind.ALARM, row.priority, f"alarm:{row.id}",
                                  preferred=owners.get(row.senior_id)) for row in new])
    for task in list(desk.router.tasks.values()):
        if task.ref.startswith("alarm:") and task.open and task.ref not in raised_refs:
            await desk.cancel_ref(task.ref)
        elif task.state == TaskState.ASSIGNED and task.ref in resolved_refs:
            await desk.complete(task.id, task.assigned_to or "")


async def routing_loop(runtime: Runtime) -> None:
    """Once a second: queue new alarms and calls, expire reservations, widen offers, end
    wrap-ups."""
    while True:
        await sync_alarm_tasks(runtime)
        await call_tasks.sync_call_tasks(runtime, desk_of(runtime))
        await desk_of(runtime).tick()
        await runtime.clock.sleep(TICK_SECONDS)
