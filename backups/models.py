"""Table: the record of restore drills (应急演练)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base
from storage.types import UTCDateTime


class RestoreDrill(Base):
    """One drill: which backup was restored, how old it was, how long recovery took."""

    __tablename__ = "backup_drills"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime)
    backup_file: Mapped[str] = mapped_column(String(255))
    backup_created_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Recovery point: the backup's age when the drill began; recovery time: from the start of
    # the restore to the test alarm handled on the restored copy.
    recovery_point_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    recovery_time_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    outcome: Mapped[str] = mapped_column(String(16))  # "passed" | "failed"
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
