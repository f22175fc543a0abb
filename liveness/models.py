"""Tables: sealed templates, challenge sessions, hash-chained decisions, reviews, audit frames,
certifications, staff tasks and reminders."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base
from storage.scope import SeniorScoped
from storage.types import UTCDateTime


class FaceTemplate(Base):
    """One enrolment photo's 128-d template, AES-GCM sealed; the photo itself is not kept."""

    __tablename__ = "liveness_templates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    senior_id: Mapped[int] = mapped_column(ForeignKey("seniors.id", ondelete="CASCADE"),
                                           index=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    # Which ANXIN_BIOMETRIC_KEY sealed it (config/keys.py); None: sealed before key ids.
    key_id: Mapped[str | None] = mapped_column(String(16), nullable=True, index=True)
    photo_sha256: Mapped[str] = mapped_column(String(64))
    enrolled_by: Mapped[str] = mapped_column(String(64))
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ChallengeSession(SeniorScoped, Base):
    """A one-time, short-lived liveness challenge with its random script."""

    __tablename__ = "liveness_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    senior_id: Mapped[int] = mapped_column(ForeignKey("seniors.id", ondelete="CASCADE"),
                                           index=True)
    nonce: Mapped[str] = mapped_column(String(64))
    actions: Mapped[list[str]] = mapped_column(JSON)
    channel: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(64))
    staff: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    link_id: Mapped[str | None] = mapped_column(String(32), nullable=True)  # from a link


class CaptureLinkUse(Base):
    """A capture link spent by the check of one of its sessions; kept until the link expires."""

    __tablename__ = "liveness_link_uses"

    link_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    session_id: Mapped[str] = mapped_column(String(32))
    used_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class DecisionRecord(SeniorScoped, Base):
    """A check's verdict or a later override; each row stores the previous row's hash."""

    __tablename__ = "liveness_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # check | override
    senior_id: Mapped[int] = mapped_column(Integer, index=True)
    session_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    overrides_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    outcome: Mapped[str] = mapped_column(String(16))
    reasons: Mapped[list[str]] = mapped_column(JSON)
    scores: Mapped[dict[str, float]] = mapped_column(JSON)
    thresholds: Mapped[dict[str, float]] = mapped_column(JSON)
    versions: Mapped[dict[str, str]] = mapped_column(JSON)
    channel: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(64))
    staff: Mapped[str] = mapped_column(String(64))
    approved_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    previous_hash: Mapped[str] = mapped_column(String(64))
    record_hash: Mapped[str] = mapped_column(String(64), unique=True)


class ReviewRequest(Base):
    """A proposed outcome for a decision, waiting for a second staff member's approval."""

    __tablename__ = "liveness_reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("liveness_decisions.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    approved_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class AuditFrame(Base):
    """At most two downscaled frames of an attempt, sealed like templates, for disputes;
    purged on schedule."""

    __tablename__ = "liveness_audit_frames"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("liveness_decisions.id"), index=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    # Which ANXIN_BIOMETRIC_KEY sealed it; None: a plain JPEG kept before frames were sealed.
    key_id: Mapped[str | None] = mapped_column(String(16), nullable=True, index=True)
    purge_after: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class Certification(SeniorScoped, Base):
    """Proof of life per senior and subsidy category, and the payment hold it drives."""

    __tablename__ = "liveness_certifications"
    __table_args__ = (UniqueConstraint("senior_id", "category"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    senior_id: Mapped[int] = mapped_column(ForeignKey("seniors.id", ondelete="CASCADE"),
                                           index=True)
    category: Mapped[str] = mapped_column(String(64))
    certified_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    held_since: Mapped[date | None] = mapped_column(Date, nullable=True)
    back_pay_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    back_pay_due: Mapped[bool] = mapped_column(Boolean, default=False)
    reminded_for: Mapped[date | None] = mapped_column(Date, nullable=True)
    # Set once the closed record is older than ANXIN_CASE_ARCHIVE_DAYS (retention/archive.py):
    # lists leave it out, it stays readable by its id.
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class LivenessTask(SeniorScoped, Base):
    """Work for subsidy staff: call the senior or visit, before any payment hold."""

    __tablename__ = "liveness_tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    senior_id: Mapped[int] = mapped_column(ForeignKey("seniors.id", ondelete="CASCADE"),
                                           index=True)
    kind: Mapped[str] = mapped_column(String(16))  # call | home_visit
    reason: Mapped[str] = mapped_column(String(64))
    decision_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
