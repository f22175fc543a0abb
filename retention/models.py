"""Tables: readings rolled up per senior, metric and hour or day; the roll-up cursors."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base
from storage.types import UTCDateTime


class ReadingRollup(Base):
    """min / mean / max / count of one senior's metric over one hour or one local day."""

    __tablename__ = "reading_rollups"
    # A chart reads one senior's span of one resolution: a single range of the first index.
    __table_args__ = (Index("uq_reading_rollups_senior_bucket_metric", "senior_id", "resolution",
                            "bucket_start", "metric", unique=True),
                      Index("ix_reading_rollups_resolution_bucket", "resolution",
                            "bucket_start"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    senior_id: Mapped[int] = mapped_column(Integer)
    # The chart's name of the metric (body_temperature, not a watch's "temperature").
    metric: Mapped[str] = mapped_column(String(32))
    resolution: Mapped[str] = mapped_column(String(8))  # "hour" | "day"
    bucket_start: Mapped[datetime] = mapped_column(UTCDateTime)
    minimum: Mapped[float] = mapped_column(Float)
    maximum: Mapped[float] = mapped_column(Float)
    total: Mapped[float] = mapped_column(Float)
    count: Mapped[int] = mapped_column(Integer)


class RollupCursor(Base):
    """Everything measured before ``rolled_until`` is in the roll-ups of this resolution."""

    __tablename__ = "reading_rollup_cursors"

    resolution: Mapped[str] = mapped_column(String(8), primary_key=True)
    rolled_until: Mapped[datetime] = mapped_column(UTCDateTime)
