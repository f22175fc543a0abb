"""The health view (健康管理): a senior's vital signs over a day up to a year, with the limits."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts import service as accounts_service
from accounts.deps import require_roles
from accounts.models import StaffUser
from accounts.roles import Role
from alarms.models import AlarmProfile
from alarms.rules import METRIC_BY_DEVICE_KIND
from alarms.vitals import DEFAULT_LIMITS, with_overrides
from devices.models import Device, DeviceReading
from retention import service as retention_service
from runtime.deps import RuntimeDep, SessionDep
from seniors import service as seniors_service
from seniors.exceptions import SeniorNotFoundError
from storage.bounds import RowId

router = APIRouter(prefix="/api/v1/health", tags=["health view"])
Viewer = Annotated[StaffUser, Depends(require_roles({Role.OPERATOR, Role.SUPERVISOR}))]
MAX_POINTS = 2000  # per metric; a week of one-minute readings is thinned to this
LONG_SPAN_DAYS = 31  # beyond this the chart is drawn from daily roll-ups
RAW = "raw"


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
    # The sources used, oldest first: "day", "hour" (roll-ups, points are means) and "raw".
    resolutions: list[str] = []


@router.get("/{senior_id}/vitals", response_model=VitalsView)
async def vitals(senior_id: RowId, user: Viewer, runtime: RuntimeDep, session: SessionDep,
                 days: Annotated[int, Query(ge=1, le=366)] = 1) -> VitalsView:
    """Heart rate, temperature, SpO2 and blood pressure with the senior's own limits.

    Raw readings inside the raw window, hourly and daily roll-ups beyond it (see
    ``chart_segments``), joined into one series per metric.
    """
    try:
        senior = await seniors_service.get_senior(session, senior_id)
    except SeniorNotFoundError as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error
    now = runtime.clock.now()
    segments = chart_segments(
        since=now - timedelta(days=days), now=now, long=days > LONG_SPAN_DAYS,
        raw_days=runtime.settings.readings_raw_days,
        hourly=await retention_service.cursor(session, retention_service.HOURLY),
        daily=await retention_service.cursor(session, retention_service.DAILY))
    points: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for resolution, start, end in segments:
        if resolution == RAW:
            await _raw_points(session, points, senior_id=senior_id, since=start, until=end)
        else:
            found = await retention_service.rollups(session, senior_id=senior_id,
                                                    resolution=resolution, since=start,
                                                    until=end)
            for metric, buckets in found.items():
                points[metric].extend((at.isoformat(), b.total / b.count) for at, b in buckets)
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
    return VitalsView(senior_id=senior_id, senior_name=senior.name, days=days, series=series,
                      resolutions=[resolution for resolution, _, _ in segments])


def chart_segments(*, since: datetime, now: datetime, long: bool, raw_days: int,
                   hourly: datetime | None, daily: datetime | None
                   ) -> list[tuple[str, datetime, datetime]]:
    """Which source covers which part of [since, now]: (resolution, start, end), in order.

    Raw readings where nothing is rolled up yet and inside the raw window (for a long span
    only where nothing is rolled up yet); daily roll-ups for a long span; hourly between.
    """
    if hourly is None:
        return [(RAW, since, now)]
    raw_from = hourly if long else min(now - timedelta(days=raw_days), hourly)
    raw_from = max(since, raw_from)
    hour_from = max(since, min(daily, raw_from)) if long and daily is not None else since
    found = [(retention_service.DAILY, since, hour_from), (retention_service.HOURLY, hour_from,
                                                          raw_from), (RAW, raw_from, now)]
    return [(resolution, start, end) for resolution, start, end in found if start < end]


async def _raw_points(session: AsyncSession, points: dict[str, list[tuple[str, float]]], *,
                      senior_id: int, since: datetime, until: datetime) -> None:
    rows = (await session.execute(
        select(DeviceReading.metric, DeviceReading.value, DeviceReading.measured_at, Device.kind)
        .join(Device, Device.id == DeviceReading.device_id)
        .where(DeviceReading.senior_id == senior_id, DeviceReading.measured_at >= since,
               DeviceReading.measured_at <= until)
        # The last hour holds every device's readings; SQLite's sampled statistics chose the
        # time index and filtered them all (2 s at 40,000 devices). One senior's are few.
        .with_hint(DeviceReading, "INDEXED BY ix_device_readings_senior_measured", "sqlite")
        .order_by(DeviceReading.measured_at))).all()
    for metric, value, at, kind in rows:
        name = METRIC_BY_DEVICE_KIND.get((kind, metric), metric)
        if name in DEFAULT_LIMITS:
            points[name].append((at.isoformat(), value))
