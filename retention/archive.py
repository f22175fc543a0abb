"""Archiving the case record by age: closed alarms, incidents, calls, orders and lapsed
certifications get ``archived_at``; nothing is deleted, lists leave them out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from alarms.kinds import AlarmState
from alarms.models import Alarm
from callcenter.models import CallLeg
from dispatch.lifecycle import CLOSED
from dispatch.models import ServiceOrder
from incidents.kinds import IncidentState
from incidents.models import Incident
from liveness.models import Certification


@dataclass(frozen=True, slots=True)
class ArchiveRule:
    """One kind of case record and when it is closed and old enough to archive."""

    name: str
    model: Any
    closed_before: Callable[[datetime], ColumnElement[bool]]


ARCHIVE_RULES = (
    ArchiveRule("alarms", Alarm, lambda cutoff: (Alarm.state == AlarmState.RESOLVED)
                & (Alarm.last_at < cutoff)),
    ArchiveRule("incidents", Incident, lambda cutoff: (Incident.state == IncidentState.CLOSED)
                & (Incident.closed_at < cutoff)),
    ArchiveRule("calls", CallLeg, lambda cutoff: CallLeg.ended_at < cutoff),
    ArchiveRule("orders", ServiceOrder, lambda cutoff: ServiceOrder.state.in_(
        [state.value for state in CLOSED]) & (ServiceOrder.updated_at < cutoff)),
    ArchiveRule("certifications", Certification,
                lambda cutoff: Certification.certified_until < cutoff.date()),
)


async def archive_batch(session: AsyncSession, rule: ArchiveRule, *, cutoff: datetime,
                        now: datetime, limit: int) -> int:
    """Archive up to ``limit`` records of ``rule`` closed before ``cutoff``; how many.

    One guarded UPDATE: a record archived meanwhile by another instance is not counted twice.
    """
    model = rule.model
    ids = (select(model.id).where(model.archived_at.is_(None), rule.closed_before(cutoff))
           .limit(limit).scalar_subquery())
    result = await session.execute(
        update(model).where(model.id.in_(ids), model.archived_at.is_(None))
        .values(archived_at=now).execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)
