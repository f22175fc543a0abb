"""Calls as routing tasks: every waiting call, requested call-back and campaign call that needs
a person waits on the routing desk, exactly like an alarm.

The database is the truth: each tick compares the waiting calls and open call-back tasks with
the desk's tasks, so work created by any process (or while this one restarted) reaches an
operator, and work finished elsewhere (a call answered from the calls page, a caller who hung
up) stops being offered. Accepting a call task answers the call; the call's end completes it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select

from accounts import service as accounts_service
from callcenter import conferencing, events, ivr, service
from callcenter.exceptions import CallNotWaitingError
from callcenter.lifespan import callcenter_of
from callcenter.models import CallCase, CallLeg
from callcenter.routing.desk import NewTask, RoutingDesk
from callcenter.routing.engine import RoutingError, Task, TaskState
from callcenter.routing.models import RoutingTask
from callcenter.routing.rules import TaskKind
from incidents import service as incidents_service
from runtime.context import Runtime

CALL_REF = "call:"
CASE_REF = "case:"
CALLBACK_PRIORITY = 3
# Skills a queue's calls need, as data (a centre that trains policy specialists lists the
# policy queue here). Emergencies are routed by the emergency rule's own skilled step.
QUEUE_SKILLS: dict[str, frozenset[str]] = {}


@dataclass(frozen=True, slots=True)
class CallWork:
    """What the desk needs to know about a waiting call."""

    ref: str
    kind: TaskKind
    priority: int
    skills: frozenset[str]
    language: str | None
    senior_id: int | None


def work_for(call: CallLeg) -> CallWork:
    """The routing task a waiting call becomes: its kind, priority, skills and language come
    from where the IVR put it."""
    if call.campaign_id is not None:
        kind = TaskKind.CAMPAIGN
    elif call.priority == ivr.EMERGENCY_PRIORITY:
        kind = TaskKind.EMERGENCY_CALL
    else:
        kind = TaskKind.CALL
    return CallWork(ref=f"{CALL_REF}{call.id}", kind=kind, priority=call.priority,
                    skills=QUEUE_SKILLS.get(call.queue or "", frozenset()),
                    language=service.ivr_state_of(call).speaks, senior_id=call.senior_id)


def ref_id(ref: str) -> int:
    return int(ref.split(":", 1)[1])


async def sync_call_tasks(runtime: Runtime, desk: RoutingDesk) -> None:
    """Queue new waiting calls and call-back tasks (a known senior's call offered first to the
    owner of their open incident); withdraw those no longer waiting; complete in-hand ones
    whose call ended or whose call-back was done."""
    tracked_calls = [ref_id(t.ref) for t in desk.router.tasks.values()
                     if t.ref.startswith(CALL_REF)]
    tracked_cases = [ref_id(t.ref) for t in desk.router.tasks.values()
                     if t.ref.startswith(CASE_REF)]
    async with runtime.sessions() as session:
        waiting = [work_for(call) for call in await service.waiting_calls(session)]
        callbacks = (await session.execute(select(CallCase.id).where(
            CallCase.kind == service.REQUESTED_CALLBACK, CallCase.state == "open"))).scalars().all()
        ended = set((await session.execute(select(CallLeg.id).where(
            CallLeg.id.in_(tracked_calls), CallLeg.ended_at.is_not(None)))).scalars())
        closed = set((await session.execute(select(CallCase.id).where(
            CallCase.id.in_(tracked_cases), CallCase.state != "open"))).scalars())
        known = set((await session.execute(select(RoutingTask.open_ref).where(or_(
            RoutingTask.open_ref.like(f"{CALL_REF}%"),
            RoutingTask.open_ref.like(f"{CASE_REF}%"))))).scalars())
        new = [work for work in waiting if work.ref not in known]
        owners = await incidents_service.owners_of_open(
            session, [work.senior_id for work in new if work.senior_id is not None])
    await desk.add_tasks(
        [NewTask(work.kind, work.priority, work.ref, tuple(sorted(work.skills)), work.language,
                 preferred=owners.get(work.senior_id) if work.senior_id else None)
         for work in new]
        + [NewTask(TaskKind.CALLBACK, CALLBACK_PRIORITY, f"{CASE_REF}{case_id}")
           for case_id in callbacks if f"{CASE_REF}{case_id}" not in known])
    still_waiting = {work.ref for work in waiting} | {f"{CASE_REF}{i}" for i in callbacks}
    for task in list(desk.router.tasks.values()):
        if not task.ref.startswith((CALL_REF, CASE_REF)):
            continue
        if task.open and task.ref not in still_waiting:
            await desk.cancel_ref(task.ref)
        elif task.state == TaskState.ASSIGNED and (
                (task.ref.startswith(CALL_REF) and ref_id(task.ref) in ended)
                or (task.ref.startswith(CASE_REF) and ref_id(task.ref) in closed)):
            await desk.complete(task.id, task.assigned_to or "")


async def take_accepted(runtime: Runtime, desk: RoutingDesk, task: Task, username: str) -> None:
    """The operator accepted a call task: answer the call (or, for a call-back task, place
    the call-back). Raises RoutingError when the call stopped waiting meanwhile; the task is
    then finished so the operator is free again."""
    if task.ref.startswith(CALL_REF):
        await _answer(runtime, desk, task, username)
    elif task.ref.startswith(CASE_REF):
        await _call_back(runtime, ref_id(task.ref), username)


async def _answer(runtime: Runtime, desk: RoutingDesk, task: Task, username: str) -> None:
    call_id = ref_id(task.ref)
    now = runtime.clock.now()
    async with runtime.sessions() as session:
        try:
            call = await service.answer_call(session, call_id=call_id, operator=username,
                                             now=now)
        except CallNotWaitingError as error:
            await desk.complete(task.id, username)
            raise RoutingError(str(error)) from error
        await accounts_service.record_audit(
            session, actor=username, action="call.answer",
            subject_type="senior" if call.senior_id else "call",
            subject_id=str(call.senior_id) if call.senior_id else None, now=now,
            detail={"call": call.id, "via": "routing"})
        await session.commit()
    events.publish_call(runtime.bus, call)
    callcenter_of(runtime).spawn(conferencing.connect_operator(
        runtime, call_id=call.id, operator=username))


async def _call_back(runtime: Runtime, case_id: int, username: str) -> None:
    """A requested call-back taken from the desk: it is the operator's, and the call goes out
    at once, straight to them."""
    now = runtime.clock.now()
    async with runtime.sessions() as session:
        case = await session.get(CallCase, case_id)
        if case is None or case.state != "open":
            return
        case.operator = username
        number, senior_id = case.number, case.senior_id
        await accounts_service.record_audit(
            session, actor=username, action="callback.take",
            subject_type="senior" if senior_id else "call",
            subject_id=str(senior_id) if senior_id else None, now=now,
            detail={"case": case_id, "via": "routing"})
        await session.commit()
    await conferencing.call_out(runtime, to=number, purpose="operator_call", operator=username,
                                senior_id=senior_id, case_id=case_id)
