"""Incidents inside the caller's transaction: open, link, note, contact, close.

Every function takes the session and leaves the commit (and the announcement) to the caller,
so an alarm's acknowledgement and its incident link are stored together or not at all.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import StaffUser
from accounts.roles import Role
from alarms import service as alarms_service
from alarms.exceptions import AlarmStateError
from alarms.kinds import AlarmState
from alarms.models import Alarm
from callcenter.models import CallLeg
from callcenter.port import CallStatus
from incidents.exceptions import (
    IncidentAlreadyOpenError,
    IncidentClosedError,
    IncidentConflictError,
    IncidentInputError,
    IncidentNotFoundError,
    NotIncidentOwnerError,
)
from incidents.kinds import Disposition, EntryKind, IncidentState, OpenedVia
from incidents.models import Incident, IncidentEntry
from seniors import service as seniors_service

ACTS_ON_ANY = frozenset({Role.SUPERVISOR, Role.ADMIN})


def _open_key(senior_id: int) -> str:
    return f"senior:{senior_id}"


async def get_incident(session: AsyncSession, incident_id: int) -> Incident:
    incident = await session.get(Incident, incident_id)
    if incident is None:
        raise IncidentNotFoundError(incident_id)
    return incident


async def open_incident_of(session: AsyncSession, *, senior_id: int) -> Incident | None:
    return await session.scalar(select(Incident).where(
        Incident.open_key == _open_key(senior_id)))


async def owners_of_open(session: AsyncSession, senior_ids: Iterable[int]) -> dict[int, str]:
    """Who owns each of these seniors' open incident (seniors without one are left out)."""
    keys = [_open_key(senior_id) for senior_id in set(senior_ids)]
    if not keys:
        return {}
    rows = (await session.execute(select(Incident.senior_id, Incident.owner).where(
        Incident.open_key.in_(keys)))).all()
    return {row.senior_id: row.owner for row in rows}


def check_may_act(incident: Incident, user: StaffUser) -> None:
    """The owner acts on an open incident; supervisors (and admins) act on any."""
    if incident.state != IncidentState.OPEN:
        raise IncidentClosedError(incident.id)
    if incident.owner != user.username and user.role not in ACTS_ON_ANY:
        raise NotIncidentOwnerError(incident.id, incident.owner)


async def add_entry(session: AsyncSession, incident: Incident, *, kind: EntryKind, actor: str,
                    now: datetime, ref_id: int | None = None, text: str = "",
                    detail: dict[str, object] | None = None) -> IncidentEntry | None:
    """Add a line to the incident; a link already there is not added twice (returns None)."""
    if ref_id is not None:
        seen = await session.scalar(select(IncidentEntry.id).where(
            IncidentEntry.incident_id == incident.id, IncidentEntry.kind == kind,
            IncidentEntry.ref_id == ref_id))
        if seen is not None:
            return None
    entry = IncidentEntry(incident_id=incident.id, kind=kind.value, ref_id=ref_id, at=now,
                          actor=actor, text=text, detail=detail or {})
    session.add(entry)
    await session.flush()
    return entry


async def open_incident(session: AsyncSession, *, senior_id: int, owner: str, via: OpenedVia,
                        now: datetime, note: str = "") -> Incident:
    """Open the senior's incident; IncidentAlreadyOpenError names the one already open."""
    await seniors_service.get_senior(session, senior_id)
    incident = Incident(senior_id=senior_id, state=IncidentState.OPEN.value,
                        open_key=_open_key(senior_id), owner=owner, opened_via=via.value,
                        opened_by=owner, opened_at=now, summary="")
    try:
        async with session.begin_nested():
            session.add(incident)
            await session.flush()
    except IntegrityError:
        existing = await open_incident_of(session, senior_id=senior_id)
        if existing is None:
            raise
        raise IncidentAlreadyOpenError(senior_id, existing.id) from None
    await add_entry(session, incident, kind=EntryKind.OPENED, actor=owner, now=now,
                    text=note, detail={"via": via.value})
    return incident


async def incident_for(session: AsyncSession, *, senior_id: int, operator: str,
                       via: OpenedVia, now: datetime) -> Incident:
    """The senior's open incident, or a new one owned by ``operator``."""
    existing = await open_incident_of(session, senior_id=senior_id)
    if existing is not None:
        return existing
    try:
        return await open_incident(session, senior_id=senior_id, owner=operator, via=via,
                                   now=now)
    except IncidentAlreadyOpenError as raced:  # another operator opened it a moment ago
        return await get_incident(session, raced.incident_id)


async def link_alarm(session: AsyncSession, *, alarm: Alarm, operator: str,
                     now: datetime) -> Incident:
    """An operator acknowledged the alarm: it joins the senior's open incident (or opens one)."""
    incident = await incident_for(session, senior_id=alarm.senior_id, operator=operator,
                                  via=OpenedVia.ALARM, now=now)
    await add_entry(session, incident, kind=EntryKind.ALARM, ref_id=alarm.id, actor=operator,
                    now=now, detail={"kind": alarm.kind, "priority": alarm.priority})
    return incident


async def link_call(session: AsyncSession, *, call: CallLeg, operator: str,
                    now: datetime) -> Incident | None:
    """An operator answered a call from a known senior: it joins (or opens) their incident."""
    if call.senior_id is None:
        return None
    incident = await incident_for(session, senior_id=call.senior_id, operator=operator,
                                  via=OpenedVia.CALL, now=now)
    await add_entry(session, incident, kind=EntryKind.CALL, ref_id=call.id, actor=operator,
                    now=now, detail={"direction": call.direction, "purpose": call.purpose})
    return incident


async def link_order(session: AsyncSession, incident: Incident, *, order_id: int, actor: str,
                     now: datetime, service: str) -> None:
    await add_entry(session, incident, kind=EntryKind.ORDER, ref_id=order_id, actor=actor,
                    now=now, detail={"service": service})


async def add_note(session: AsyncSession, incident: Incident, *, text: str, actor: str,
                   now: datetime) -> IncidentEntry:
    entry = await add_entry(session, incident, kind=EntryKind.NOTE, actor=actor, now=now,
                            text=text)
    assert entry is not None
    return entry


async def record_contact(session: AsyncSession, incident: Incident, *, position: int,
                         outcome: str, text: str, actor: str, now: datetime) -> IncidentEntry:
    """A contact reached (or not) some other way than a recorded call, e.g. by SMS reply."""
    senior = await seniors_service.get_senior(session, incident.senior_id)
    contact = next((c for c in senior.contacts if c.position == position), None)
    if contact is None:
        raise IncidentInputError(f"senior {senior.id} has no contact at position {position}")
    entry = await add_entry(session, incident, kind=EntryKind.CONTACT, actor=actor, now=now,
                            text=text, detail={"position": position, "name": contact.name,
                                               "relation": contact.relation,
                                               "outcome": outcome})
    assert entry is not None
    return entry


async def set_owner(session: AsyncSession, incident: Incident, *, owner: str, actor: str,
                    now: datetime) -> None:
    """Hand the incident to another operator (a supervisor's decision, or taking it over).
    One guarded UPDATE: of two hand-overs at once only the first moves it; the other is told
    who has it now."""
    before = incident.owner
    moved = await session.execute(
        update(Incident).where(Incident.id == incident.id, Incident.owner == before,
                               Incident.state == IncidentState.OPEN.value)
        .values(owner=owner).execution_options(synchronize_session=False))
    await session.refresh(incident)
    if getattr(moved, "rowcount", 0) != 1:
        if incident.state != IncidentState.OPEN.value:
            raise IncidentConflictError(f"incident {incident.id} is already closed")
        raise IncidentConflictError(f"incident {incident.id} was just handed to "
                                    f"{incident.owner}; look again before handing it over")
    await add_entry(session, incident, kind=EntryKind.OWNER, actor=actor, now=now,
                    detail={"from": before, "to": owner})


async def linked_ids(session: AsyncSession, incident_id: int, kind: EntryKind) -> list[int]:
    rows = await session.scalars(select(IncidentEntry.ref_id).where(
        IncidentEntry.incident_id == incident_id, IncidentEntry.kind == kind,
        IncidentEntry.ref_id.is_not(None)).order_by(IncidentEntry.id))
    return [ref for ref in rows if ref is not None]


async def entries_of(session: AsyncSession, incident_id: int) -> Sequence[IncidentEntry]:
    return (await session.scalars(select(IncidentEntry).where(
        IncidentEntry.incident_id == incident_id).order_by(IncidentEntry.id))).all()


async def close_incident(session: AsyncSession, incident: Incident, *,
                         disposition: Disposition, summary: str, actor: str,
                         now: datetime) -> list[Alarm]:
    """Close with a disposition and summary; linked alarms still open are resolved with the
    same disposition (the operator has judged the whole situation). Returns those alarms.

    Refused while a linked call is still connected: the operator ends the call first, so the
    record never says "closed" while someone is still on the line.
    """
    for call_id in await linked_ids(session, incident.id, EntryKind.CALL):
        call = await session.get(CallLeg, call_id)
        if call is not None and call.ended_at is None and call.status == CallStatus.IN_PROGRESS:
            raise IncidentConflictError(f"call {call_id} of incident {incident.id} is still "
                                        "connected; hang up before closing the incident")
    closing = await session.execute(
        update(Incident).where(Incident.id == incident.id,
                               Incident.state == IncidentState.OPEN.value)
        .values(state=IncidentState.CLOSED.value, open_key=None, closed_at=now, closed_by=actor)
        .execution_options(synchronize_session=False))
    if getattr(closing, "rowcount", 0) != 1:  # a colleague closed it a moment ago
        await session.refresh(incident)
        raise IncidentConflictError(f"incident {incident.id} is already closed"
                                    + (f" by {incident.closed_by}" if incident.closed_by else ""))
    resolved = []
    for alarm_id in await linked_ids(session, incident.id, EntryKind.ALARM):
        alarm = await alarms_service.get_alarm(session, alarm_id)
        if alarm.state != AlarmState.RESOLVED:
            with contextlib.suppress(AlarmStateError):  # resolved by a colleague meanwhile
                resolved.append(await alarms_service.resolve(
                    session, alarm_id=alarm_id, by=actor, at=now, disposition=disposition,
                    notes=f"incident {incident.id}: {summary}"))
    incident.state = IncidentState.CLOSED.value
    incident.open_key = None
    incident.closed_at = now
    incident.closed_by = actor
    incident.disposition = disposition.value
    incident.summary = summary
    await add_entry(session, incident, kind=EntryKind.CLOSED, actor=actor, now=now,
                    text=summary, detail={"disposition": disposition.value,
                                          "alarms_resolved": [a.id for a in resolved]})
    return resolved


async def list_incidents(session: AsyncSession, *, state: IncidentState | None = None,
                         senior_id: int | None = None, owner: str | None = None,
                         alarm_id: int | None = None, limit: int = 100,
                         include_archived: bool = False) -> Sequence[Incident]:
    query = select(Incident).order_by(Incident.id.desc()).limit(limit)
    if not include_archived:
        query = query.where(Incident.archived_at.is_(None))
    if state is not None:
        query = query.where(Incident.state == state.value)
    if senior_id is not None:
        query = query.where(Incident.senior_id == senior_id)
    if owner is not None:
        query = query.where(Incident.owner == owner)
    if alarm_id is not None:
        query = query.where(Incident.id.in_(select(IncidentEntry.incident_id).where(
            IncidentEntry.kind == EntryKind.ALARM.value, IncidentEntry.ref_id == alarm_id)))
    return (await session.scalars(query)).all()
