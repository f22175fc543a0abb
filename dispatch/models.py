"""Tables: providers, their blocks by seniors, orders, offers, transitions, timers, complaints."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base
from storage.scope import AreaScoped, SeniorScoped
from storage.types import UTCDateTime


class Provider(AreaScoped, Base):
    """An affiliated firm (加盟服务商) or one of its workers; either can take orders."""

    __tablename__ = "dispatch_providers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # firm | worker
    firm_id: Mapped[int | None] = mapped_column(
        ForeignKey("dispatch_providers.id"), nullable=True, index=True
    )
    name: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str] = mapped_column(String(20), default="")
    services: Mapped[list[str]] = mapped_column(JSON, default=list)
    certifications: Mapped[list[str]] = mapped_column(JSON, default=list)
    districts: Mapped[list[str]] = mapped_column(JSON, default=list)
    area_latitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    area_longitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    area_radius_km: Mapped[float | None] = mapped_column(Float, nullable=True)
    work_start_minute: Mapped[int] = mapped_column(Integer, default=8 * 60)
    work_end_minute: Mapped[int] = mapped_column(Integer, default=18 * 60)
    capacity: Mapped[int] = mapped_column(Integer, default=1)
    latitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    longitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    status: Mapped[str] = mapped_column(String(12), default="active", index=True)
    channel: Mapped[str] = mapped_column(String(8), default="page")  # sms | webhook | page
    webhook_url: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # The provider's own webhook secret, AES-GCM sealed (dispatch/signing.py); shown only when
    # issued. None for providers registered before secrets were per provider.
    webhook_secret_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    # Running figures the KPIs and the score read; updated as orders move.
    rating_sum: Mapped[float] = mapped_column(Float, default=0.0)
    rating_count: Mapped[int] = mapped_column(Integer, default=0)
    offers_received: Mapped[int] = mapped_column(Integer, default=0)
    offers_accepted: Mapped[int] = mapped_column(Integer, default=0)
    accept_seconds_sum: Mapped[float] = mapped_column(Float, default=0.0)
    arrivals: Mapped[int] = mapped_column(Integer, default=0)
    arrivals_on_time: Mapped[int] = mapped_column(Integer, default=0)
    jobs_accepted: Mapped[int] = mapped_column(Integer, default=0)
    jobs_completed: Mapped[int] = mapped_column(Integer, default=0)
    complaints: Mapped[int] = mapped_column(Integer, default=0)
    active_jobs: Mapped[int] = mapped_column(Integer, default=0)
    last_job_ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    @property
    def webhook_secret_set(self) -> bool:
        return self.webhook_secret_sealed is not None


class ProviderCoverage(Base):
    """Where a provider can do a service ('*' for a radius area): the indexed pre-filter."""

    __tablename__ = "dispatch_provider_coverage"
    __table_args__ = (Index("ix_dispatch_coverage_service_district", "service", "district"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("dispatch_providers.id"), index=True)
    service: Mapped[str] = mapped_column(String(32))
    district: Mapped[str] = mapped_column(String(64))


class ProviderBlock(Base):
    """A senior who does not want this provider again."""

    __tablename__ = "dispatch_provider_blocks"
    __table_args__ = (UniqueConstraint("senior_id", "provider_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    senior_id: Mapped[int] = mapped_column(ForeignKey("seniors.id", ondelete="CASCADE"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("dispatch_providers.id"), index=True)
    reason: Mapped[str] = mapped_column(Text, default="")


# Orders made by a machine (a schedule's visit, an unreached case's responder) name their cause in
# ``source_ref``; two app instances sweeping at once must not make the same order twice.
MACHINE_SOURCES = "source = 'schedule' OR (source = 'alarm' AND source_ref LIKE 'case:%')"


class ServiceOrder(SeniorScoped, Base):
    __tablename__ = "dispatch_orders"
    __table_args__ = (
        Index(
            "uq_dispatch_orders_machine_source",
            "source",
            "source_ref",
            unique=True,
            sqlite_where=text(MACHINE_SOURCES),
            postgresql_where=text(MACHINE_SOURCES),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    senior_id: Mapped[int] = mapped_column(ForeignKey("seniors.id"), index=True)
    service: Mapped[str] = mapped_column(String(32))
    urgency: Mapped[str] = mapped_column(String(12))  # urgent | same_day | scheduled
    source: Mapped[str] = mapped_column(String(16))  # operator | green_key | alarm | schedule
    source_ref: Mapped[str] = mapped_column(String(64), default="")
    state: Mapped[str] = mapped_column(String(16), index=True)
    district: Mapped[str] = mapped_column(String(64))
    latitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    longitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    service_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_by: Mapped[datetime] = mapped_column(UTCDateTime)
    notes: Mapped[str] = mapped_column(Text, default="")
    price_fen: Mapped[int] = mapped_column(Integer)
    subsidised_fen: Mapped[int] = mapped_column(Integer)
    senior_pays_fen: Mapped[int] = mapped_column(Integer)
    subsidy_category: Mapped[str | None] = mapped_column(String(32), nullable=True)
    provider_id: Mapped[int | None] = mapped_column(
        ForeignKey("dispatch_providers.id"), nullable=True, index=True
    )
    offers_made: Mapped[int] = mapped_column(Integer, default=0)
    escalation_reason: Mapped[str] = mapped_column(Text, default="")
    # The reason as a code from dispatch/escalations.py, for pages to word; "" when none.
    escalation_code: Mapped[str] = mapped_column(String(32), default="")
    late_alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    rating: Mapped[int | None] = mapped_column(Integer, nullable=True)
    completion_note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Set once the closed order is older than ANXIN_CASE_ARCHIVE_DAYS (retention/archive.py):
    # lists leave it out, it stays readable by its id.
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Offer(Base):
    """One offer of an order to one provider; ``token`` names it in the provider's reply."""

    __tablename__ = "dispatch_offers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("dispatch_orders.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("dispatch_providers.id"), index=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)
    round: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(12), index=True)
    # offered | accepted | declined | expired | superseded | taken | aborted
    score: Mapped[float] = mapped_column(Float, default=0.0)
    offered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class OrderTransition(Base):
    __tablename__ = "dispatch_order_transitions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("dispatch_orders.id"), index=True)
    from_state: Mapped[str] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    event: Mapped[str] = mapped_column(String(24))
    actor: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class DispatchTimer(Base):
    """Something due at a time (an offer expiry, an arrival deadline); kept across restarts."""

    __tablename__ = "dispatch_timers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # offer_expiry | arrival_deadline
    order_id: Mapped[int] = mapped_column(ForeignKey("dispatch_orders.id"), index=True)
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("dispatch_offers.id"), nullable=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)


class Complaint(Base):
    __tablename__ = "dispatch_complaints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("dispatch_orders.id"), index=True)
    provider_id: Mapped[int | None] = mapped_column(
        ForeignKey("dispatch_providers.id"), nullable=True, index=True
    )
    text: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class VisitSchedule(SeniorScoped, Base):
    """A recurring visit (weekly cleaning, a daily meal): orders are made from it day by day."""

    __tablename__ = "dispatch_schedules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    senior_id: Mapped[int] = mapped_column(ForeignKey("seniors.id", ondelete="CASCADE"), index=True)
    service: Mapped[str] = mapped_column(String(32))
    weekdays: Mapped[list[int]] = mapped_column(JSON)  # 0 = Monday … 6 = Sunday
    local_minute: Mapped[int] = mapped_column(Integer)  # start, in the centre's time zone
    # The local dates it runs between (both included; None = open-ended), and local dates
    # with no visit (holidays, a stay in hospital), as ISO strings.
    starts_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    ends_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    skip_dates: Mapped[list[str]] = mapped_column(JSON, default=list)
    notes: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
