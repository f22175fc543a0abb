"""The health view (健康管理): a senior's vital signs over a day or a week, with the limits."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import BaseModel
from sqlalchemy import select

from accounts import service as accounts_service
from accounts.deps import require_roles
from accounts.models import StaffUser
from accounts.roles import Role
from alarms.models import AlarmProfile
from alarms.rules import METRIC_BY_DEVICE_KIND
from alarms.vitals import DEFAULT_LIMITS, with_overrides
from devices.models import Device, DeviceReading
from runtime.deps import RuntimeDep, SessionDep
from seniors import service as seniors_service
from seniors.exceptions import SeniorNotFoundError
from storage.bounds import RowId

router = APIRouter(prefix="/api/v1/health", tags=["health view"])
Viewer = Annotated[StaffUser, Depends(require_roles({Role.OPERATOR, Role.SUPERVISOR}))]
MAX_POINTS = 2000  # per metric; a week of one-minute readings is thinned to this


class Limits(BaseModel):
    unit: str
    critical_low: float | None
    critical_high: float | None
    warning_low: float | None
    warning_high: float | None


class Series(BaseModel):
    metric: str
    limits: Limits
    points: list[tuple[str, float]]


class VitalsView(BaseModel):
    senior_id: RowId
    senior_name: str
    days: int
    series: list[Series]


@router.get("/{senior_id}/vitals", response_model=VitalsView)
async def vitals(senior_id: RowId, user: Viewer, runtime: RuntimeDep, session: SessionDep,
                 days: Annotated[int, Query(ge=1, le=31)] = 1) -> VitalsView:
    """Heart rate, temperature, SpO2 and blood pressure with the senior's own limits."""
    try:
        senior = await seniors_service.get_senior(session, senior_id)
    except SeniorNotFoundError as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error
    now = runtime.clock.now()
    rows = (await session.execute(
        select(DeviceReading.metric, DeviceReading.value, DeviceReading.measured_at, Device.kind)
        .join(Device, Device.id == DeviceReading.device_id)
        .where(DeviceReading.senior_id == senior_id,
               DeviceReading.measured_at >= now - timedelta(days=days))
        .order_by(DeviceReading.measured_at))).all()
    points: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for metric, value, at, kind in rows:
        name = METRIC_BY_DEVICE_KIND.get((kind, metric), metric)
        if name in DEFAULT_LIMITS:
            points[name].append((at.isoformat(), value))
    profile = await session.get(AlarmProfile, senior_id)
    overrides = profile.vital_overrides if profile else {}
    await accounts_service.record_audit(session, actor=user.username, action="senior.vitals",
                                        subject_type="senior", subject_id=str(senior_id),
                                        now=now, detail={"days": days})
    await session.commit()
    series = []
    for metric, defaults in DEFAULT_LIMITS.items():
        own = with_overrides(defaults, overrides.get(metric, {}))
        values = points.get(metric, [])
        step = max(1, len(values) // MAX_POINTS)
        series.append(Series(metric=metric, points=values[::step], limits=Limits(
            unit=own.unit, critical_low=own.critical_low, critical_high=own.critical_high,
            warning_low=own.warning_low, warning_high=own.warning_high)))
    return VitalsView(senior_id=senior_id, senior_name=senior.name, days=days, series=series)
