"""Tables: the live feed's event log (one global order) and the cluster's job leases."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base
from storage.types import UTCDateTime

# SQLite numbers rows only through an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
LogId = BigInteger().with_variant(Integer(), "sqlite")


class BusLogEntry(Base):
    """One published event; ``id`` is its number in the one order every instance shows."""

    __tablename__ = "bus_log"

    id: Mapped[int] = mapped_column(LogId, primary_key=True, autoincrement=True)
    topic: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, object]] = mapped_column(JSON)
    roles: Mapped[list[str]] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    origin: Mapped[str] = mapped_column(String(64))  # the instance that published it
    area_code: Mapped[str | None] = mapped_column(String(12), nullable=True)  # whose centres


class BusEpoch(Base):
    """The log's name: a client's number from another log (a new database) is no resume."""

    __tablename__ = "bus_epoch"

    epoch: Mapped[str] = mapped_column(String(32), primary_key=True)


class ClusterLease(Base):
    """Who runs a cluster-wide job: ``generation`` grows at each change of holder (fencing)."""

    __tablename__ = "cluster_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    generation: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime)
