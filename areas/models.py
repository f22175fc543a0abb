"""Tables: the administrative areas and the centres that serve them."""

from __future__ import annotations

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base


class Area(Base):
    """One GB/T 2260 division: region, league or city, banner or county, street, community."""

    __tablename__ = "areas"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("areas.code"), nullable=True)
    name_zh: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(128))


class Centre(Base):
    """A 12349 centre or station: it serves its area's whole subtree."""

    __tablename__ = "centres"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(32), unique=True)
    area_code: Mapped[str] = mapped_column(ForeignKey("areas.code"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("centres.id"), nullable=True)
    name_zh: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(128))
    # When it answers its own work (areas/hours.py): ranges per weekday in its time zone;
    # None is around the clock. Outside them its work goes to the parent centre at once.
    opening_hours: Mapped[dict[str, list[list[str]]] | None] = mapped_column(JSON, nullable=True)
    time_zone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai",
                                           server_default="Asia/Shanghai")


class CentreLine(Base):
    """A number a centre answers (its 12349 line, a trunk): a call from an unknown number
    to it is that centre's. ``number`` is stored as areas/lines.py normalises it."""

    __tablename__ = "centre_lines"

    number: Mapped[str] = mapped_column(String(32), primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id", ondelete="CASCADE"),
                                           index=True)
