"""Incident actions that span a transaction, the audit log, the bus and other domains.

Each action checks the operator may act, changes the incident and writes an audit entry on
the senior in one transaction, and announces after the commit.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from accounts import service as accounts_service
from accounts.models import StaffUser
from alarms import events as alarm_events
from dispatch import flows as dispatch_flows
from dispatch.models import ServiceOrder
from dispatch.schemas import OrderCreate, OrderSource
from incidents import events, service, timeline
from incidents.exceptions import IncidentInputError
from incidents.kinds import OpenedVia
from incidents.models import Incident
from incidents.schemas import ContactRecordIn, IncidentDetail, OrderIn, ResolveIn
from runtime.context import Runtime


async def audit_senior(session: AsyncSession, runtime: Runtime, user: StaffUser, action: str,
                       senior_id: int, **detail: object) -> None:
    await accounts_service.record_audit(
        session, actor=user.username, action=action, subject_type="senior",
        subject_id=str(senior_id), now=runtime.clock.now(), detail=dict(detail))


async def audit(session: AsyncSession, runtime: Runtime, user: StaffUser, action: str,
                incident: Incident, **detail: object) -> None:
    await audit_senior(session, runtime, user, action, incident.senior_id,
                       incident_id=incident.id, **detail)


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
    async with runtime.sessions() as session:
        incident = await service.get_incident(session, incident_id)
        service.check_may_act(incident, user)
        entry = await service.add_note(session, incident, text=text, actor=user.username,
                                       now=runtime.clock.now())
        await audit(session, runtime, user, "incident.note", incident, entry_id=entry.id)
        detail = await timeline.detail_of(session, incident)
        await session.commit()
    events.publish_updated(runtime.bus, incident, what="note")
    return detail


async def record_contact(runtime: Runtime, user: StaffUser, *, incident_id: int,
                         body: ContactRecordIn) -> IncidentDetail:
    async with runtime.sessions() as session:
        incident = await service.get_incident(session, incident_id)
        service.check_may_act(incident, user)
        await service.record_contact(session, incident, position=body.position,
                                     outcome=body.outcome.value, text=body.text,
                                     actor=user.username, now=runtime.clock.now())
        await audit(session, runtime, user, "incident.contact", incident,
                    position=body.position, outcome=body.outcome.value)
        detail = await timeline.detail_of(session, incident)
        await session.commit()
    events.publish_updated(runtime.bus, incident, what="contact")
    return detail


async def order_service(runtime: Runtime, user: StaffUser, *, incident_id: int,
                        body: OrderIn) -> ServiceOrder:
    """A dispatch order for the senior, created by dispatch's own service and linked here."""
    async with runtime.sessions() as session:
        incident = await service.get_incident(session, incident_id)
        service.check_may_act(incident, user)
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
    async with runtime.sessions() as session:
        incident = await service.get_incident(session, incident_id)
        service.check_may_act(incident, user)
        alarms = await service.close_incident(session, incident, disposition=body.disposition,
                                              summary=body.summary, actor=user.username,
                                              now=runtime.clock.now())
        await audit(session, runtime, user, "incident.close", incident,
                    disposition=body.disposition.value, alarms=[a.id for a in alarms])
        detail = await timeline.detail_of(session, incident)
        await session.commit()
    for alarm in alarms:
        alarm_events.publish_resolved(runtime.bus, alarm)
    events.publish_updated(runtime.bus, incident, what="closed")
    return detail


async def set_owner(runtime: Runtime, user: StaffUser, *, incident_id: int,
                    owner: str) -> IncidentDetail:
    """A supervisor hands the incident to another operator."""
    async with runtime.sessions() as session:
        incident = await service.get_incident(session, incident_id)
        service.check_may_act(incident, user)
        if await accounts_service.get_user_by_username(session, owner) is None:
            raise IncidentInputError(f"no staff user {owner!r}")
        await service.set_owner(session, incident, owner=owner, actor=user.username,
                                now=runtime.clock.now())
        await audit(session, runtime, user, "incident.owner", incident, owner=owner)
        detail = await timeline.detail_of(session, incident)
        await session.commit()
    events.publish_updated(runtime.bus, incident, what="owner")
    return detail
