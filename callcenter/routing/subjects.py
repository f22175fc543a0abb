"""What a routing task is about, in words for the desk: who, what, where, since when.

Read once when a task is queued (and again at start-up), so an offer shows the senior's name,
the alarm or call in words and the address without a look-up per offer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from alarms import service as alarms_service
from alarms.kinds import ALARM_KINDS
from areas import lines as area_lines
from callcenter import ivr
from callcenter.models import CallCase, CallLeg
from seniors import service as seniors_service

# What a waiting call is, by the queue the menu put it in.
QUEUE_WORDS: dict[str, tuple[str, str]] = {
    ivr.EMERGENCY_QUEUE: ("紧急求助来电", "Emergency call"),
    "policy": ("政务咨询来电", "Call: policy question"),
    "service": ("服务申请来电", "Call: service request"),
    "complaint": ("投诉建议来电", "Call: complaint"),
    ivr.GENERAL_QUEUE: ("人工服务来电", "Call for an operator"),
}
CALLBACK_WORDS = ("回拨请求", "Call-back request")
CALL_WORDS = ("来电", "Call")


@dataclass(frozen=True, slots=True)
class Subject:
    kind: str  # "alarm" or "call"
    senior_id: int | None
    senior_name: str | None
    what_zh: str
    what_en: str
    address: str | None
    district: str | None
    since: datetime
    priority: int
    area_code: str | None = None  # whose centre the work is (areas/): the desk shows it there

    def as_json(self) -> dict[str, object]:
        return {**asdict(self), "since": self.since.isoformat()}


async def subjects_of(session: AsyncSession, refs: Iterable[str]) -> dict[str, Subject]:
    """The subject of each ``alarm:N``, ``call:N`` and ``case:N`` ref that still exists.

    A fixed number of queries whatever the count: the alarms, calls and cases, then every
    senior they name at once.
    """
    ids: dict[str, list[int]] = {"alarm": [], "call": [], "case": []}
    for ref in refs:
        prefix, _, number = ref.partition(":")
        if prefix in ids and number.isdigit():
            ids[prefix].append(int(number))
    alarms = await alarms_service.headlines_of(session, alarm_ids=ids["alarm"])
    calls = (await session.scalars(select(CallLeg).where(CallLeg.id.in_(ids["call"])))).all() \
        if ids["call"] else []
    cases = (await session.scalars(select(CallCase).where(CallCase.id.in_(ids["case"])))).all() \
        if ids["case"] else []
    named = {alarm.senior_id for alarm in alarms}
    named.update(call.senior_id for call in calls if call.senior_id is not None)
    named.update(case.senior_id for case in cases if case.senior_id is not None)
    seniors = await seniors_service.places_of(session, senior_ids=named)
    found: dict[str, Subject] = {}
    for alarm in alarms:
        place = seniors.get(alarm.senior_id)
        if place is not None:  # as the join did: an alarm always has its senior
            kind = ALARM_KINDS[alarm.kind]
            found[f"alarm:{alarm.id}"] = Subject(
                "alarm", place.id, place.name, kind.label_zh, kind.label_en, place.address,
                place.district, alarm.first_at, alarm.priority, alarm.area_code)
    if calls:
        lines = await area_lines.line_areas(session)
        for call in calls:
            senior = seniors.get(call.senior_id) if call.senior_id is not None else None
            zh, en = QUEUE_WORDS.get(call.queue or "", CALL_WORDS)
            subject = _with_senior("call", senior, zh, en, call.created_at, call.priority)
            if senior is None:  # an unknown caller's: the centre whose line they dialled
                subject = replace(subject, area_code=area_lines.area_of_line(
                    lines, call.to_number))
            found[f"call:{call.id}"] = subject
    for case in cases:
        senior = seniors.get(case.senior_id) if case.senior_id is not None else None
        found[f"case:{case.id}"] = _with_senior("call", senior, *CALLBACK_WORDS,
                                                case.created_at, 3)
    return found


def _with_senior(kind: str, senior: seniors_service.SeniorPlace | None, what_zh: str,
                 what_en: str, since: datetime, priority: int) -> Subject:
    return Subject(kind, senior.id if senior else None, senior.name if senior else None,
                   what_zh, what_en, senior.address if senior else None,
                   senior.district if senior else None, since, priority,
                   senior.area_code if senior else None)
