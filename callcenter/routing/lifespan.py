"""The routing desk's lifespan part: the stored queue loaded into the engine at start-up."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends

from callcenter.routing import moves
from callcenter.routing.desk import RoutingDesk
from runtime.context import Runtime
from runtime.deps import part_dependency
from runtime.parts import Part
from seniors import areas as seniors_areas


@asynccontextmanager
async def open_desk(runtime: Runtime) -> AsyncIterator[RoutingDesk]:
    """Load the stored queue into the engine before requests arrive."""
    desk = RoutingDesk(runtime)
    await desk.load()
    hook = moves.follow_moves(desk)
    seniors_areas.register_move(moves.MOVE_KIND, hook)
    try:
        yield desk
    finally:
        seniors_areas.forget_move(moves.MOVE_KIND, hook)


ROUTING = Part("routing", open_desk)
DeskDep = Annotated[RoutingDesk, Depends(part_dependency(ROUTING))]


def desk_of(runtime: Runtime) -> RoutingDesk:
    return runtime.part(ROUTING)
