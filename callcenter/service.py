"""Calls: inbound legs through the menu, the waiting queue, operators, status changes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import CursorResult, exists, insert, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from areas import lines as area_lines
from areas import service as areas_service
from callcenter import alarm_link, ivr, views
from callcenter.exceptions import CallNotFoundError, CallNotWaitingError, NotYourCallError
from callcenter.models import CallCase, CallLeg, CallStatusChange
from callcenter.port import (
    FINAL_STATUSES,
    CallAction,
    CallStatus,
    Enqueue,
    Gather,
    Hangup,
    Say,
    is_forward,
)
from callcenter.schemas import CallOut
from incidents import service as incidents_service
from runtime.scope import current_scope
from seniors import areas as seniors_areas
from seniors import service as seniors_service
from seniors.exceptions import SeniorNotFoundError
from seniors.phones import try_normalise_phone

if TYPE_CHECKING:  # what seniors_service hands back
    from seniors.models import Senior

LEG_COLUMNS = tuple(c for c in CallLeg.__table__.columns if c.key != "id")
# Built once: every call to the hotline runs these, and building an ORM INSERT with its values
# cost three times the statement itself (about 1.2 ms of CPU per call for the two; see
# docs/benchmarks.md, freeswitch). The values go in as parameters.
_LEGS = CallLeg.metadata.tables[CallLeg.__tablename__]
INSERT_LEG = insert(_LEGS).returning(_LEGS.c.id)
INSERT_STATUS = insert(CallLeg.metadata.tables[CallStatusChange.__tablename__])
# The same, skipping a status the leg already reached (PostgreSQL's form, then SQLite's).
INSERT_STATUS_ONCE = {
    postgresql: form(CallLeg.metadata.tables[CallStatusChange.__tablename__])
    .on_conflict_do_nothing(index_elements=["call_id", "status"])
    for postgresql, form in ((True, pg_insert), (False, sqlite_insert))
}
CALLBACK_KEY = "1"
REQUESTED_CALLBACK = "requested_callback"
# The hold words are true whether or not an operator is free (an offer may be ringing already).
WAIT_PROMPTS = {
    ivr.ZH: {"hold": "正在为您接通值班员，请稍候。",
             "offer": "等候时间较长。需要我们给您回电，请按1；继续等候，请不要挂机。",
             "promised": "好的，我们会尽快给您回电。再见。"},
    ivr.EN: {"hold": "Connecting you to an operator. Please hold.",
             "offer": "The wait is long. To be called back, press 1. Or stay on the line.",
             "promised": "Thank you. We will call you back soon. Goodbye."},
}


@dataclass(frozen=True, slots=True)
class CallerLookup:
    """Who is calling, and whether the call skips the menu: an emergency (an alarm unit, an
    open P1/P2 alarm) or a registered senior. ``name`` is said in the greeting, only when the
    number is one senior's alone (a shared landline could be either of them)."""

    senior_id: int | None
    emergency: bool
    reason: str
    name: str | None = None
    language: str = ivr.ZH
    caller_language: str = ""
    recorded: tuple[str, ...] = ()

    @property
    def known(self) -> bool:
        return self.senior_id is not None

    def first_step(self) -> ivr.IvrStep:
        """The call's first words: the fast path (by name) or the menu."""
        step = ivr.start(emergency=self.emergency, known=self.known, name=self.name,
                         language=self.language, caller_language=self.caller_language,
                         recorded=self.recorded)
        if self.emergency or self.known:
            return ivr.IvrStep(step.state, step.actions, f"fast-path:{self.reason}")
        return step

    @property
    def fallback_note(self) -> str | None:
        """A note for the call when the caller's language has no recorded prompts here."""
        if self.caller_language in ivr.RECORDED_ONLY and self.language != self.caller_language:
            return f"prompts:{self.caller_language}-not-recorded:{self.language}"
        return None


async def lookup_caller(session: AsyncSession, *, number: str,
                        devices: alarm_link.AlarmDeviceLookup,
                        recorded: tuple[str, ...] = ()) -> CallerLookup:
    """Caller ID → senior; an alarm device or an open P1/P2 alarm means emergency, any other
    registered senior a greeting and an operator. ``recorded``: recorded-only languages the
    network can play (a senior's prompts are in theirs when it is one of them)."""
    found = await _lookup_caller(session, number=number, devices=devices)
    usable = found.caller_language in recorded
    return replace(found, recorded=recorded,
                   language=found.caller_language if usable else found.language)


async def _lookup_caller(session: AsyncSession, *, number: str,
                         devices: alarm_link.AlarmDeviceLookup) -> CallerLookup:
    from devices import service as devices_service  # local: the devices registry's SIMs

    device = await devices_service.find_by_phone(session, number)
    seniors = await seniors_service.find_by_phone(session, number)
    if device is not None and device.senior_id is not None:  # an alarm unit: its senior's
        owner = await _active_senior(session, device.senior_id)
        if owner is None:
            return CallerLookup(device.senior_id, True, "alarm-device")
        return _caller(owner, "alarm-device", alone=True)
    if device is not None:
        return _caller(seniors[0] if seniors else None, "alarm-device", alone=len(seniors) == 1)
    normalised = try_normalise_phone(number)
    if normalised and await devices.is_alarm_device(session, number=normalised):
        return _caller(seniors[0] if seniors else None, "alarm-device", alone=len(seniors) == 1)
    for senior in seniors:
        alarms = await alarm_link.open_alarms(session, senior_id=senior.id)
        if any(alarm.urgent for alarm in alarms):
            return _caller(senior, "open-alarm", alone=len(seniors) == 1)
    if seniors:
        return _caller(seniors[0], "known", alone=len(seniors) == 1)
    return CallerLookup(None, False, "unknown")


async def _active_senior(session: AsyncSession, senior_id: int) -> Senior | None:
    try:
        return await seniors_service.get_senior(session, senior_id)
    except SeniorNotFoundError:
        return None


def _caller(senior: Senior | None, reason: str, *, alone: bool) -> CallerLookup:
    emergency = reason != "known"
    if senior is None:
        return CallerLookup(None, emergency, reason)
    return CallerLookup(senior.id, emergency, reason, senior.name if alone else None,
                        ivr.prompt_language(senior.languages),
                        ivr.caller_language(senior.languages))


async def get_call(session: AsyncSession, call_id: int) -> CallLeg:
    call = await session.get(CallLeg, call_id)
    if call is None:
        raise CallNotFoundError(call_id)
    return call


async def find_by_sid(session: AsyncSession, sid: str) -> CallLeg | None:
    return await session.scalar(select(CallLeg).where(CallLeg.provider_sid == sid))


async def begin_inbound(
    session: AsyncSession, *, provider: str, sid: str, from_number: str, to_number: str,
    devices: alarm_link.AlarmDeviceLookup, now: datetime, recorded: tuple[str, ...] = (),
) -> tuple[CallLeg, tuple[CallAction, ...]]:
    """Store the new leg, look the caller up and give the first actions (menu or fast path).

    The leg and its first status go in as two plain INSERTs: this runs for every call to the
    hotline while Twilio waits. A repeated webhook for the same call id trips the unique
    provider id instead of costing every call a look first: the session is rolled back, and
    the call answers the same way without a second leg.
    """
    caller = await lookup_caller(session, number=from_number, devices=devices,
                                 recorded=recorded)
    call = CallLeg(provider=provider, provider_sid=sid, direction="inbound", purpose="hotline",
                   from_number=try_normalise_phone(from_number) or from_number,
                   to_number=to_number, senior_id=caller.senior_id,
                   line_area_code=None if caller.senior_id is not None
                   else await area_lines.area_of_dialled(session, to_number),
                   status=CallStatus.IN_PROGRESS, created_at=now, ivr_path=[], ivr_state={},
                   priority=ivr.DEFAULT_PRIORITY, callback_offered=False)
    step = caller.first_step()
    apply_step(call, step, now=now)
    if caller.fallback_note:
        call.ivr_path = [*call.ivr_path, caller.fallback_note]
    try:
        call.id = await insert_leg(session, call)
    except IntegrityError:
        await session.rollback()
        existing = await find_by_sid(session, sid)
        if existing is None:
            raise
        return existing, _start_again(existing, step)
    await session.execute(INSERT_STATUS, {"call_id": call.id, "status": CallStatus.IN_PROGRESS,
                                          "at": now})
    return call, step.actions


def _start_again(call: CallLeg, step: ivr.IvrStep) -> tuple[CallAction, ...]:
    """The first words again for a repeated webhook: the same, unless the stored leg started
    the other way (queued, or in the menu) because the lookup changed in between."""
    if (call.offered_at is not None) == any(isinstance(a, Enqueue) for a in step.actions):
        return step.actions
    if call.offered_at is not None:
        return (Enqueue(call.queue or ivr.GENERAL_QUEUE, call.priority),)
    return ivr.start(language=ivr_state_of(call).language).actions


async def insert_leg(session: AsyncSession, call: CallLeg) -> int:
    """INSERT a new (not added) leg's columns in one statement; its id."""
    values = {column.key: getattr(call, column.key) for column in LEG_COLUMNS
              if getattr(call, column.key) is not None}
    new_id = await session.scalar(INSERT_LEG, values)
    assert new_id is not None
    return int(new_id)


def ivr_state_of(call: CallLeg) -> ivr.IvrState:
    if not call.ivr_state:
        return ivr.IvrState()
    state = ivr.IvrState(**call.ivr_state)
    return replace(state, recorded=tuple(state.recorded))  # stored as a JSON list


def apply_step(call: CallLeg, step: ivr.IvrStep, *, now: datetime) -> None:
    """Remember the caller's choice and new menu state; an Enqueue puts the call in a queue."""
    call.ivr_state = asdict(step.state)
    call.ivr_path = [*call.ivr_path, step.chose]
    for action in step.actions:
        if isinstance(action, Enqueue):
            enqueue(call, queue=action.queue, priority=action.priority, now=now)


def enqueue(call: CallLeg, *, queue: str, priority: int, now: datetime,
            reserved_for: str | None = None) -> None:
    """Offer the call to operators: the seam that skills-based routing will replace."""
    call.queue = queue
    call.priority = priority
    call.offered_at = call.offered_at or now
    call.reserved_for = reserved_for


async def menu_input(session: AsyncSession, *, call_id: int, digits: str | None,
                     speech: str | None, now: datetime) -> tuple[CallAction, ...]:
    """The caller pressed a key, spoke, or said nothing; the next actions."""
    call = await get_call(session, call_id)
    if call.offered_at is not None:
        return await wait_input(session, call=call, digits=digits, now=now)
    state = ivr_state_of(call)
    if state.done:
        return (Enqueue(call.queue or ivr.GENERAL_QUEUE, call.priority),)
    if digits:
        step = ivr.on_digits(state, digits)
    elif speech:
        step = ivr.on_speech(state, speech)
    else:
        step = ivr.on_no_input(state)
    apply_step(call, step, now=now)
    return step.actions


def wait_actions(call: CallLeg, *, now: datetime, offer_after: timedelta) -> tuple[CallAction, ...]:
    """What a waiting caller hears; a non-emergency caller waiting long is offered a call-back."""
    language = ivr_state_of(call).language
    prompts = _wait_prompts(language)
    waited = now - (call.offered_at or now)
    if (call.priority != ivr.EMERGENCY_PRIORITY and not call.callback_offered
            and waited >= offer_after):
        call.callback_offered = True
        call.ivr_path = [*call.ivr_path, "callback-offered"]
        return (Gather(prompts["offer"], language, ivr.GATHER_TIMEOUTS["callback_offer"],
                       key="offer"),)
    return (Say(prompts["hold"], language, "hold"),)


def _wait_prompts(language: str) -> dict[str, str]:
    return WAIT_PROMPTS.get(language, WAIT_PROMPTS[ivr.ZH])


async def wait_input(session: AsyncSession, *, call: CallLeg, digits: str | None,
                     now: datetime) -> tuple[CallAction, ...]:
    """A key pressed while waiting: 1 after the offer asks for a call-back."""
    language = ivr_state_of(call).language
    if (call.callback_offered and digits and digits.strip()[:1] == CALLBACK_KEY
            and call.operator is None and call.ended_at is None):
        await open_requested_callback(session, call=call, now=now)
        call.ivr_path = [*call.ivr_path, "callback-accepted"]
        call.outcome = "callback_requested"
        return (Say(_wait_prompts(language)["promised"], language, "promised"), Hangup())
    return (Say(_wait_prompts(language)["hold"], language, "hold"),)


async def open_requested_callback(session: AsyncSession, *, call: CallLeg,
                                  now: datetime) -> CallCase:
    """A waiting caller asked to be called back: a task for an operator, not an auto-dial."""
    case = CallCase(kind=REQUESTED_CALLBACK, senior_id=call.senior_id, number=call.from_number,
                    origin_call_id=call.id, created_at=now)
    session.add(case)
    await session.flush()
    return case


async def waiting_calls(session: AsyncSession, *, for_operator: str | None = None
                        ) -> Sequence[CallLeg]:
    """Calls offered to operators and not yet answered, most urgent and oldest first; calls
    reserved for ``for_operator`` (the alarm they own) come first within a priority."""
    result = await session.execute(
        select(CallLeg)
        .where(CallLeg.offered_at.is_not(None), CallLeg.operator.is_(None),
               CallLeg.ended_at.is_(None), CallLeg.outcome.is_(None))
        .order_by(CallLeg.priority, CallLeg.offered_at, CallLeg.id)
    )
    calls = result.scalars().all()
    if for_operator is None:
        return calls
    return sorted(calls, key=lambda c: (c.priority, c.reserved_for != for_operator))


async def recent_calls(session: AsyncSession, *, limit: int = 100,
                       include_archived: bool = False) -> Sequence[CallLeg]:
    query = select(CallLeg).order_by(CallLeg.id.desc()).limit(limit)
    if not include_archived:
        query = query.where(CallLeg.archived_at.is_(None))
    return (await session.execute(query)).scalars().all()


async def answer_call(session: AsyncSession, *, call_id: int, operator: str,
                      now: datetime) -> CallLeg:
    """An operator takes a waiting call; a second operator gets CallNotWaitingError."""
    call = await get_call(session, call_id)
    if call.offered_at is None or call.operator is not None or call.ended_at is not None \
            or call.outcome is not None:
        raise CallNotWaitingError(f"call {call_id} is not waiting any more")
    call.operator = operator
    call.answered_at = now
    call.ivr_path = [*call.ivr_path, f"answered:{operator}"]
    await _note_handling(session, call)
    # A known senior's call joins their open incident, or opens one owned by this operator.
    await incidents_service.link_call(session, call=call, operator=operator, now=now)
    return call


async def _note_handling(session: AsyncSession, call: CallLeg) -> None:
    """Record whose caller it is and which of the answering operator's centres (their
    request's scope) took the call, with both names when one stood in for the other."""
    area = await seniors_areas.area_of(session, call.senior_id) if call.senior_id else None
    handling = await areas_service.handling_of(session, area_code=area,
                                               prefixes=current_scope().prefixes)
    if handling is None:
        return
    by, home = handling.by_centre, handling.for_centre
    call.for_centre_id, call.handled_by_centre_id = home.id, by.id
    call.handled_for = {"by_zh": by.name_zh, "by_en": by.name_en, "for_zh": home.name_zh,
                        "for_en": home.name_en} if handling.on_behalf else None


async def hang_up_call(session: AsyncSession, *, call_id: int, operator: str,
                       now: datetime) -> CallLeg:
    """The operator ends the call."""
    call = await get_call(session, call_id)
    if call.operator != operator:
        raise NotYourCallError(f"call {call_id} is not answered by {operator}")
    await record_status(session, call=call, status=CallStatus.COMPLETED, now=now)
    return call


async def find_by_sid_with_status(session: AsyncSession, sid: str,
                                  status: CallStatus) -> tuple[CallLeg, bool] | None:
    """The leg with this provider id, and whether it already reached ``status``, in one
    statement (the status webhook's hot path)."""
    reached = exists().where(CallStatusChange.call_id == CallLeg.id,
                             CallStatusChange.status == status)
    row = (await session.execute(
        select(CallLeg, reached.label("reached")).where(CallLeg.provider_sid == sid))).first()
    return None if row is None else (row[0], bool(row[1]))


async def record_status(session: AsyncSession, *, call: CallLeg, status: CallStatus,
                        now: datetime, reached: bool | None = None) -> bool:
    """Apply a status if it is news: each status stored once, and never a step backwards.

    ``reached``: whether the leg already reached this status, when the caller read it along
    with the leg (None: the INSERT finds out).
    """
    if reached or not await _first_time(session, call_id=call.id, status=status, now=now):
        return False
    if not is_forward(CallStatus(call.status), status):
        return False
    call.status = status
    # An outbound leg only ever completes after it was answered, whatever order news came in.
    if call.direction == "outbound" and status in (CallStatus.IN_PROGRESS, CallStatus.COMPLETED):
        call.answered_at = call.answered_at or now
    if status in FINAL_STATUSES:
        call.ended_at = now
        call.outcome = call.outcome or outcome_of(call, status)
    return True


async def _first_time(session: AsyncSession, *, call_id: int, status: CallStatus,
                      now: datetime) -> bool:
    """Store that the leg reached ``status``; False when it already had. One INSERT that skips
    a stored row, so two reports of the same news at once (the switch's event and the call's
    own socket) store it once, and the later one is not an error."""
    statement = INSERT_STATUS_ONCE[session.get_bind().dialect.name == "postgresql"]
    stored = await session.execute(statement, {"call_id": call_id, "status": status, "at": now})
    return bool(cast(CursorResult[Any], stored).rowcount == 1)


def outcome_of(call: CallLeg, status: CallStatus) -> str:
    """How a leg ended, in words the supervisor's reports use."""
    if call.direction == "outbound":
        return "answered" if call.answered_at else status.value
    if call.operator is not None:
        return "handled"
    if call.offered_at is not None:
        return "abandoned"
    return "ended_in_menu"


@dataclass(frozen=True, slots=True)
class LinkedCall:
    """A call leg as another domain's story tells it: the leg as the dashboard shows it, when
    it was placed, and which of the senior's contacts it rang (a cascade leg)."""

    call: CallOut
    created_at: datetime
    contact_position: int | None


@dataclass(frozen=True, slots=True)
class UnreachedCase:
    """An alarm's case that ended with neither the senior nor any contact answering."""

    id: int
    alarm_id: int
    senior_id: int


async def unreached_alarm_cases(session: AsyncSession) -> list[UnreachedCase]:
    """Every alarm case of a known senior that reached nobody: someone has to go round."""
    cases = (await session.execute(select(CallCase).where(
        CallCase.outcome == "unreached", CallCase.alarm_id.is_not(None),
        CallCase.senior_id.is_not(None)))).scalars().all()
    return [UnreachedCase(case.id, case.alarm_id, case.senior_id) for case in cases
            if case.alarm_id is not None and case.senior_id is not None]


async def case_ids_of_alarms(session: AsyncSession, *, alarm_ids: Sequence[int]) -> list[int]:
    """The call-back and contact-cascade cases these alarms opened."""
    if not alarm_ids:
        return []
    return list((await session.scalars(select(CallCase.id).where(
        CallCase.alarm_id.in_(alarm_ids)))).all())


async def calls_around(session: AsyncSession, *, call_ids: Sequence[int],
                       case_ids: Sequence[int]) -> list[LinkedCall]:
    """These legs, the legs of these cases, and the legs dialled into these calls, oldest
    first."""
    legs = list(await session.scalars(select(CallLeg).where(or_(
        CallLeg.id.in_(call_ids), CallLeg.case_id.in_(case_ids),
        CallLeg.parent_call_id.in_(call_ids))).order_by(CallLeg.created_at, CallLeg.id)))
    shown = await views.call_views(session, legs)
    return [LinkedCall(call=view, created_at=leg.created_at,
                       contact_position=leg.contact_position) for leg, view in zip(legs, shown,
                                                                                   strict=True)]


async def recent_of_senior(session: AsyncSession, *, senior_id: int,
                           limit: int) -> list[CallOut]:
    """The senior's latest call legs, the newest first."""
    legs = await session.scalars(select(CallLeg).where(CallLeg.senior_id == senior_id)
                                 .order_by(CallLeg.id.desc()).limit(limit))
    return await views.call_views(session, legs)
