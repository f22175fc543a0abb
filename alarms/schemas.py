"""Request and response bodies of the alarm routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from alarms.kinds import Disposition


class AlarmOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    senior_id: int
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
