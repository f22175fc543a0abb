"""The request side of scope (storage/scope.py filters the queries): each request starts
seeing every area until its caller is known, and a 404 for a record that exists outside the
caller's areas is audited (the answer stays the same 404 a missing record gets)."""

from __future__ import annotations

import logging

from sqlalchemy import select
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from accounts import service as accounts_service
from alarms.models import Alarm
from devices.models import Device
from dispatch.models import ServiceOrder
from runtime.context import Runtime
from runtime.scope import EVERYWHERE, current_scope, scoped
from seniors.models import Senior

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
    if key.type.python_type is int and not value.isdigit():
        return False
    wanted = int(value) if key.type.python_type is int else value
    async with runtime.sessions() as session:
        found = await session.scalar(select(key).where(key == wanted)
                                     .execution_options(everywhere=True))
    return found is not None


async def _record(runtime: Runtime, *, actor: str, name: str, value: str, path: str) -> None:
    async with runtime.sessions() as session:
        await accounts_service.record_audit(
            session, actor=actor, action="scope.refused", subject_type=HIDDEN_RECORDS[name][2],
            subject_id=value, now=runtime.clock.now(), detail={"path": path})
        await session.commit()
    log.info("%s asked for %s %s outside their centres", actor, HIDDEN_RECORDS[name][2], value)
