"""Table: supervisor alerts, one open row per kind and subject."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base
from storage.scope import SeniorScoped
from storage.types import UTCDateTime


class SupervisorAlert(SeniorScoped, Base):
    """``ref`` names the subject (``alarm:5``, ``order:3``, ``operator:li``, ``ingest``);
    ``open_key`` holds kind and ref under a unique constraint until the alert is closed, so a
    condition that goes on is one alert with a count, not a flood."""

    __tablename__ = "supervisor_alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    ref: Mapped[str] = mapped_column(String(64), index=True)
    open_key: Mapped[str | None] = mapped_column(String(100), unique=True, nullable=True)
    senior_id: Mapped[int | None] = mapped_column(Integer, index=True, nullable=True)
    state: Mapped[str] = mapped_column(String(8), index=True)
    detail: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    count: Mapped[int] = mapped_column(Integer, default=1)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    seen_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
