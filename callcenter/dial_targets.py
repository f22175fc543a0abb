"""Whom an operator may dial by hand: seniors and their contacts, the configured public
services (120, 110, 119, the incidents' emergency number) and staff phone endpoints.

A free-typed number or ``sip:`` address reaches out of the centre at its cost and in its
name; anything else is refused before a leg is stored.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.exceptions import NumberNotDialableError
from callcenter.routing.models import RoutingOperator
from config.settings import Settings
from runtime.context import Runtime
from seniors import service as seniors_service


def service_numbers(settings: Settings) -> frozenset[str]:
    return frozenset([*settings.service_numbers, settings.incidents_emergency_number])


async def check_dialable(runtime: Runtime, *, to: str) -> None:
    """Return if ``to`` (normalised) may be dialled; NumberNotDialableError names it if not."""
    services = service_numbers(runtime.settings)
    if to in services:
        return
    async with runtime.sessions() as session:  # its own read, over before anything is dialled
        if await _known(session, to):
            return
    raise NumberNotDialableError(to, sorted(services))


async def _known(session: AsyncSession, to: str) -> bool:
    if await seniors_service.is_known_number(session, to):
        return True
    staff = await session.scalar(select(RoutingOperator.username).where(
        RoutingOperator.phone_endpoint == to).limit(1))
    return staff is not None
