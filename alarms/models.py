"""Tables: alarms and the timeline of everything that happened to each."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base
from storage.scope import AreaScoped, SeniorScoped
from storage.types import UTCDateTime


class Alarm(AreaScoped, Base):
    """One alarm; repeats of the same open condition update it instead of opening another.

    ``open_key`` is ``"<senior>:<kind>"`` while the alarm is open and NULL once resolved; its
    unique constraint keeps one open alarm per senior and kind even under concurrent writers.
    """

    __tablename__ = "alarms"
    # A senior's alarms newest first (the record page, the history) without a sort.
    __table_args__ = (Index("ix_alarms_senior_first", "senior_id", "first_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    senior_id: Mapped[int] = mapped_column(ForeignKey("seniors.id"))
    kind: Mapped[str] = mapped_column(String(32))
    priority: Mapped[int] = mapped_column(Integer, index=True)
    state: Mapped[str] = mapped_column(String(16), index=True)
    open_key: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    voice_path: Mapped[bool] = mapped_column(Boolean, default=False)
    condition_active: Mapped[bool] = mapped_column(Boolean, default=True)
    device_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    count: Mapped[int] = mapped_column(Integer, default=1)
    first_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # Set once the closed record is older than ANXIN_CASE_ARCHIVE_DAYS (retention/archive.py):
    # lists leave it out, it stays readable by its id.
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime)
    details: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    acknowledged_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    disposition: Mapped[str | None] = mapped_column(String(32), nullable=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    # Set when it is acknowledged: the centre the alarm belongs to and the one whose staff
    # took it (a parent centre standing in for a closed or unreachable station).
    for_centre_id: Mapped[int | None] = mapped_column(ForeignKey("centres.id"), nullable=True)
    handled_by_centre_id: Mapped[int | None] = mapped_column(ForeignKey("centres.id"),
                                                             nullable=True)


class AlarmStep(Base):
    """A timed, attributed step in an alarm's life: raised, repeated, escalated, acknowledged…"""

    __tablename__ = "alarm_steps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alarm_id: Mapped[int] = mapped_column(ForeignKey("alarms.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    action: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)


class AlarmProfile(SeniorScoped, Base):
    """A senior's own alarm settings; absent fields fall back to the defaults."""

    __tablename__ = "alarm_profiles"

    senior_id: Mapped[int] = mapped_column(ForeignKey("seniors.id", ondelete="CASCADE"),
                                           primary_key=True)
    inactivity_hours: Mapped[float | None] = mapped_column(Float, nullable=True)
    watch_inactivity_at_night: Mapped[bool] = mapped_column(Boolean, default=False)
    geofence_meters: Mapped[float | None] = mapped_column(Float, nullable=True)
    vital_overrides: Mapped[dict[str, dict[str, float | None]]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(64))


class SeniorActivity(SeniorScoped, Base):
    """What the home sensors last said about a senior: the state behind time-based rules."""

    __tablename__ = "senior_activity"

    senior_id: Mapped[int] = mapped_column(ForeignKey("seniors.id", ondelete="CASCADE"),
                                           primary_key=True)
    last_motion_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    in_bed: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    bed_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_fall_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    vital_bands: Mapped[dict[str, list[int]]] = mapped_column(JSON, default=dict)


class RuleCursor(Base):
    """How far the rules engine has read an append-only table (the device readings)."""

    __tablename__ = "alarm_rule_cursors"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
