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

from sqlalchemy.ext.asyncio import AsyncSession

from accounts import service as accounts_service
from alarms import service as alarms_service
from alarms.kinds import ALARM_KINDS
from alarms.schemas import AlarmOut
from callcenter import service as callcenter_service
from callcenter.service import LinkedCall
from dispatch import service as dispatch_service
from dispatch.schemas import OrderOut
from incidents import service
from incidents.kinds import EntryKind
from incidents.models import Incident, IncidentEntry
from incidents.schemas import ContactReached, IncidentDetail, IncidentOut, TimelineItem
from messaging import service as messaging_service
from messaging.service import NoticeView
from seniors import service as seniors_service

ORDER_SOURCE_PREFIX = "incident:"


def order_ref(incident_id: int) -> str:
    """The dispatch order's ``source_ref`` for an order placed from an incident."""
    return f"{ORDER_SOURCE_PREFIX}{incident_id}"


async def incident_out(session: AsyncSession, incident: Incident) -> IncidentOut:
    names = await seniors_service.names_of(session, [incident.senior_id])
    owners = await accounts_service.display_names(session, [incident.owner])
    alarms = sorted(await linked_alarms(session, incident.id), key=lambda a: a.priority)
    return IncidentOut.model_validate(incident).model_copy(update={
        "senior_name": names.get(incident.senior_id, ""),
        "owner_name": owners.get(incident.owner) or incident.owner,
        "priority": alarms[0].priority if alarms else None,
        "alarm_kind": alarms[0].kind if alarms else None})


async def linked_alarms(session: AsyncSession, incident_id: int) -> list[AlarmOut]:
    ids = await service.linked_ids(session, incident_id, EntryKind.ALARM)
    return await alarms_service.alarms_by_ids(session, alarm_ids=ids)


async def linked_calls(session: AsyncSession, incident_id: int,
                       case_ids: Sequence[int]) -> list[LinkedCall]:
    ids = await service.linked_ids(session, incident_id, EntryKind.CALL)
    return await callcenter_service.calls_around(session, call_ids=ids, case_ids=case_ids)


async def linked_orders(session: AsyncSession, incident_id: int,
                        case_ids: Sequence[int]) -> list[OrderOut]:
    ids = await service.linked_ids(session, incident_id, EntryKind.ORDER)
    refs = [order_ref(incident_id), *(f"case:{case_id}" for case_id in case_ids)]
    return await dispatch_service.orders_linked(session, order_ids=ids, source_refs=refs)


def _entry_item(entry: IncidentEntry) -> TimelineItem | None:
    if entry.kind in (EntryKind.ALARM, EntryKind.CALL, EntryKind.ORDER):
        return None  # the linked thing tells its own story below
    return TimelineItem(at=entry.at, source="incident", ref_id=entry.incident_id,
                        what=entry.kind, actor=entry.actor, text=entry.text,
                        detail=entry.detail)


def _call_items(linked: LinkedCall) -> list[TimelineItem]:
    call = linked.call
    detail: dict[str, object] = {"direction": call.direction, "purpose": call.purpose,
                                 "from": call.from_number, "to": call.to_number,
                                 "contact_position": linked.contact_position}
    moments: list[tuple[datetime | None, str, str | None]] = [
        (linked.created_at, "call.started", None),
        (call.answered_at, "call.answered", call.operator),
        (call.ended_at, "call.ended", None),
    ]
    items = []
    for at, what, actor in moments:
        if at is not None:
            extra: dict[str, object] = {"outcome": call.outcome} if what == "call.ended" else {}
            if what == "call.answered" and call.handled_for:
                extra["handled_for"] = call.handled_for  # a parent centre answered for a station
            items.append(TimelineItem(at=at, source="call", ref_id=call.id, what=what,
                                      actor=actor, detail={**detail, **extra}))
    return items


async def _alarm_items(session: AsyncSession,
                       alarms: Sequence[AlarmOut]) -> list[TimelineItem]:
    steps = await alarms_service.steps_of(session, alarm_ids=[a.id for a in alarms])
    kinds = {alarm.id: alarm.kind for alarm in alarms}
    return [TimelineItem(at=step.at, source="alarm", ref_id=step.alarm_id,
                         what=f"alarm.{step.action}", actor=step.actor,
                         text=ALARM_KINDS[kinds[step.alarm_id]].label_zh,
                         detail={"kind": kinds[step.alarm_id], **step.detail}) for step in steps]


async def _order_items(session: AsyncSession,
                       orders: Sequence[OrderOut]) -> list[TimelineItem]:
    moves = await dispatch_service.moves_of(session, order_ids=[o.id for o in orders])
    services = {order.id: order.service for order in orders}
    return [TimelineItem(at=move.at, source="order", ref_id=move.order_id,
                         what=f"order.{move.to_state}", actor=move.actor, text=move.reason,
                         detail={"service": services[move.order_id], "event": move.event})
            for move in moves]


def _message_items(messages: Sequence[NoticeView]) -> list[TimelineItem]:
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
                           calls: Sequence[LinkedCall],
                           entries: Sequence[IncidentEntry]) -> list[ContactReached]:
    """Who among the contacts was tried, when, and how it went: calls and recorded contacts."""
    contacts = {c.position: c for c in await seniors_service.contacts_of(
        session, senior_id=incident.senior_id)}
    found = []
    for linked in calls:
        call = linked.call
        contact = contacts.get(linked.contact_position) \
            if linked.contact_position is not None else None
        if contact is None:
            continue
        found.append(ContactReached(
            position=contact.position, name=contact.name, relation=contact.relation,
            number=call.to_number, at=call.answered_at or linked.created_at,
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
    case_ids = await callcenter_service.case_ids_of_alarms(session, alarm_ids=alarm_ids)
    calls = await linked_calls(session, incident.id, case_ids)
    orders = await linked_orders(session, incident.id, case_ids)
    items = [item for item in map(_entry_item, entries) if item is not None]
    items += await _alarm_items(session, alarms)
    items += [item for call in calls for item in _call_items(call)]
    items += await _order_items(session, orders)
    items += _message_items(await messaging_service.of_alarms(
        session, alarm_ids=alarm_ids, case_ids=case_ids))
    items.sort(key=lambda item: item.at)  # stable: equal times keep the order built above
    names = await accounts_service.display_names(session, {i.actor for i in items if i.actor})
    items = [item.model_copy(update={"actor_name": names.get(item.actor or "", item.actor)})
             for item in items]
    return IncidentDetail(
        **(await incident_out(session, incident)).model_dump(),
        alarms=alarms,
        calls=[linked.call for linked in calls],
        orders=orders,
        contacts_reached=await contacts_reached(session, incident, calls, entries),
        timeline=items,
    )
