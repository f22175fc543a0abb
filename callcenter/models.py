"""Tables: every call leg, each status it reached, outbound cases, text messages, campaigns."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
    or_,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base
from storage.scope import SeniorScoped, area_matches
from storage.types import UTCDateTime


class CallLeg(SeniorScoped, Base):
    """One leg of a call, inbound or outbound, from offer to end."""

    __tablename__ = "call_legs"

    @classmethod
    def in_areas(cls, prefixes: frozenset[str]) -> ColumnElement[bool]:
        """The senior's centres see a known caller's leg; an unknown caller's is seen by the
        centres over the line they dialled, or by every centre when no centre has that line."""
        unknown = and_(cls.senior_id.is_(None), or_(cls.line_area_code.is_(None),
                                                    area_matches(cls.line_area_code, prefixes)))
        return or_(unknown, cls.senior_in_areas(prefixes))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider: Mapped[str] = mapped_column(String(16))
    provider_sid: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    direction: Mapped[str] = mapped_column(String(8))
    purpose: Mapped[str] = mapped_column(String(24), default="hotline")
    from_number: Mapped[str] = mapped_column(String(32))
    to_number: Mapped[str] = mapped_column(String(32))
    # An unknown caller's leg: the area of the centre whose line they dialled (areas/lines.py).
    line_area_code: Mapped[str | None] = mapped_column(String(12), nullable=True)
    senior_id: Mapped[int | None] = mapped_column(
        ForeignKey("seniors.id", ondelete="SET NULL"), nullable=True, index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    ivr_state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ivr_path: Mapped[list[str]] = mapped_column(JSON, default=list)
    queue: Mapped[str | None] = mapped_column(String(24), nullable=True, index=True)
    priority: Mapped[int] = mapped_column(Integer, default=3)
    reserved_for: Mapped[str | None] = mapped_column(String(64), nullable=True)
    operator: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # Set once the closed record is older than ANXIN_CASE_ARCHIVE_DAYS (retention/archive.py):
    # lists leave it out, it stays readable by its id.
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    offered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(24), nullable=True)
    recording_ref: Mapped[str | None] = mapped_column(String(255), nullable=True)
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("call_cases.id", ondelete="SET NULL"), nullable=True, index=True)
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("call_campaigns.id", ondelete="SET NULL"), nullable=True, index=True)
    contact_position: Mapped[int | None] = mapped_column(Integer, nullable=True)
    callback_offered: Mapped[bool] = mapped_column(default=False)
    # A leg dialled into another call's conference (a contact, 120, a supervisor, the
    # operator's own phone) names that call and the conference it joins.
    conference: Mapped[str | None] = mapped_column(String(64), nullable=True)
    parent_call_id: Mapped[int | None] = mapped_column(
        ForeignKey("call_legs.id", ondelete="SET NULL"), nullable=True, index=True)
    requested_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Set when answered: the centre the caller belongs to, the one whose operator answered,
    # and both names when one stood in for the other (by_zh, by_en, for_zh, for_en).
    for_centre_id: Mapped[int | None] = mapped_column(ForeignKey("centres.id"), nullable=True)
    handled_by_centre_id: Mapped[int | None] = mapped_column(ForeignKey("centres.id"),
                                                             nullable=True)
    handled_for: Mapped[dict[str, str] | None] = mapped_column(JSON, nullable=True)


class CallStatusChange(Base):
    """Each status a leg reached, stored once even when the network repeats itself."""

    __tablename__ = "call_status_changes"
    __table_args__ = (UniqueConstraint("call_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("call_legs.id", ondelete="CASCADE"),
                                         index=True)
    status: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class CallCase(SeniorScoped, Base):
    """Outbound work that must get done: an alarm call-back and its contact cascade,
    calling back an abandoned emergency, or a call-back promised to a waiting caller."""

    __tablename__ = "call_cases"
    __table_args__ = (UniqueConstraint("kind", "alarm_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(24), index=True)
    state: Mapped[str] = mapped_column(String(12), index=True, default="open")
    senior_id: Mapped[int | None] = mapped_column(
        ForeignKey("seniors.id", ondelete="SET NULL"), nullable=True, index=True)
    alarm_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    origin_call_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    number: Mapped[str] = mapped_column(String(32), default="")
    operator: Mapped[str | None] = mapped_column(String(64), nullable=True)
    step: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(24), nullable=True)


class TextMessage(Base):
    """A text message sent by the system."""

    __tablename__ = "call_text_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("call_cases.id", ondelete="SET NULL"), nullable=True, index=True)
    to_number: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    provider_sid: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reason: Mapped[str] = mapped_column(String(24))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CallCampaign(Base):
    """A batch of outbound calls: wellbeing checks or a weather warning to a district."""

    __tablename__ = "call_campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(128))
    district: Mapped[str | None] = mapped_column(String(64), nullable=True)
    message: Mapped[str] = mapped_column(Text)
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    created_by: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
