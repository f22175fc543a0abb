"""HTTP routes: an operator's state and offers; supervisors see the queue and set skills."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status
from sqlalchemy import select

from accounts import service as accounts_service
from accounts.deps import require_roles
from accounts.models import StaffUser
from accounts.roles import Role
from alarms import flows as alarm_flows
from alarms import router as alarms_router
from alarms.exceptions import AlarmOwnedError, AlarmStateError
from alarms.schemas import OwnedConflict
from callcenter.routing import call_tasks
from callcenter.routing.desk import RoutingDesk, phone_endpoint_of, waited_seconds
from callcenter.routing.engine import Operator, RoutingError, Task
from callcenter.routing.lifespan import DeskDep
from callcenter.routing.models import RoutingOperator
from callcenter.routing.rules import OperatorState
from callcenter.routing.schemas import (
    MyDesk,
    OperatorOut,
    OperatorSetup,
    StateIn,
    SubjectOut,
    TaskOut,
)
from runtime.deps import RuntimeDep
from runtime.problems import Problem
from runtime.scope import current_scope
from storage.bounds import RowId

router = APIRouter(prefix="/api/v1/routing", tags=["routing"])
Agent = Annotated[StaffUser, Depends(require_roles({Role.OPERATOR, Role.SUPERVISOR}))]
Supervisor = Annotated[StaffUser, Depends(require_roles({Role.SUPERVISOR}))]


def _task_out(task: Task, desk: RoutingDesk, names: dict[str, str] | None = None) -> TaskOut:
    """The task as the API answers it; with ``names`` its people by display name too."""
    subject = desk.subject_of(task)
    known = names or {}
    return TaskOut(
        offered_to_names=[known.get(u, u) for u in sorted(task.offered_to)],
        reserved_to_name=known.get(task.reserved_to or "", task.reserved_to),
        subject=SubjectOut.model_validate(subject, from_attributes=True) if subject else None,
        id=task.id, kind=task.kind.value, priority=task.priority, ref=task.ref,
        state=task.state.value, created_at=task.created_at,
        waited_seconds=round(waited_seconds(task, desk.runtime.clock.now()), 1),
        offered_to=sorted(task.offered_to), reserved_to=task.reserved_to,
        reservation_expires=task.reservation_expires, assigned_to=task.assigned_to,
    )


def _operator_out(operator: Operator, phone_endpoint: str | None = None,
                  display_name: str = "") -> OperatorOut:
    return OperatorOut(username=operator.username, display_name=display_name,
                       state=operator.state.value,
                       skills=sorted(operator.skills), languages=sorted(operator.languages),
                       idle_since=operator.idle_since, misses=operator.misses,
                       wrap_until=operator.wrap_until, phone_endpoint=phone_endpoint)


@router.get("/me", response_model=MyDesk)
async def my_desk(user: Agent, desk: DeskDep) -> MyDesk:
    """My state, what is offered to me now, and what I am working on."""
    desk.arrive(user.username)
    desk.serves(user.username, current_scope().prefixes)
    operator = desk.router.operators.get(user.username)
    tasks = list(desk.router.tasks.values())
    return MyDesk(
        operator=_operator_out(operator) if operator else None,
        offers=[_task_out(t, desk) for t in tasks if t.open and (
            user.username in t.offered_to or t.reserved_to == user.username)],
        working_on=[_task_out(t, desk) for t in tasks if t.assigned_to == user.username],
    )


@router.post("/me/state", response_model=OperatorOut)
async def set_my_state(body: StateIn, user: Agent, desk: DeskDep) -> OperatorOut:
    """Go available, take a break, or log off the queue."""
    desk.arrive(user.username)
    desk.serves(user.username, current_scope().prefixes)
    try:
        operator = await desk.set_state(user.username, OperatorState(body.state))
    except RoutingError as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error
    return _operator_out(operator)


@router.post("/tasks/{task_id}/accept", response_model=TaskOut,
             responses={409: {"model": OwnedConflict | Problem}})
async def accept(task_id: RowId, user: Agent, runtime: RuntimeDep, desk: DeskDep) -> TaskOut:
    """Take an offered task; 409 if someone else was first. An alarm task owns the alarm:
    if another operator acknowledged it from the queue meanwhile, 409 names them."""
    desk.serves(user.username, current_scope().prefixes)  # which of their centres takes it
    try:
        task = await desk.accept(task_id, user.username)
    except RoutingError as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error
    if task.ref.startswith("alarm:"):
        try:
            await alarm_flows.acknowledge_and_announce(
                runtime, alarm_id=int(task.ref.split(":")[1]), by=user.username, via="routing")
        except AlarmOwnedError as error:
            await desk.complete(task.id, user.username)
            raise await alarms_router.owned_conflict(runtime, error) from error
        except AlarmStateError as error:  # resolved meanwhile: nothing left to do
            await desk.complete(task.id, user.username)
            raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error
    try:
        await call_tasks.take_accepted(runtime, desk, task, user.username)
    except RoutingError as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error
    return _task_out(task, desk)


@router.post("/tasks/{task_id}/refuse", status_code=status.HTTP_204_NO_CONTENT)
async def refuse(task_id: RowId, user: Agent, desk: DeskDep) -> None:
    """Decline an offer; it goes to the next operator."""
    try:
        await desk.refuse(task_id, user.username)
    except RoutingError as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error


@router.post("/tasks/{task_id}/complete", status_code=status.HTTP_204_NO_CONTENT)
async def complete(task_id: RowId, user: Agent, desk: DeskDep) -> None:
    """Finish a task; wrap-up time follows before the next offer."""
    try:
        await desk.complete(task_id, user.username)
    except RoutingError as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error


@router.get("/tasks", response_model=list[TaskOut])
async def queue(user: Supervisor, runtime: RuntimeDep, desk: DeskDep) -> list[TaskOut]:
    """Open and in-hand tasks, most urgent and longest waiting first."""
    tasks = [t for t in sorted(desk.router.tasks.values(), key=lambda t: t.sort_key())
             if _in_scope(t, desk)]
    people = {u for t in tasks for u in (*t.offered_to, t.reserved_to) if u}
    async with runtime.sessions() as session:
        names = await accounts_service.display_names(session, people)
    return [_task_out(t, desk, names) for t in tasks]


def _in_scope(task: Task, desk: RoutingDesk) -> bool:
    """The desk's queue lives in memory, not behind the query filter: a task shows where
    its subject's area is (a call from an unknown number belongs to no centre yet)."""
    subject = desk.subject_of(task)
    area = subject.area_code if subject else None
    return area is None or current_scope().covers(area)


@router.get("/operators", response_model=list[OperatorOut])
async def operators(user: Supervisor, runtime: RuntimeDep,
                    desk: DeskDep) -> list[OperatorOut]:
    """Every operator known to the desk, their state and phone endpoint."""
    async with runtime.sessions() as session:
        rows = await session.execute(
            select(RoutingOperator.username, RoutingOperator.phone_endpoint))
        endpoints: dict[str, str | None] = {row[0]: row[1] for row in rows}
        team = sorted(desk.router.operators.values(), key=lambda op: op.username)
        names = await accounts_service.display_names(session, (op.username for op in team))
    return [_operator_out(op, endpoints.get(op.username), names.get(op.username, ""))
            for op in team]


@router.put("/operators/{username}", response_model=OperatorOut)
async def setup_operator(username: str, body: OperatorSetup, user: Supervisor,
                         runtime: RuntimeDep, desk: DeskDep) -> OperatorOut:
    """Set an operator's skills (e.g. emergency), languages or dialects, and phone endpoint."""
    known = desk.router.operators.get(username)
    try:
        operator = await desk.set_state(username, known.state if known else
                                        OperatorState.OFFLINE, skills=body.skills,
                                        languages=body.languages)
        if "phone_endpoint" in body.model_fields_set:
            await desk.set_phone_endpoint(username, body.phone_endpoint)
    except RoutingError as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error
    async with runtime.sessions() as session:
        await accounts_service.record_audit(
            session, actor=user.username, action="staff.skills", subject_type="operator",
            subject_id=username, now=runtime.clock.now(),
            detail={"skills": sorted(body.skills), "languages": sorted(body.languages)})
        await session.commit()
        return _operator_out(operator, await phone_endpoint_of(session, username))
