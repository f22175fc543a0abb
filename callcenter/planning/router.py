"""HTTP route of the staffing planner (supervisors)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status

from accounts.deps import require_roles
from accounts.models import StaffUser
from accounts.roles import Role
from callcenter.planning.erlang import curve, plan

router = APIRouter(prefix="/api/v1/staffing", tags=["staffing"])
Supervisor = Annotated[StaffUser, Depends(require_roles({Role.SUPERVISOR}))]


@router.get("")
async def staffing(
    user: Supervisor,
    calls_per_hour: Annotated[float, Query(gt=0, le=100_000)],
    handle_seconds: Annotated[float, Query(gt=0, le=36_000)],
    target: Annotated[float, Query(gt=0, lt=1)] = 0.985,
    within_seconds: Annotated[float, Query(ge=0, le=3_600)] = 60,
    shrinkage: Annotated[float, Query(ge=0, lt=1)] = 0.0,
) -> dict[str, float | int | list[list[float]]]:
    """Operators needed for the offered calls, handle time and answer-time target, and the
    service level with each operator count around it (``curve``: [operators, share])."""
    try:
        result = plan(calls_per_hour=calls_per_hour, handle_seconds=handle_seconds,
                      target=target, within_seconds=within_seconds, shrinkage=shrinkage)
    except ValueError as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from error
    points = curve(calls_per_hour=calls_per_hour, handle_seconds=handle_seconds,
                   within_seconds=within_seconds, upto=result.operators)
    return {**asdict(result), "curve": [[n, share] for n, share in points]}
