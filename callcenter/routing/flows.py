"""The routing desk's lifespan and loop: load the queue, tick, and turn alarms into tasks."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from sqlalchemy import select

from alarms import service as alarms_service
from callcenter.routing import call_tasks
from callcenter.routing.desk import DESK_CHANGED, NewTask
from callcenter.routing.engine import TaskState
from callcenter.routing.lifespan import desk_of
from callcenter.routing.models import RoutingTask
from callcenter.routing.rules import TaskKind
from incidents import service as incidents_service
from runtime.bus import SubscriberOverflow
from runtime.context import Runtime

TICK_SECONDS = 1.0


async def desk_closed(runtime: Runtime, username: str, still_open: Callable[[], bool]) -> None:
    """A person's last live connection closed (or its link lapsed: the feed's ping went
    unanswered): unless they are back within the grace, their offers go to others and a free
    operator is logged off the queue. Wall time, not the injected clock: it measures the
    network, and a test's frozen clock must not hold a closed browser on the desk."""
    await asyncio.sleep(runtime.settings.presence_grace_seconds)
    if not still_open():
        await desk_of(runtime).leave(username)


async def desk_opened(runtime: Runtime, username: str) -> None:
    """A person's live feed opened: back on the desk (on the queue again after a cut link)."""
    await desk_of(runtime).returned(username)


async def sync_alarm_tasks(runtime: Runtime) -> None:
    """Every unacknowledged alarm waits as a task; acknowledged or resolved ones stop waiting.
    A senior with an open incident has their new alarms offered to its owner first.

    Read from the database each tick, so an alarm raised by any process (or while this one
    restarted) still reaches an operator.
    """
    desk = desk_of(runtime)
    async with runtime.sessions() as session:
        raised = await alarms_service.waiting_alarms(session)
        queued = set((await session.execute(
            select(RoutingTask.open_ref).where(RoutingTask.open_ref.like("alarm:%"))
        )).scalars())
        new = [row for row in raised if f"alarm:{row.id}" not in queued]
        owners = await incidents_service.owners_of_open(session, [row.senior_id for row in new])
        resolved = await alarms_service.resolved_among(session, alarm_ids=[
            int(t.ref.split(":")[1]) for t in desk.router.tasks.values()
            if t.ref.startswith("alarm:") and t.state == TaskState.ASSIGNED])
    raised_refs = {f"alarm:{row.id}": row.priority for row in raised}
    resolved_refs = {f"alarm:{alarm_id}" for alarm_id in resolved}
    await desk.add_tasks([NewTask(TaskKind.ALARM, row.priority, f"alarm:{row.id}",
                                  preferred=owners.get(row.senior_id)) for row in new])
    for task in list(desk.router.tasks.values()):
        if task.ref.startswith("alarm:") and task.open and task.ref not in raised_refs:
            await desk.cancel_ref(task.ref)
        elif task.state == TaskState.ASSIGNED and task.ref in resolved_refs:
            await desk.complete(task.id, task.assigned_to or "")


# Published when there may be new work: the desk looks at once instead of at its next tick.
NEW_WORK_TOPICS = frozenset({"alarm.raised", "alarm.updated", "call.updated", "call.case"})


async def routing_loop(runtime: Runtime) -> None:
    """Queue new alarms and calls, expire reservations, widen offers, end wrap-ups: once a
    second, and at once when an alarm is raised or a call starts waiting. Starts from the
    stored queue: the lease may come from an instance that just died."""
    await desk_of(runtime).reload()
    wake, stale = asyncio.Event(), asyncio.Event()
    async with asyncio.TaskGroup() as group:
        group.create_task(_wake_on_new_work(runtime, wake, stale), name="routing-wake")
        while True:
            wake.clear()
            if stale.is_set():  # another instance changed the stored desk
                stale.clear()
                await desk_of(runtime).reload()
            await sync_alarm_tasks(runtime)
            await call_tasks.sync_call_tasks(runtime, desk_of(runtime))
            await desk_of(runtime).tick()
            await _sleep_or_wake(runtime, wake)


async def _wake_on_new_work(runtime: Runtime, wake: asyncio.Event,
                            stale: asyncio.Event) -> None:
    while True:
        async with runtime.bus.subscribe() as subscription:
            with contextlib.suppress(SubscriberOverflow):  # the tick covers what it missed
                while True:
                    topic = (await subscription.next()).topic
                    if topic == DESK_CHANGED:
                        stale.set()
                    if topic in NEW_WORK_TOPICS or topic == DESK_CHANGED:
                        wake.set()


async def _sleep_or_wake(runtime: Runtime, wake: asyncio.Event) -> None:
    sleeping = asyncio.ensure_future(runtime.clock.sleep(TICK_SECONDS))
    woken = asyncio.ensure_future(wake.wait())
    try:
        await asyncio.wait((sleeping, woken), return_when=asyncio.FIRST_COMPLETED)
    finally:
        sleeping.cancel()
        woken.cancel()
