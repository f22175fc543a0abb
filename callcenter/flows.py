"""Outbound work: alarm call-backs, the contact cascade, abandoned emergencies, call-back tasks.

A case's progress is read from its attempt rows (call legs), never from memory, so a restart
picks up where it stopped: the next number to dial is the one after the last unanswered attempt.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter import (
    alarm_link,
    campaigns,
    dialling,
    events,
    ivr,
    notices,
    service,
    simulated_calls,
)
from callcenter.lifespan import callcenter_of
from callcenter.models import CallCase, CallLeg
from callcenter.port import (
    FINAL_STATUSES,
    CallAction,
    CallStatus,
    Conference,
    Enqueue,
    Gather,
    PlaysToWaitingCallers,
    Say,
)
from messaging import flows as messaging_flows
from messaging import service as messaging_service
from messaging.port import Outgoing
from runtime.bus import SubscriberOverflow
from runtime.context import Runtime
from seniors import service as seniors_service

log = logging.getLogger(__name__)
ALARM_CALLBACK = "alarm_callback"
ABANDONED_CALLBACK = "abandoned_callback"
DIALLED_KINDS = (ALARM_CALLBACK, ABANDONED_CALLBACK)
RING_GRACE = timedelta(seconds=15)

SENIOR_ANSWERED = ("这里是12349养老服务热线。我们收到了您的求助信号，"
                   "正在为您接通值班员，请不要挂机。")
CONTACT_ANSWERED = ("这里是12349养老服务热线。{name}发出了求助信号，我们联系不上本人。"
                    "正在为您接通值班员，请不要挂机。")
# Which notice a closed case may send the family (see callcenter/notices.py for the words).
CLOSING_NOTICES = {"senior_reached": "reached", "contact_reached": "reached",
                   "senior_called_in": "reached", "unreached": "still_trying",
                   "alarm_resolved": "case_closed"}


@dataclass(frozen=True, slots=True)
class Target:
    """One number to try: the senior (position None) or an emergency contact."""

    number: str
    contact_position: int | None


async def open_alarm_callback(session: AsyncSession, *, alarm: alarm_link.AlarmView,
                              now: datetime) -> CallCase | None:
    """Open the call-back for an alarm without a voice path, once per alarm."""
    existing = await session.scalar(select(CallCase.id).where(
        CallCase.kind == ALARM_CALLBACK, CallCase.alarm_id == alarm.id))
    if existing is not None:
        return None
    case = CallCase(kind=ALARM_CALLBACK, senior_id=alarm.senior_id, alarm_id=alarm.id,
                    operator=alarm.acknowledged_by, created_at=now, next_attempt_at=now)
    session.add(case)
    await session.flush()
    return case


async def open_abandoned_callback(session: AsyncSession, *, call: CallLeg,
                                  now: datetime) -> CallCase:
    """An emergency caller hung up before an operator answered: call them straight back."""
    case = CallCase(kind=ABANDONED_CALLBACK, senior_id=call.senior_id, number=call.from_number,
                    origin_call_id=call.id, created_at=now, next_attempt_at=now)
    session.add(case)
    await session.flush()
    return case


async def targets_for(session: AsyncSession, case: CallCase) -> list[Target]:
    """Who to dial, in order: the number given (or the senior's first phone), then contacts."""
    senior = await _reach(session, case.senior_id)
    first = case.number or (senior.phones[0] if senior and senior.phones else "")
    found = [Target(first, None)] if first else []
    if senior is not None and case.kind == ALARM_CALLBACK:
        found += [Target(contact.phones[0], contact.position)
                  for contact in senior.contacts if contact.phones]
    return found


async def attempts_of(session: AsyncSession, case_id: int) -> list[CallLeg]:
    result = await session.execute(
        select(CallLeg).where(CallLeg.case_id == case_id).order_by(CallLeg.id))
    return list(result.scalars().all())


async def advance_case(runtime: Runtime, case_id: int) -> None:
    """Take the case one step: wait for a live attempt, close it, or dial the next number
    (and the one after, when the network refuses a number outright)."""
    while True:
        async with callcenter_of(runtime).case_lock:
            call_id = await _next_attempt(runtime, case_id)
        if call_id is None or await dialling.place_call(runtime, call_id):
            return


async def _next_attempt(runtime: Runtime, case_id: int) -> int | None:
    """Decide the case's next step; the id of a new attempt to dial, if any."""
    async with runtime.sessions() as session:
        case = await session.get(CallCase, case_id)
        if case is None or case.state != "open" or case.kind not in DIALLED_KINDS:
            return None
        if case.alarm_id is not None and await alarm_link.alarm_state(
                session, alarm_id=case.alarm_id) == "resolved":
            await close_case(runtime, session, case, outcome="alarm_resolved")
            await session.commit()
            events.publish_case(runtime.bus, case)
            return None
        if case.senior_id is not None and await _senior_on_the_line(session, case.senior_id):
            # They called in themselves: the operator on that call takes over the case.
            await close_case(runtime, session, case, outcome="senior_called_in")
            await session.commit()
            events.publish_case(runtime.bus, case)
            return None
        attempts = await attempts_of(session, case.id)
        if attempts and attempts[-1].status not in FINAL_STATUSES \
                and attempts[-1].answered_at is None:
            return None  # still ringing
        if any(a.answered_at is not None for a in attempts):
            reached = next(a for a in attempts if a.answered_at is not None)
            outcome = "senior_reached" if reached.contact_position is None else "contact_reached"
            await close_case(runtime, session, case, outcome=outcome)
            await session.commit()
            events.publish_case(runtime.bus, case)
            return None
        targets = await targets_for(session, case)
        case.step = len(attempts)
        if case.step >= len(targets):
            await close_case(runtime, session, case, outcome="unreached")
            await session.commit()
            events.publish_case(runtime.bus, case)  # dispatch sends a responder
            return None
        target = targets[case.step]
        if case.step == 0 and case.kind == ALARM_CALLBACK:
            await send_case_sms(runtime, session, case, reason="alarm_received")
        if target.contact_position is not None and case.step == 1:
            await send_case_sms(runtime, session, case, reason="contacting_family")
        call = CallLeg(provider=callcenter_of(runtime).provider.name, direction="outbound",
                       purpose=case.kind if target.contact_position is None else "contact",
                       from_number=runtime.settings.hotline_number, to_number=target.number,
                       senior_id=case.senior_id, status=CallStatus.QUEUED,
                       created_at=runtime.clock.now(), case_id=case.id,
                       contact_position=target.contact_position, ivr_path=[], ivr_state={})
        session.add(call)
        await session.commit()
        events.publish_case(runtime.bus, case)
        return call.id


async def _senior_on_the_line(session: AsyncSession, senior_id: int) -> bool:
    """Whether the senior is on an inbound call with us right now."""
    live = await session.scalar(select(CallLeg.id).where(
        CallLeg.senior_id == senior_id, CallLeg.direction == "inbound",
        CallLeg.ended_at.is_(None)).limit(1))
    return live is not None


async def close_case(runtime: Runtime, session: AsyncSession, case: CallCase, *,
                     outcome: str) -> None:
    """Close the case in the caller's transaction (the caller commits, then publishes). A
    family already told about the case hears how it ended, in words that are true now."""
    case.state = "closed"
    case.outcome = outcome
    case.closed_at = runtime.clock.now()
    told = await messaging_service.already_told(session, case_id=case.id,
                                                template="contacting_family")
    if told and outcome in CLOSING_NOTICES:
        await send_case_sms(runtime, session, case, reason=CLOSING_NOTICES[outcome])


async def _reach(session: AsyncSession,
                 senior_id: int | None) -> seniors_service.SeniorReach | None:
    return await seniors_service.reach_of(session, senior_id=senior_id) if senior_id else None


async def case_facts(session: AsyncSession, case: CallCase,
                     senior: seniors_service.SeniorReach, *, provider_name: str | None = None,
                     arrival_local: datetime | None = None) -> notices.NoticeFacts:
    """What is true about the case now, read from the alarm and the case's own attempts."""
    alarm = await alarm_link.alarm_view(session, alarm_id=case.alarm_id) \
        if case.alarm_id is not None else None
    reached = {"senior_reached": "senior", "senior_called_in": "senior",
               "contact_reached": "contact"}.get(case.outcome or "")
    return notices.NoticeFacts(
        senior_name=senior.name, alarm_state=alarm.state if alarm else None,
        resolved_by_person=bool(alarm and alarm.resolved_by not in (None, "system")),
        reached=reached, cascade_done=case.outcome == "unreached",
        provider_name=provider_name, arrival_local=arrival_local)


async def send_case_notice(runtime: Runtime, session: AsyncSession, *, case_id: int,
                           reason: str, provider_name: str | None = None,
                           arrival_local: datetime | None = None) -> None:
    """``send_case_sms`` for a case named by id (nothing when there is no such case)."""
    case = await session.get(CallCase, case_id)
    if case is not None:
        await send_case_sms(runtime, session, case, reason=reason, provider_name=provider_name,
                            arrival_local=arrival_local)


async def send_case_sms(runtime: Runtime, session: AsyncSession, case: CallCase, *,
                        reason: str, provider_name: str | None = None,
                        arrival_local: datetime | None = None) -> None:
    """Tell the first emergency contact about the case through the message port (once per
    notice), only if what the notice says is true now; it leaves after the caller commits."""
    senior = await _reach(session, case.senior_id)
    contact = next((c for c in senior.contacts if c.phones), None) if senior else None
    if senior is None or contact is None or await messaging_service.already_told(
            session, case_id=case.id, template=reason):
        return
    try:
        facts = await case_facts(session, case, senior, provider_name=provider_name,
                                 arrival_local=arrival_local)
        body = notices.render(reason, facts)
    except notices.UntrueNotice as untrue:
        log.info("case %s: %s; not sent", case.id, untrue)
        return
    await messaging_flows.send(runtime, session, Outgoing(
        to=contact.phones[0], text=body, template=reason, purpose="family_notice",
        params=notices.params_of(facts), senior_id=senior.id, case_id=case.id,
        alarm_id=case.alarm_id))


async def answered_actions(session: AsyncSession, *, call: CallLeg,
                           now: datetime) -> tuple[CallAction, ...]:
    """What the person who picked up an outbound call hears, and where the call goes next."""
    if call.conference is not None:
        return (Conference(call.conference),)  # a party leg: straight into its conference
    if call.campaign_id is not None:
        return await campaigns.answered_actions(session, call=call)
    case = await session.get(CallCase, call.case_id) if call.case_id else None
    text = SENIOR_ANSWERED
    if call.contact_position is not None:
        senior = await _reach(session, call.senior_id)
        text = CONTACT_ANSWERED.format(name=senior.name if senior else "您的家人")
    owner = case.operator if case else None
    if case is not None and case.alarm_id is not None:
        owner = await alarm_link.alarm_owner(session, alarm_id=case.alarm_id) or owner
    # Queued for everyone, but marked for the operator who owns the alarm: they see it first.
    service.enqueue(call, queue=ivr.EMERGENCY_QUEUE, priority=ivr.EMERGENCY_PRIORITY, now=now,
                    reserved_for=owner)
    return (Say(text, ivr.ZH), Enqueue(ivr.EMERGENCY_QUEUE, ivr.EMERGENCY_PRIORITY))


def needs_follow_up(call: CallLeg) -> bool:
    """Whether a status change on this leg may move outbound work on."""
    return call.case_id is not None or (
        call.direction == "inbound" and call.outcome == "abandoned"
        and call.priority == ivr.EMERGENCY_PRIORITY)


async def after_status(runtime: Runtime, call_id: int) -> None:
    """Follow-up once a leg's status changed: move its case on, or call back an abandoned
    emergency caller."""
    async with runtime.sessions() as session:
        call = await service.get_call(session, call_id)
        case_id = call.case_id
        if (call.direction == "inbound" and call.outcome == "abandoned"
                and call.priority == ivr.EMERGENCY_PRIORITY):
            existing = await session.scalar(select(CallCase.id).where(
                CallCase.kind == ABANDONED_CALLBACK, CallCase.origin_call_id == call.id))
            if existing is None:
                case_id = (await open_abandoned_callback(session, call=call,
                                                         now=runtime.clock.now())).id
                await session.commit()
    if case_id is not None:
        await advance_case(runtime, case_id)


async def sweep(runtime: Runtime) -> None:
    """One pass over everything that must not be forgotten if an event was missed."""
    async with callcenter_of(runtime).sweep_lock:
        await _recover_alarms(runtime)
        await _expire_ringing(runtime)
        await _offer_callbacks(runtime)
        for case_id in await _open_dialled_cases(runtime):
            await advance_case(runtime, case_id)
        await campaigns.run_due(runtime)


async def _recover_alarms(runtime: Runtime) -> None:
    async with runtime.sessions() as session:
        for alarm in await alarm_link.unattended_data_alarms(session):
            await open_alarm_callback(session, alarm=alarm, now=runtime.clock.now())
        await session.commit()


async def _expire_ringing(runtime: Runtime) -> None:
    """An outbound leg nobody answered within the ring time is a no-answer (the network may
    never say so)."""
    cutoff = runtime.clock.now() - timedelta(seconds=runtime.settings.outbound_ring_seconds)
    if runtime.settings.telephony == "twilio":
        cutoff -= RING_GRACE  # Twilio reports it itself; only a safety net here
    async with runtime.sessions() as session:
        stale = (await session.execute(select(CallLeg).where(
            CallLeg.direction == "outbound", CallLeg.answered_at.is_(None),
            CallLeg.status.in_([CallStatus.QUEUED, CallStatus.RINGING]),
            CallLeg.created_at <= cutoff))).scalars().all()
        for call in stale:
            await service.record_status(session, call=call, status=CallStatus.NO_ANSWER,
                                        now=runtime.clock.now())
        await session.commit()
        for call in stale:
            events.publish_call(runtime.bus, call)


async def _offer_callbacks(runtime: Runtime) -> None:
    """Simulated callers, and callers held on a network's own connections (FreeSWITCH), hear
    the call-back offer from here (Twilio asks on its wait URL)."""
    offer_after = timedelta(seconds=runtime.settings.callback_offer_after_seconds)
    provider = callcenter_of(runtime).provider
    plays = provider.name if isinstance(provider, PlaysToWaitingCallers) else "simulator"
    async with callcenter_of(runtime).phone_lock, runtime.sessions() as session:
        waiting = [c for c in await service.waiting_calls(session)
                   if c.provider in ("simulator", plays) and c.direction == "inbound"]
        offers = []
        for call in waiting:
            actions = service.wait_actions(call, now=runtime.clock.now(), offer_after=offer_after)
            if any(isinstance(a, Gather) for a in actions):
                offers.append((call, actions))
        await session.commit()
        for call, actions in offers:
            if isinstance(provider, PlaysToWaitingCallers) and call.provider == plays:
                await provider.play(call_sid=call.provider_sid or "", actions=actions)
                continue
            simulated_calls.listen(runtime, call, actions)  # silence keeps them waiting
            events.publish_phone_actions(runtime.bus, call, actions)


async def _open_dialled_cases(runtime: Runtime) -> list[int]:
    async with runtime.sessions() as session:
        result = await session.execute(select(CallCase.id).where(
            CallCase.state == "open", CallCase.kind.in_(DIALLED_KINDS)).order_by(CallCase.id))
        return list(result.scalars().all())


async def sweep_forever(runtime: Runtime) -> None:
    """The call centre's loop: a sweep every few seconds of the runtime clock."""
    while True:
        await sweep(runtime)
        await runtime.clock.sleep(5)




async def follow_alarms(runtime: Runtime) -> None:
    """Call back as soon as an alarm without a voice path is raised; the sweep catches any
    event this listener missed."""
    while True:
        async with runtime.bus.subscribe() as subscription:
            try:
                while True:
                    event = await subscription.next()
                    if event.topic == "alarm.raised":
                        await _on_alarm_raised(runtime, event.data)
            except SubscriberOverflow:
                log.warning("alarm listener fell behind; the sweep will recover missed alarms")


async def _on_alarm_raised(runtime: Runtime, data: dict[str, object]) -> None:
    alarm = alarm_link.AlarmView(
        id=int(str(data["id"])), senior_id=int(str(data["senior_id"])),
        priority=int(str(data["priority"])), voice_path=bool(data.get("voice_path", True)),
        state="raised", acknowledged_by=None)
    if alarm.voice_path or not alarm.urgent:
        return
    async with callcenter_of(runtime).sweep_lock:
        async with runtime.sessions() as session:
            case = await open_alarm_callback(session, alarm=alarm, now=runtime.clock.now())
            await session.commit()
        if case is not None:
            await advance_case(runtime, case.id)
