"""HTTP: the record of restore drills, for the supervisor page."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from accounts.deps import require_roles
from accounts.models import StaffUser
from accounts.roles import Role
from backups import drills
from runtime.deps import RuntimeDep, SessionDep

router = APIRouter(prefix="/api/v1/drills", tags=["backups and drills"])
Reader = Annotated[StaffUser, Depends(require_roles({Role.SUPERVISOR, Role.ADMIN}))]


class DrillOut(BaseModel):
    id: int
    started_at: datetime
    finished_at: datetime
    backup_file: str
    backup_created_at: datetime | None
    recovery_point_s: float | None
    recovery_time_s: float | None
    outcome: str
    detail: dict[str, Any]


class DrillRecord(BaseModel):
    year: int
    passed_this_year: int
    required_per_year: int
    requirement_met: bool
    drills: list[DrillOut]


@router.get("", response_model=DrillRecord)
async def drill_record(user: Reader, runtime: RuntimeDep, session: SessionDep) -> DrillRecord:
    """The newest drills, and whether this year has had the two it needs."""
    year = runtime.clock.now().year
    passed = await drills.passed_in_year(session, year=year)
    rows = await drills.list_drills(session)
    return DrillRecord(year=year, passed_this_year=passed,
                       required_per_year=drills.DRILLS_PER_YEAR,
                       requirement_met=passed >= drills.DRILLS_PER_YEAR,
                       drills=[DrillOut.model_validate(row, from_attributes=True)
                               for row in rows])
