"""Tables: seniors, their phone numbers, emergency contacts and consent records."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Connection,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    delete,
    event,
    insert,
    inspect,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from storage.base import Base
from storage.scope import AreaScoped
from storage.types import UTCDateTime


class Senior(AreaScoped, Base):
    __tablename__ = "seniors"
    # The search's order is (name, id); these let it page by key, within a district or not.
    __table_args__ = (Index("ix_seniors_name_id", "name", "id"),
                      Index("ix_seniors_district_name", "district", "name", "id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    resident_id: Mapped[str] = mapped_column(String(18), unique=True)
    birth_date: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(8))
    address: Mapped[str] = mapped_column(String(255))
    district: Mapped[str] = mapped_column(String(64), index=True)
    latitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    longitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    lives_alone: Mapped[bool] = mapped_column(Boolean, default=False)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    medical_notes: Mapped[str] = mapped_column(Text, default="")
    subsidy_categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    phones: Mapped[list[SeniorPhone]] = relationship(
        back_populates="senior", cascade="all, delete-orphan", order_by="SeniorPhone.position",
        lazy="selectin",
    )
    contacts: Mapped[list[EmergencyContact]] = relationship(
        back_populates="senior", cascade="all, delete-orphan",
        order_by="EmergencyContact.position", lazy="selectin",
    )
    consents: Mapped[list[Consent]] = relationship(
        back_populates="senior", cascade="all, delete-orphan", order_by="Consent.id",
        lazy="selectin",
    )


def name_grams(name: str) -> set[str]:
    """Every one- and two-character piece of ``name`` (lower case, no spaces): what a search
    by part of a name looks up (seniors/service.py, ``search_seniors``)."""
    folded = name.lower()
    pieces = {folded[i:i + size] for size in (1, 2) for i in range(len(folded) - size + 1)}
    return {piece for piece in pieces if not any(ch.isspace() for ch in piece)}


@event.listens_for(Senior, "after_insert")
def _index_new_name(_mapper: Any, connection: Connection, senior: Senior) -> None:
    _write_name_grams(connection, senior)


@event.listens_for(Senior, "after_update")
def _index_changed_name(_mapper: Any, connection: Connection, senior: Senior) -> None:
    if inspect(senior).attrs.name.history.has_changes():
        connection.execute(delete(SeniorNameGram).where(SeniorNameGram.senior_id == senior.id))
        _write_name_grams(connection, senior)


def _write_name_grams(connection: Connection, senior: Senior) -> None:
    """In the flush that writes the senior (bulk loads write the pieces themselves)."""
    rows = [{"senior_id": senior.id, "gram": gram, "name": senior.name}
            for gram in sorted(name_grams(senior.name))]
    if rows:
        connection.execute(insert(SeniorNameGram), rows)


class SeniorNameGram(Base):
    """One piece of a senior's name, with the name, so a search by part of a name reads its
    matches from one index in the list's (name, id) order. Trigram indexes (pg_trgm, FTS5)
    cannot serve the two-character searches Chinese names mostly get."""

    __tablename__ = "senior_name_grams"
    __table_args__ = (Index("ix_senior_name_grams_gram_name", "gram", "name", "senior_id"),)

    senior_id: Mapped[int] = mapped_column(ForeignKey("seniors.id", ondelete="CASCADE"),
                                           primary_key=True)
    gram: Mapped[str] = mapped_column(String(8), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))


class SeniorPhone(Base):
    """A number the senior calls from; normalised to E.164 for caller-ID lookup."""

    __tablename__ = "senior_phones"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    senior_id: Mapped[int] = mapped_column(ForeignKey("seniors.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(20), index=True)
    # The number's digits last to first, so "the last digits" is a prefix an index serves.
    digits_reversed: Mapped[str] = mapped_column(String(20), index=True, default="")
    label: Mapped[str] = mapped_column(String(32), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)

    senior: Mapped[Senior] = relationship(back_populates="phones")

    @validates("number")
    def _index_digits(self, _key: str, number: str) -> str:
        self.digits_reversed = reversed_digits(number)
        return number


def reversed_digits(number: str) -> str:
    return "".join(ch for ch in reversed(number) if ch.isdigit())


class EmergencyContact(Base):
    """A person to call when the senior cannot be reached, in ``position`` order."""

    __tablename__ = "emergency_contacts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    senior_id: Mapped[int] = mapped_column(ForeignKey("seniors.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(64))
    relation: Mapped[str] = mapped_column(String(32))
    phones: Mapped[list[str]] = mapped_column(JSON, default=list)
    notes: Mapped[str] = mapped_column(Text, default="")

    senior: Mapped[Senior] = relationship(back_populates="contacts")


class Consent(Base):
    """What the senior (or a guardian) agreed to, when, recorded by whom; withdrawals kept."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    senior_id: Mapped[int] = mapped_column(ForeignKey("seniors.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(32))
    granted: Mapped[bool] = mapped_column(Boolean)
    given_by: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(32))
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    notes: Mapped[str] = mapped_column(Text, default="")

    senior: Mapped[Senior] = relationship(back_populates="consents")
