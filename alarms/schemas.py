"""Request and response bodies of the alarm routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from alarms.kinds import Disposition
from storage.bounds import RowId


class CentreHandling(BaseModel):
    """A centre handled the alarm for another (a parent standing in for a station)."""

    by_zh: str
    by_en: str
    for_zh: str
    for_en: str


class AlarmOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    senior_id: RowId
    kind: str
    priority: int
    state: str
    voice_path: bool
    condition_active: bool
    device_id: str | None
    count: int
    first_at: datetime
    last_at: datetime
    details: dict[str, object]
    escalation_level: int
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    resolved_at: datetime | None
    resolved_by: str | None
    disposition: str | None
    notes: str
    # The owner's and the resolver's display names, for people; the fields above are accounts.
    acknowledged_by_name: str | None = None
    resolved_by_name: str | None = None
    # The centre it belongs to and the one that took it; ``handled_for`` names both when
    # they differ ("由 锡林郭勒盟中心 代 二连浩特站 处理").
    for_centre_id: int | None = None
    handled_by_centre_id: int | None = None
    handled_for: CentreHandling | None = None


class AlarmStepOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    action: str
    actor: str
    detail: dict[str, object]


class AlarmDetail(AlarmOut):
    timeline: list[AlarmStepOut]


class ResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    disposition: Disposition
    notes: Annotated[str, Field(max_length=4000)] = ""


class VitalOverride(BaseModel):
    """A senior's own limits for one metric; omitted fields keep the defaults."""

    model_config = ConfigDict(extra="forbid")

    critical_low: float | None = None
    critical_high: float | None = None
    warning_low: float | None = None
    warning_high: float | None = None
    clear_low: float | None = None
    clear_high: float | None = None


class AlarmProfileIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    inactivity_hours: Annotated[float | None, Field(gt=0, le=48)] = None
    watch_inactivity_at_night: bool = False
    geofence_meters: Annotated[float | None, Field(gt=0, le=50_000)] = None
    vital_overrides: dict[Literal["heart_rate", "body_temperature", "spo2", "blood_pressure"],
                          VitalOverride] = {}


class AlarmProfileOut(AlarmProfileIn):
    senior_id: RowId
    updated_by: str | None = None


class OwnedConflict(BaseModel):
    """Someone else owns the alarm: who, by account and by name."""

    code: str = "alarm_owned"
    detail: str
    owner: str
    owner_name: str
