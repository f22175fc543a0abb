"""HTTP routes: alerts waiting for a supervisor; supervisors mark them seen and close them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, status

from accounts.deps import require_roles
from accounts.models import StaffUser
from accounts.roles import Role
from alerts import events, service
from alerts.exceptions import AlertNotFoundError, AlertStateError
from alerts.kinds import AlertState
from alerts.models import SupervisorAlert
from alerts.schemas import AlertOut, CloseIn
from runtime.deps import RuntimeDep, SessionDep

router = APIRouter(prefix="/api/v1/alerts", tags=["alerts"])
Reader = Annotated[StaffUser, Depends(require_roles({Role.OPERATOR, Role.SUPERVISOR}))]
Supervisor = Annotated[StaffUser, Depends(require_roles({Role.SUPERVISOR}))]
AlertId = Annotated[int, Path(ge=1, le=2**63 - 1)]


@router.get("", response_model=list[AlertOut])
async def list_alerts(
    user: Reader, session: SessionDep,
    state: Annotated[list[AlertState] | None, Query()] = None,
    senior_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[AlertOut]:
    """Alerts not yet closed (or by state), newest first; a senior's for the incident page."""
    alerts = await service.list_alerts(session, states=state or (), senior_id=senior_id,
                                       limit=limit)
    return [AlertOut.of(alert) for alert in alerts]


@router.post("/{alert_id}/seen", response_model=AlertOut)
async def mark_seen(alert_id: AlertId, user: Supervisor, runtime: RuntimeDep,
                    session: SessionDep) -> AlertOut:
    """I have seen it; it stays listed until closed. 409 if already seen or closed."""
    async def move() -> SupervisorAlert:
        return await service.mark_seen(session, alert_id=alert_id, by=user.username,
                                       now=runtime.clock.now())
    return await _answer(runtime, session, move)


@router.post("/{alert_id}/close", response_model=AlertOut)
async def close(alert_id: AlertId, body: CloseIn, user: Supervisor, runtime: RuntimeDep,
                session: SessionDep) -> AlertOut:
    """Close it with an optional note; 409 if someone closed it already."""
    async def move() -> SupervisorAlert:
        return await service.close(session, alert_id=alert_id, by=user.username,
                                   now=runtime.clock.now(), note=body.note)
    return await _answer(runtime, session, move)


async def _answer(runtime: RuntimeDep, session: SessionDep,
                  move: Callable[[], Awaitable[SupervisorAlert]]) -> AlertOut:
    try:
        alert: SupervisorAlert = await move()
    except AlertNotFoundError as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error
    except AlertStateError as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error
    await session.commit()
    events.publish(runtime.bus, alert)
    return AlertOut.of(alert)
