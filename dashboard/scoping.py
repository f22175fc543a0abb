"""The request side of scope (storage/scope.py filters the queries): each request starts
seeing every area until its caller is known, a record named in the path must be in the
caller's areas before the route runs (else its own 404), and a 404 for a record that exists
outside the caller's areas is audited (the answer stays the 404 a missing record gets)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import NoReturn

from fastapi import HTTPException, status
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from accounts import service as accounts_service
from accounts.deps import PATH_GUARDS
from alarms import service as alarms_service
from alarms.exceptions import AlarmNotFoundError
from alarms.models import Alarm
from areas.codes import REGION
from devices import service as devices_service
from devices.exceptions import DeviceNotFoundError
from devices.models import Device
from dispatch import orders as dispatch_orders
from dispatch.exceptions import NotFound
from dispatch.models import ServiceOrder
from runtime.context import Runtime
from runtime.scope import EVERYWHERE, current_scope, scoped
from seniors.exceptions import SeniorNotFoundError
from seniors.models import Senior
from storage.bounds import MAX_ROW_ID

log = logging.getLogger(__name__)

# Path parameters that name a scoped record: (table, its key column, audit subject type).
HIDDEN_RECORDS = {
    "senior_id": (Senior, Senior.id, "senior"),
    "alarm_id": (Alarm, Alarm.id, "alarm"),
    "order_id": (ServiceOrder, ServiceOrder.id, "order"),
    "device_id": (Device, Device.id, "device"),
}


class OneScopePerRequest:
    """Middleware: no scope carries from one request to the next (an in-process client runs
    every request in the caller's own task, where a scope set by one would stay)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        with scoped(EVERYWHERE):
            await self.app(scope, receive, send)


def _row_id(value: str) -> int | None:
    """The path's row id, or None for one the route's own validation refuses (422)."""
    return int(value) if value.isdigit() and 1 <= int(value) <= MAX_ROW_ID else None


async def _senior(session: AsyncSession, value: str) -> None:
    if (row_id := _row_id(value)) is not None and await session.get(Senior, row_id) is None:
        _missing(SeniorNotFoundError(row_id))


async def _alarm(session: AsyncSession, value: str) -> None:
    if (row_id := _row_id(value)) is not None:
        await _or_missing(alarms_service.get_alarm(session, row_id), AlarmNotFoundError)


async def _order(session: AsyncSession, value: str) -> None:
    if (row_id := _row_id(value)) is not None:
        await _or_missing(dispatch_orders.get_order(session, row_id), NotFound)


async def _device(session: AsyncSession, value: str) -> None:
    await _or_missing(devices_service.get_device(session, value), DeviceNotFoundError)


async def _or_missing(lookup: Awaitable[object], missing: type[Exception]) -> None:
    try:
        await lookup
    except missing as error:
        _missing(error)


def _missing(error: Exception) -> NoReturn:
    raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error


def guard_paths() -> None:
    """Check every path's record against the caller's areas (accounts/deps.py)."""
    PATH_GUARDS.update(senior_id=_senior, alarm_id=_alarm, order_id=_order, device_id=_device)


async def audit_if_hidden(request: Request) -> None:
    """After a 404: if a record the path names exists outside the caller's areas, say who
    asked for it in the audit log."""
    actor = getattr(request.state, "staff_username", None)
    if actor is None or current_scope().prefixes is None:
        return
    runtime: Runtime = request.app.state.runtime
    for name, value in request.path_params.items():
        if name in HIDDEN_RECORDS and await _exists(runtime, name, str(value)):
            await _record(runtime, actor=actor, name=name, value=str(value), path=request.url.path)


async def _exists(runtime: Runtime, name: str, value: str) -> bool:
    table, key, _ = HIDDEN_RECORDS[name]
    wanted: int | str | None = _row_id(value) if key.type.python_type is int else value
    if wanted is None:
        return False
    async with runtime.sessions() as session:
        found = await session.scalar(select(key).where(key == wanted)
                                     .execution_options(everywhere=True))
    return found is not None


async def _record(runtime: Runtime, *, actor: str, name: str, value: str, path: str) -> None:
    async with runtime.sessions() as session:
        await accounts_service.record_audit(
            session, actor=actor, action="scope.refused", subject_type=HIDDEN_RECORDS[name][2],
            subject_id=value, now=runtime.clock.now(), detail={"path": path},
            area_code=REGION)  # a reach across centres is the region's to review
        await session.commit()
    log.info("%s asked for %s %s outside their centres", actor, HIDDEN_RECORDS[name][2], value)
