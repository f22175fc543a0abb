"""Areas and centres: names, subtrees, and which area a district name or a caller means."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from areas.codes import AREAS, prefix_of
from areas.exceptions import CentreNotFoundError
from areas.hours import ALWAYS_OPEN, DEFAULT_TIME_ZONE, OpeningHours, parse_hours
from areas.models import Area, Centre
from runtime.scope import AreaScope


@dataclass(frozen=True, slots=True)
class CentreView:
    id: int
    slug: str
    area_code: str
    parent_id: int | None
    name_zh: str
    name_en: str
    hours: OpeningHours = ALWAYS_OPEN

    @property
    def prefix(self) -> str:
        """What every area code this centre serves starts with."""
        return prefix_of(self.area_code)


def view_of(centre: Centre) -> CentreView:
    return CentreView(centre.id, centre.slug, centre.area_code, centre.parent_id,
                      centre.name_zh, centre.name_en,
                      parse_hours(centre.opening_hours, centre.time_zone or DEFAULT_TIME_ZONE))


async def ensure_areas(session: AsyncSession) -> int:
    """Add the rows of areas/codes.py the table lacks (parents first); returns how many."""
    known = set((await session.scalars(select(Area.code))).all())
    missing = [row for row in AREAS if row.code not in known]
    for row in missing:
        session.add(Area(code=row.code, parent_code=row.parent, name_zh=row.name_zh,
                         name_en=row.name_en))
        await session.flush()
    return len(missing)


async def area_of_district(session: AsyncSession, district: str) -> str | None:
    """The code of the area a district is written as (Chinese or English name), if known."""
    name = district.strip().casefold()
    if not name:
        return None
    query = select(Area.code).where(or_(func.lower(Area.name_zh) == name,
                                        func.lower(Area.name_en) == name,
                                        func.lower(Area.name_en) == f"{name} district"))
    return (await session.scalars(query.order_by(Area.code).limit(1))).first()


async def is_area(session: AsyncSession, code: str) -> bool:
    return await session.get(Area, code) is not None


async def all_areas(session: AsyncSession) -> list[Area]:
    """Every area, by code (a parent's code sorts before its children's)."""
    return list((await session.scalars(select(Area).order_by(Area.code))).all())


async def area_names(session: AsyncSession) -> dict[str, tuple[str, str]]:
    """(zh-CN, English) names by code."""
    rows = (await session.execute(select(Area.code, Area.name_zh, Area.name_en))).all()
    return {row.code: (row.name_zh, row.name_en) for row in rows}


async def centres(session: AsyncSession) -> list[CentreView]:
    return [view_of(c) for c in (await session.scalars(select(Centre).order_by(Centre.id)))]


async def centre_by_slug(session: AsyncSession, slug: str) -> CentreView:
    centre = (await session.scalars(select(Centre).where(Centre.slug == slug))).first()
    if centre is None:
        raise CentreNotFoundError(slug)
    return view_of(centre)


async def add_centre(session: AsyncSession, *, slug: str, area_code: str, name_zh: str,
                     name_en: str, parent_slug: str | None) -> CentreView:
    parent = await centre_by_slug(session, parent_slug) if parent_slug else None
    centre = Centre(slug=slug, area_code=area_code, name_zh=name_zh, name_en=name_en,
                    parent_id=parent.id if parent else None)
    session.add(centre)
    await session.flush()
    return view_of(centre)


def scope_of_areas(codes: Iterable[str]) -> AreaScope:
    """The scope of staff who serve these areas' subtrees."""
    return AreaScope(frozenset(prefix_of(code) for code in codes))


def home_area(scope: AreaScope) -> str | None:
    """The one area a caller of ``scope`` serves (what a record they create belongs to)."""
    if scope.prefixes is None or len(scope.prefixes) != 1:
        return None
    (prefix,) = scope.prefixes
    return prefix.ljust(6, "0")


def within(codes: Sequence[str], code: str) -> bool:
    """Whether ``code`` lies in the subtree of any of ``codes``."""
    return any(code.startswith(prefix_of(parent)) for parent in codes)


async def set_opening_hours(session: AsyncSession, *, slug: str,
                            hours: Mapping[str, Sequence[Sequence[str]]] | None,
                            time_zone: str = DEFAULT_TIME_ZONE) -> CentreView:
    """Store a centre's opening hours (None: around the clock); bad hours raise
    OpeningHoursError and change nothing."""
    parse_hours(hours, time_zone)
    centre = (await session.scalars(select(Centre).where(Centre.slug == slug))).first()
    if centre is None:
        raise CentreNotFoundError(slug)
    centre.opening_hours = None if hours is None else {
        day: [list(pair) for pair in ranges] for day, ranges in hours.items()}
    centre.time_zone = time_zone
    await session.flush()
    return view_of(centre)


def centre_over(centres: Iterable[CentreView], area_code: str,
                prefixes: frozenset[str] | None = None) -> CentreView | None:
    """The most specific centre whose subtree holds ``area_code`` (the centre the work
    belongs to); with ``prefixes``, only among the centres of a caller of that scope."""
    over = [c for c in centres if area_code.startswith(c.prefix)
            and (prefixes is None or c.prefix in prefixes)]
    return max(over, key=lambda c: len(c.prefix), default=None)


@dataclass(frozen=True, slots=True)
class Handling:
    """Work of ``for_centre`` handled by ``by_centre`` (the same centre for its own work)."""

    for_centre: CentreView
    by_centre: CentreView

    @property
    def on_behalf(self) -> bool:
        return self.for_centre.id != self.by_centre.id


async def handling_of(session: AsyncSession, *, area_code: str | None,
                      prefixes: frozenset[str] | None) -> Handling | None:
    """Whose work an area's record is, and which of the handler's centres (their scope's
    ``prefixes``) took it; None when either is unknown (no area, an admin's every-area)."""
    if area_code is None or prefixes is None:
        return None
    known = await centres(session)
    home, by = centre_over(known, area_code), centre_over(known, area_code, prefixes)
    return Handling(home, by) if home is not None and by is not None else None


async def centre_names(session: AsyncSession, ids: Iterable[int | None]
                       ) -> dict[int, tuple[str, str]]:
    """(zh-CN, English) names of these centres by id."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = await session.execute(select(Centre.id, Centre.name_zh, Centre.name_en)
                                 .where(Centre.id.in_(wanted)))
    return {row.id: (row.name_zh, row.name_en) for row in rows}
async def centre_lineage(session: AsyncSession, area_code: str) -> tuple[str, ...]:
    """The subtree prefixes of the centre serving ``area_code`` (the most specific one over
    it), then of its parent centre, and so on up to the top."""
    rows = (await session.execute(select(Centre.id, Centre.area_code, Centre.parent_id)
                                  .execution_options(everywhere=True))).all()
    by_id = {row.id: row for row in rows}
    over = [row for row in rows if area_code.startswith(prefix_of(row.area_code))]
    current = max(over, key=lambda row: len(prefix_of(row.area_code)), default=None)
    chain: list[str] = []
    while current is not None and prefix_of(current.area_code) not in chain:
        chain.append(prefix_of(current.area_code))
        current = by_id.get(current.parent_id) if current.parent_id else None
    return tuple(chain)
