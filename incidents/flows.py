"""Incident actions that span a transaction, the audit log, the bus and other domains.

Each action checks the operator may act, changes the incident and writes an audit entry on
the senior in one transaction, and announces after the commit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from accounts import service as accounts_service
from alarms import events as alarm_events
from callcenter import conferencing
from callcenter.conferencing import LegPurpose
from dispatch import flows as dispatch_flows
from dispatch.schemas import OrderCreate, OrderSource
from incidents import events, service, timeline
from incidents.exceptions import IncidentConflictError, IncidentInputError
from incidents.kinds import EntryKind, OpenedVia
from incidents.models import Incident
from incidents.schemas import (
    ConferenceIn,
    ConferenceParty,
    ContactRecordIn,
    IncidentDetail,
    OrderIn,
    ResolveIn,
)
from runtime.context import Runtime
from seniors import service as seniors_service

if TYPE_CHECKING:  # the signed-in person, and what the routes answer with
    from accounts.models import StaffUser
    from callcenter.models import CallLeg
    from dispatch.models import ServiceOrder


async def audit_senior(session: AsyncSession, runtime: Runtime, user: StaffUser, action: str,
                       senior_id: int, **detail: object) -> None:
    await accounts_service.record_audit(
        session, actor=user.username, action=action, subject_type="senior",
        subject_id=str(senior_id), now=runtime.clock.now(), detail=dict(detail))


async def audit(session: AsyncSession, runtime: Runtime, user: StaffUser, action: str,
                incident: Incident, **detail: object) -> None:
    await audit_senior(session, runtime, user, action, incident.senior_id,
                       incident_id=incident.id, **detail)


@asynccontextmanager
async def _acting(runtime: Runtime, user: StaffUser,
                  incident_id: int) -> AsyncIterator[tuple[AsyncSession, Incident]]:
    """The incident in a fresh transaction, once it is clear the user may act on it."""
    async with runtime.sessions() as session:
        incident = await service.get_incident(session, incident_id)
        service.check_may_act(incident, user)
        yield session, incident


async def _committed(session: AsyncSession, incident: Incident) -> IncidentDetail:
    """The incident as the operator will now see it, with the change committed."""
    detail = await timeline.detail_of(session, incident)
    await session.commit()
    return detail


async def open_by_hand(runtime: Runtime, user: StaffUser, *, senior_id: int,
                       note: str) -> IncidentDetail:
    async with runtime.sessions() as session:
        incident = await service.open_incident(session, senior_id=senior_id,
                                               owner=user.username, via=OpenedVia.MANUAL,
                                               now=runtime.clock.now(), note=note)
        await audit(session, runtime, user, "incident.open", incident)
        detail = await timeline.detail_of(session, incident)
        await session.commit()
    events.publish_updated(runtime.bus, incident, what="opened")
    return detail


async def read(runtime: Runtime, user: StaffUser, *, incident_id: int) -> IncidentDetail:
    async with runtime.sessions() as session:
        incident = await service.get_incident(session, incident_id)
        await audit(session, runtime, user, "incident.read", incident)
        detail = await timeline.detail_of(session, incident)
        await session.commit()
    return detail


async def read_many(runtime: Runtime, user: StaffUser,
                    incidents: Sequence[Incident]) -> None:
    """Audit a listing: one entry per senior whose incident was shown."""
    async with runtime.sessions() as session:
        for incident in incidents:
            await audit(session, runtime, user, "incident.list", incident)
        await session.commit()


async def add_note(runtime: Runtime, user: StaffUser, *, incident_id: int,
                   text: str) -> IncidentDetail:
    async with _acting(runtime, user, incident_id) as (session, incident):
        entry = await service.add_note(session, incident, text=text, actor=user.username,
                                       now=runtime.clock.now())
        await audit(session, runtime, user, "incident.note", incident, entry_id=entry.id)
        detail = await _committed(session, incident)
    events.publish_updated(runtime.bus, incident, what="note")
    return detail


async def record_contact(runtime: Runtime, user: StaffUser, *, incident_id: int,
                         body: ContactRecordIn) -> IncidentDetail:
    async with _acting(runtime, user, incident_id) as (session, incident):
        await service.record_contact(session, incident, position=body.position,
                                     outcome=body.outcome.value, text=body.text,
                                     actor=user.username, now=runtime.clock.now())
        await audit(session, runtime, user, "incident.contact", incident,
                    position=body.position, outcome=body.outcome.value)
        detail = await _committed(session, incident)
    events.publish_updated(runtime.bus, incident, what="contact")
    return detail


async def order_service(runtime: Runtime, user: StaffUser, *, incident_id: int,
                        body: OrderIn) -> ServiceOrder:
    """A dispatch order for the senior, created by dispatch's own service and linked here."""
    incident = await _acting_on(runtime, user, incident_id)
    order = await dispatch_flows.create_order(runtime, actor=user.username, data=OrderCreate(
        senior_id=incident.senior_id, service=body.service, urgency=body.urgency,
        source=OrderSource.OPERATOR, source_ref=timeline.order_ref(incident.id),
        service_at=body.service_at, notes=body.notes))
    async with runtime.sessions() as session:
        incident = await service.get_incident(session, incident_id)
        await service.link_order(session, incident, order_id=order.id, actor=user.username,
                                 now=runtime.clock.now(), service=order.service)
        await audit(session, runtime, user, "incident.order", incident, order_id=order.id,
                    service=order.service)
        await session.commit()
    events.publish_updated(runtime.bus, incident, what="order")
    return order


async def resolve(runtime: Runtime, user: StaffUser, *, incident_id: int,
                  body: ResolveIn) -> IncidentDetail:
    """Close the incident and resolve its open alarms with the same disposition."""
    async with _acting(runtime, user, incident_id) as (session, incident):
        alarms = await service.close_incident(session, incident, disposition=body.disposition,
                                              summary=body.summary, actor=user.username,
                                              now=runtime.clock.now())
        await audit(session, runtime, user, "incident.close", incident,
                    disposition=body.disposition.value, alarms=[a.id for a in alarms])
        rows = await alarm_events.rows_of(session, alarms)
        detail = await _committed(session, incident)
    for alarm in alarms:
        alarm_events.publish_resolved(runtime.bus, alarm, rows)
    events.publish_updated(runtime.bus, incident, what="closed")
    return detail


async def set_owner(runtime: Runtime, user: StaffUser, *, incident_id: int,
                    owner: str) -> IncidentDetail:
    """A supervisor hands the incident to another operator."""
    async with _acting(runtime, user, incident_id) as (session, incident):
        if await accounts_service.get_user_by_username(session, owner) is None:
            raise IncidentInputError(f"no staff user {owner!r}")
        await service.set_owner(session, incident, owner=owner, actor=user.username,
                                now=runtime.clock.now())
        await audit(session, runtime, user, "incident.owner", incident, owner=owner)
        detail = await _committed(session, incident)
    events.publish_updated(runtime.bus, incident, what="owner")
    return detail


async def _acting_on(runtime: Runtime, user: StaffUser, incident_id: int) -> Incident:
    async with _acting(runtime, user, incident_id) as (_, incident):
        return incident


async def _contact_number(runtime: Runtime, incident: Incident, position: int) -> str:
    async with runtime.sessions() as session:
        senior = await seniors_service.get_senior(session, incident.senior_id)
    contact = next((c for c in senior.contacts if c.position == position), None)
    if contact is None:
        raise IncidentInputError(f"senior {senior.id} has no contact at position {position}")
    if not contact.phones:
        raise IncidentInputError(f"contact {contact.name} has no phone number")
    return contact.phones[0]


async def _link_leg(runtime: Runtime, user: StaffUser, incident: Incident, leg: CallLeg,
                    action: str) -> None:
    async with runtime.sessions() as session:
        incident = await service.get_incident(session, incident.id)
        await service.add_entry(session, incident, kind=EntryKind.CALL, ref_id=leg.id,
                                actor=user.username, now=runtime.clock.now(),
                                detail={"direction": leg.direction, "purpose": leg.purpose})
        await audit(session, runtime, user, action, incident, call_id=leg.id, to=leg.to_number)
        await session.commit()
    events.publish_updated(runtime.bus, incident, what="call")


async def call_senior(runtime: Runtime, user: StaffUser, *, incident_id: int) -> CallLeg:
    """Ring the senior's first number; answered, they are straight on with the operator."""
    incident = await _acting_on(runtime, user, incident_id)
    async with runtime.sessions() as session:
        senior = await seniors_service.get_senior(session, incident.senior_id)
    if not senior.phones:
        raise IncidentInputError(f"senior {senior.id} has no phone number")
    leg = await conferencing.call_out(runtime, to=senior.phones[0].number,
                                      purpose=LegPurpose.OPERATOR_CALL, operator=user.username,
                                      senior_id=senior.id)
    await _link_leg(runtime, user, incident, leg, "incident.call_senior")
    return leg


async def call_contact(runtime: Runtime, user: StaffUser, *, incident_id: int,
                       position: int) -> CallLeg:
    """Ring one of the senior's emergency contacts, straight to the operator."""
    incident = await _acting_on(runtime, user, incident_id)
    number = await _contact_number(runtime, incident, position)
    leg = await conferencing.call_out(runtime, to=number, purpose=LegPurpose.OPERATOR_CALL,
                                      operator=user.username, senior_id=incident.senior_id,
                                      contact_position=position)
    await _link_leg(runtime, user, incident, leg, "incident.call_contact")
    return leg


async def _live_call(runtime: Runtime, incident: Incident, call_id: int | None) -> int:
    """The incident's call someone is on now: the one named, else the latest connected one
    (a conference party's own leg is not a call to add people to)."""
    async with runtime.sessions() as session:
        ids = await service.linked_ids(session, incident.id, EntryKind.CALL)
        live = await conferencing.live_calls_among(session, call_ids=ids)
    if call_id is not None:
        if call_id not in ids:
            raise IncidentInputError(f"call {call_id} is not part of incident {incident.id}")
        live = [live_id for live_id in live if live_id == call_id]
    if not live:
        raise IncidentConflictError(
            f"incident {incident.id} has no connected call to add someone to; "
            "call the senior or a contact first")
    return live[-1]


async def conference(runtime: Runtime, user: StaffUser, *, incident_id: int,
                     body: ConferenceIn) -> CallLeg:
    """Dial a contact or the emergency number into the operator's live call of this incident."""
    incident = await _acting_on(runtime, user, incident_id)
    call_id = await _live_call(runtime, incident, body.call_id)
    if body.party == ConferenceParty.CONTACT:
        if body.position is None:
            raise IncidentInputError("position: say which contact to conference in")
        number = await _contact_number(runtime, incident, body.position)
        purpose = LegPurpose.CONTACT
    else:
        number = runtime.settings.incidents_emergency_number
        purpose = LegPurpose.EMERGENCY_120
    leg = await conferencing.add_party(runtime, call_id=call_id, to=number, purpose=purpose,
                                       requested_by=user.username,
                                       senior_id=incident.senior_id,
                                       contact_position=body.position)
    await _link_leg(runtime, user, incident, leg, "incident.conference")
    return leg
