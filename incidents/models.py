"""Tables: incidents and their entries (links to alarms, calls and orders; notes; contacts)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base
from storage.scope import SeniorScoped
from storage.types import UTCDateTime


class Incident(SeniorScoped, Base):
    """One situation of one senior, owned by an operator until it is closed.

    ``open_key`` is ``"senior:<id>"`` while the incident is open and NULL once closed; its
    unique constraint keeps one open incident per senior even when two operators act at once.
    """

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    senior_id: Mapped[int] = mapped_column(ForeignKey("seniors.id"), index=True)
    state: Mapped[str] = mapped_column(String(12), index=True)
    open_key: Mapped[str | None] = mapped_column(String(32), unique=True, nullable=True)
    owner: Mapped[str] = mapped_column(String(64), index=True)
    opened_via: Mapped[str] = mapped_column(String(12))
    opened_by: Mapped[str] = mapped_column(String(64))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Set once the closed record is older than ANXIN_CASE_ARCHIVE_DAYS (retention/archive.py):
    # lists leave it out, it stays readable by its id.
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    disposition: Mapped[str | None] = mapped_column(String(32), nullable=True)
    summary: Mapped[str] = mapped_column(Text, default="")


class IncidentEntry(Base):
    """A timed, attributed line of the incident: a link, a note, a contact reached, a change."""

    __tablename__ = "incident_entries"
    # One link per alarm, call or order (notes and changes have no ref and may repeat).
    __table_args__ = (UniqueConstraint("incident_id", "kind", "ref_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"),
                                             index=True)
    kind: Mapped[str] = mapped_column(String(12))
    ref_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
