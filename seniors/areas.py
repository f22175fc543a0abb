"""Which area a senior belongs to, and moving them with their open work.

The area comes from the district they live in (its Chinese or English name), else from the
first six digits of their resident ID (the area that issued it), else from the one area the
registering staff member serves. Open work in other domains (alarms, devices) moves through
hooks those domains register; incidents and orders follow the senior by themselves.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from areas import service as areas_service
from areas.codes import REGION
from areas.exceptions import AreaOutsideScopeError, UnknownAreaError
from runtime.scope import current_scope
from seniors.models import Senior

# (session, senior_id, new area) → how many rows moved
MoveHook = Callable[[AsyncSession, int, str], Awaitable[int]]
MOVE_HOOKS: dict[str, MoveHook] = {}


def register_move(kind: str, hook: MoveHook) -> None:
    """Let a domain move its open work of a senior who moved (called by the app at start)."""
    MOVE_HOOKS[kind] = hook


def forget_move(kind: str, hook: MoveHook) -> None:
    """Stop calling ``hook`` (its part is shutting down), unless another replaced it."""
    if MOVE_HOOKS.get(kind) is hook:
        del MOVE_HOOKS[kind]


async def area_for(session: AsyncSession, *, district: str, resident_id: str | None,
                   chosen: str | None) -> str:
    """The area of a senior living in ``district``; refused outside the caller's centres."""
    code = chosen or await areas_service.area_of_district(session, district)
    if chosen is not None and not await areas_service.is_area(session, chosen):
        raise UnknownAreaError(chosen)
    if code is None and resident_id and await areas_service.is_area(session, resident_id[:6]):
        code = resident_id[:6]
    code = code or areas_service.home_area(current_scope()) or REGION
    if not current_scope().covers(code):
        raise AreaOutsideScopeError(code)
    return code


async def area_of(session: AsyncSession, senior_id: int) -> str | None:
    """A senior's area, read whatever the caller's scope (the system's own look-up)."""
    query = select(Senior.area_code).where(Senior.id == senior_id)
    return await session.scalar(query.execution_options(everywhere=True))


async def move_open_work(session: AsyncSession, *, senior_id: int, area_code: str
                         ) -> dict[str, int]:
    """Move what each domain holds open for the senior to ``area_code``; counts by kind."""
    return {kind: await hook(session, senior_id, area_code) for kind, hook in MOVE_HOOKS.items()}
