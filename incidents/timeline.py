"""The incident as one story: its own entries plus everything linked, in time order.

Besides what was linked explicitly, an incident also shows the work done around it: parties
dialled into its calls from elsewhere (a supervisor listening in), the call-back and
contact-cascade legs of its alarms' cases, and a responder order sent because nobody answered
(``case:<id>``), and the notices the message port sent the family about those alarms (sent,
delivered, or failed after its retries).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts import service as accounts_service
from accounts.models import StaffUser
from alarms.kinds import ALARM_KINDS
from alarms.models import Alarm, AlarmStep
from alarms.schemas import AlarmOut
from callcenter.models import CallCase, CallLeg
from callcenter.schemas import CallOut
from dispatch.models import OrderTransition, ServiceOrder
from dispatch.schemas import OrderOut
from incidents import service
from incidents.kinds import EntryKind
from incidents.models import Incident, IncidentEntry
from incidents.schemas import ContactReached, IncidentDetail, IncidentOut, TimelineItem
from messaging import service as messaging_service
from messaging.models import Message
from seniors.models import EmergencyContact, Senior

ORDER_SOURCE_PREFIX = "incident:"


def order_ref(incident_id: int) -> str:
    """The dispatch order's ``source_ref`` for an order placed from an incident."""
    return f"{ORDER_SOURCE_PREFIX}{incident_id}"


async def incident_out(session: AsyncSession, incident: Incident) -> IncidentOut:
    name = await session.scalar(select(Senior.name).where(Senior.id == incident.senior_id))
    owner = await session.scalar(select(StaffUser.display_name)
                                 .where(StaffUser.username == incident.owner))
    alarms = sorted(await linked_alarms(session, incident.id), key=lambda a: a.priority)
    return IncidentOut.model_validate(incident).model_copy(update={
        "senior_name": name or "", "owner_name": owner or incident.owner,
        "priority": alarms[0].priority if alarms else None,
        "alarm_kind": alarms[0].kind if alarms else None})


async def linked_alarms(session: AsyncSession, incident_id: int) -> Sequence[Alarm]:
    ids = await service.linked_ids(session, incident_id, EntryKind.ALARM)
    return (await session.scalars(select(Alarm).where(Alarm.id.in_(ids)).order_by(
        Alarm.first_at))).all() if ids else ()


async def linked_calls(session: AsyncSession, incident_id: int,
                       alarm_ids: Sequence[int]) -> Sequence[CallLeg]:
    ids = await service.linked_ids(session, incident_id, EntryKind.CALL)
    cases = select(CallCase.id).where(CallCase.alarm_id.in_(alarm_ids))
    return (await session.scalars(select(CallLeg).where(or_(
        CallLeg.id.in_(ids), CallLeg.case_id.in_(cases), CallLeg.parent_call_id.in_(ids)))
        .order_by(CallLeg.created_at, CallLeg.id))).all()


async def linked_orders(session: AsyncSession, incident_id: int,
                        alarm_ids: Sequence[int]) -> Sequence[ServiceOrder]:
    ids = await service.linked_ids(session, incident_id, EntryKind.ORDER)
    case_ids = (await session.scalars(select(CallCase.id).where(
        CallCase.alarm_id.in_(alarm_ids)))).all()
    refs = [order_ref(incident_id), *(f"case:{case_id}" for case_id in case_ids)]
    return (await session.scalars(select(ServiceOrder).where(or_(
        ServiceOrder.id.in_(ids), ServiceOrder.source_ref.in_(refs))).order_by(
        ServiceOrder.id))).all()


def _entry_item(entry: IncidentEntry) -> TimelineItem | None:
    if entry.kind in (EntryKind.ALARM, EntryKind.CALL, EntryKind.ORDER):
        return None  # the linked thing tells its own story below
    return TimelineItem(at=entry.at, source="incident", ref_id=entry.incident_id,
                        what=entry.kind, actor=entry.actor, text=entry.text,
                        detail=entry.detail)


def _call_items(call: CallLeg) -> list[TimelineItem]:
    detail: dict[str, object] = {"direction": call.direction, "purpose": call.purpose,
                                 "from": call.from_number, "to": call.to_number,
                                 "contact_position": call.contact_position}
    moments: list[tuple[datetime | None, str, str | None]] = [
        (call.created_at, "call.started", None),
        (call.answered_at, "call.answered", call.operator),
        (call.ended_at, "call.ended", None),
    ]
    items = []
    for at, what, actor in moments:
        if at is not None:
            extra = {"outcome": call.outcome} if what == "call.ended" else {}
            items.append(TimelineItem(at=at, source="call", ref_id=call.id, what=what,
                                      actor=actor, detail={**detail, **extra}))
    return items


async def _alarm_items(session: AsyncSession, alarms: Sequence[Alarm]) -> list[TimelineItem]:
    steps = (await session.scalars(select(AlarmStep).where(AlarmStep.alarm_id.in_(
        [a.id for a in alarms])).order_by(AlarmStep.id))).all() if alarms else ()
    kinds = {alarm.id: alarm.kind for alarm in alarms}
    return [TimelineItem(at=step.at, source="alarm", ref_id=step.alarm_id,
                         what=f"alarm.{step.action}", actor=step.actor,
                         text=ALARM_KINDS[kinds[step.alarm_id]].label_zh,
                         detail={"kind": kinds[step.alarm_id], **step.detail}) for step in steps]


async def _order_items(session: AsyncSession,
                       orders: Sequence[ServiceOrder]) -> list[TimelineItem]:
    moves = (await session.scalars(select(OrderTransition).where(OrderTransition.order_id.in_(
        [o.id for o in orders])).order_by(OrderTransition.id))).all() if orders else ()
    services = {order.id: order.service for order in orders}
    return [TimelineItem(at=move.at, source="order", ref_id=move.order_id,
                         what=f"order.{move.to_state}", actor=move.actor, text=move.reason,
                         detail={"service": services[move.order_id], "event": move.event})
            for move in moves]


def _message_items(messages: Sequence[Message]) -> list[TimelineItem]:
    """A notice shows where it ended up: sent, delivered, or failed (with the reason)."""
    items = []
    for message in messages:
        detail: dict[str, object] = {"channel": message.channel, "gateway": message.gateway,
                                     "to": message.to_number, "template": message.template,
                                     "attempts": message.attempts}
        for at, what in ((message.sent_at, "message.sent"),
                         (message.delivered_at, "message.delivered"),
                         (message.failed_at, "message.failed")):
            if at is not None:
                extra = {"error": message.last_error} if what == "message.failed" else {}
                items.append(TimelineItem(at=at, source="message", ref_id=message.id,
                                          what=what, actor=None, text=message.body,
                                          detail={**detail, **extra}))
    return items


async def contacts_reached(session: AsyncSession, incident: Incident,
                           calls: Sequence[CallLeg],
                           entries: Sequence[IncidentEntry]) -> list[ContactReached]:
    """Who among the contacts was tried, when, and how it went: calls and recorded contacts."""
    contacts = {c.position: c for c in (await session.scalars(select(EmergencyContact).where(
        EmergencyContact.senior_id == incident.senior_id))).all()}
    found = []
    for call in calls:
        contact = contacts.get(call.contact_position) if call.contact_position is not None \
            else None
        if contact is None:
            continue
        found.append(ContactReached(
            position=contact.position, name=contact.name, relation=contact.relation,
            number=call.to_number, at=call.answered_at or call.created_at,
            outcome="reached" if call.answered_at else (call.outcome or call.status),
            via="call", call_id=call.id))
    for entry in entries:
        if entry.kind == EntryKind.CONTACT:
            found.append(ContactReached(
                position=int(str(entry.detail["position"])), name=str(entry.detail["name"]),
                relation=str(entry.detail["relation"]), number=None, at=entry.at,
                outcome=str(entry.detail["outcome"]), via="recorded"))
    return sorted(found, key=lambda c: c.at)


async def detail_of(session: AsyncSession, incident: Incident) -> IncidentDetail:
    """The incident with its alarms, calls, orders, contacts reached and the timeline."""
    entries = await service.entries_of(session, incident.id)
    alarms = await linked_alarms(session, incident.id)
    alarm_ids = [alarm.id for alarm in alarms]
    calls = await linked_calls(session, incident.id, alarm_ids)
    orders = await linked_orders(session, incident.id, alarm_ids)
    items = [item for item in map(_entry_item, entries) if item is not None]
    items += await _alarm_items(session, alarms)
    items += [item for call in calls for item in _call_items(call)]
    items += await _order_items(session, orders)
    case_ids = (await session.scalars(select(CallCase.id).where(
        CallCase.alarm_id.in_(alarm_ids)))).all() if alarm_ids else []
    items += _message_items(await messaging_service.of_alarms(
        session, alarm_ids=alarm_ids, case_ids=case_ids))
    items.sort(key=lambda item: item.at)  # stable: equal times keep the order built above
    names = await accounts_service.display_names(session, {i.actor for i in items if i.actor})
    items = [item.model_copy(update={"actor_name": names.get(item.actor or "", item.actor)})
             for item in items]
    return IncidentDetail(
        **(await incident_out(session, incident)).model_dump(),
        alarms=[AlarmOut.model_validate(a) for a in alarms],
        calls=[CallOut.model_validate(c) for c in calls],
        orders=[OrderOut.model_validate(o) for o in orders],
        contacts_reached=await contacts_reached(session, incident, calls, entries),
        timeline=items,
    )
