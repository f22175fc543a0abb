"""Tables: the routing state, so that a restart resumes the queue as it was."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base
from storage.types import UTCDateTime


class RoutingOperator(Base):
    __tablename__ = "routing_operators"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    state: Mapped[str] = mapped_column(String(16))
    idle_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    misses: Mapped[int] = mapped_column(Integer, default=0)
    wrap_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # A supervisor who took an emergency without being on the desk (leaves it afterwards).
    stand_in: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Where the phone network reaches this operator (or supervisor): a number, a SIP URI or a
    # Twilio client identity. Only networks that carry audio to staff phones dial it.
    phone_endpoint: Mapped[str | None] = mapped_column(String(128), nullable=True)


class RoutingTask(Base):
    """A piece of work waiting for, offered to, or done by an operator.

    ``ref`` names what the work is about (``alarm:12``, ``call:40``); while the task is open,
    ``open_ref`` holds the same value under a unique constraint, so one alarm never waits twice.
    """

    __tablename__ = "routing_tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    priority: Mapped[int] = mapped_column(Integer)
    ref: Mapped[str] = mapped_column(String(64), index=True)
    open_ref: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    language: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # The operator who owns the senior's open incident, offered the work first if available.
    preferred: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    state: Mapped[str] = mapped_column(String(16), index=True)
    step: Mapped[int] = mapped_column(Integer, default=-1)
    exclusive: Mapped[bool] = mapped_column(Boolean, default=False)
    offered_to: Mapped[list[str]] = mapped_column(JSON, default=list)
    refused_by: Mapped[list[str]] = mapped_column(JSON, default=list)
    reserved_to: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reservation_expires: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    assigned_to: Mapped[str | None] = mapped_column(String(64), nullable=True)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The centre the work belongs to and the one whose operator took it (a parent, when the
    # work overflowed), and why it left its own centre: closed, no_one_on_duty, unanswered.
    for_centre_id: Mapped[int | None] = mapped_column(ForeignKey("centres.id"), nullable=True)
    handled_by_centre_id: Mapped[int | None] = mapped_column(ForeignKey("centres.id"),
                                                             nullable=True)
    overflow_reason: Mapped[str | None] = mapped_column(String(16), nullable=True)


class OperatorStateChange(Base):
    """An operator entering a state at a time; occupancy in the KPIs is read from these."""

    __tablename__ = "routing_operator_states"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    state: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
