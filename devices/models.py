"""Tables: devices, their readings and events (an outbox for the alarm rules), dead letters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base
from storage.scope import AreaScoped, SeniorScoped
from storage.types import UTCDateTime


class Device(AreaScoped, Base):
    __tablename__ = "devices"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    model: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    senior_id: Mapped[int | None] = mapped_column(
        ForeignKey("seniors.id", ondelete="SET NULL"), index=True, nullable=True)
    location: Mapped[str] = mapped_column(String(64), default="")
    heartbeat_seconds: Mapped[int] = mapped_column(Integer)
    grace_seconds: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), default="active")
    mqtt_password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reported_online: Mapped[bool | None] = mapped_column(nullable=True)
    battery: Mapped[float | None] = mapped_column(Float, nullable=True)
    # The SIM's number (E.164), for alarm units that call the hotline themselves.
    phone: Mapped[str | None] = mapped_column(String(20), nullable=True, unique=True)


class DeviceReading(SeniorScoped, Base):
    """One telemetry value; written in batches by the ingest, once per device, time and
    metric."""

    __tablename__ = "device_readings"
    # One row per device, time and metric: a message the broker delivers again (the ingest
    # died between its commit and its PUBACK) adds nothing.
    # On PostgreSQL the table is partitioned by day of measured_at (retention/partitions.py),
    # so its primary key there is (id, measured_at).
    __table_args__ = (Index("uq_device_readings_device_measured_metric", "device_id",
                            "measured_at", "metric", unique=True),
                      Index("ix_device_readings_senior_measured", "senior_id", "measured_at"),
                      Index("ix_device_readings_measured_at", "measured_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    device_id: Mapped[str] = mapped_column(String(64))
    # Looked up through ix_device_readings_senior_measured; no index of its own.
    senior_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    metric: Mapped[str] = mapped_column(String(32))
    value: Mapped[float] = mapped_column(Float)
    measured_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seq: Mapped[int | None] = mapped_column(Integer, nullable=True)


class StoredDeviceEvent(SeniorScoped, Base):
    """A device event, stored once per (device, event_id); ``processed_at`` marks the outbox."""

    __tablename__ = "device_events"
    __table_args__ = (UniqueConstraint("device_id", "event_id",
                                       name="uq_device_events_device_event"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    device_id: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[str] = mapped_column(String(64))
    senior_id: Mapped[int | None] = mapped_column(Integer, index=True, nullable=True)
    type: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)


class DeadLetter(Base):
    """A message the ingest could not use, kept 30 days with the reason and its first bytes."""

    __tablename__ = "device_dead_letters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    topic: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(String(300))
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    payload_size: Mapped[int] = mapped_column(Integer)
    # The device segment of the topic ("" when the topic has none): what floods count by.
    device_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    # Further dead letters of this device in the same window, counted but not stored.
    repeats: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class DeviceCommand(Base):
    """A downlink an operator sent to a watch (locate, message, settings) and its answer."""

    __tablename__ = "device_commands"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    device_id: Mapped[str] = mapped_column(String(64), index=True)
    command: Mapped[str] = mapped_column(String(32))
    content: Mapped[str] = mapped_column(String(600))  # the frame content sent to the watch
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # answered | no_answer | not_connected
    outcome: Mapped[str] = mapped_column(String(16))
    answer: Mapped[str | None] = mapped_column(String(600), nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
