"""Alerts as the HTTP API and the live feed show them: words in both languages."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from alerts import kinds
from alerts.models import SupervisorAlert


class AlertOut(BaseModel):
    id: int
    kind: str
    ref: str
    senior_id: int | None
    state: str
    urgent: bool
    title_zh: str
    title_en: str
    count: int
    raised_at: datetime
    last_at: datetime
    seen_by: str | None
    seen_at: datetime | None
    closed_by: str | None
    closed_at: datetime | None

    @classmethod
    def of(cls, alert: SupervisorAlert) -> AlertOut:
        return cls(
            id=alert.id, kind=alert.kind, ref=alert.ref, senior_id=alert.senior_id,
            state=alert.state, urgent=kinds.ALERT_KINDS[alert.kind].urgent,
            title_zh=kinds.words(alert.kind, alert.detail, "zh-CN"),
            title_en=kinds.words(alert.kind, alert.detail, "en"),
            count=alert.count, raised_at=alert.raised_at, last_at=alert.last_at,
            seen_by=alert.seen_by, seen_at=alert.seen_at, closed_by=alert.closed_by,
            closed_at=alert.closed_at)


class CloseIn(BaseModel):
    note: str = Field(default="", max_length=2000)
