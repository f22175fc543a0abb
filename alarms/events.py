"""What the alarms domain publishes on the bus; call these only after the commit.

Every alarm event carries the whole row the queue shows (the senior's name, address and
district included), so that a page can replace what it knows without ever blanking a field.
The publish functions therefore take the rows' context (seniors, and staff by display name) as
a required argument: look it up with ``rows_of`` inside the transaction that changed the alarm.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from accounts import service as accounts_service
from accounts.audiences import audience
from alarms.kinds import ALARM_KINDS, ANSWER_TARGET_SECONDS, AlarmState
from alarms.models import Alarm
from areas import service as areas_service
from devices import service as devices_service
from runtime.bus import EventBus
from runtime.context import Runtime
from seniors import service as seniors_service

if TYPE_CHECKING:  # the signed-in person a route or the live feed hands in
    from accounts.models import StaffUser

SUPERVISORS = ("supervisor",)


@dataclass(frozen=True, slots=True)
class AlarmSenior:
    """What an alarm row shows about its senior."""

    id: int
    name: str
    address: str
    district: str
    # where in the home each of the senior's devices is ("bathroom"), by device id
    device_locations: dict[str, str] = field(default_factory=dict)


async def seniors_of(session: AsyncSession, senior_ids: Iterable[int]) -> dict[int, AlarmSenior]:
    """The row fields of these seniors (archived ones too: their alarms still show)."""
    ids = set(senior_ids)
    if not ids:
        return {}
    places = await seniors_service.places_of(session, senior_ids=ids)
    locations = await devices_service.locations_of(session, senior_ids=ids)
    return {place.id: AlarmSenior(place.id, place.name, place.address, place.district,
                                  locations.get(place.id, {})) for place in places.values()}


def senior_in(seniors: dict[int, AlarmSenior], senior_id: int) -> AlarmSenior:
    """The senior from a ``seniors_of`` answer; one missing from the registry shows by number."""
    return seniors.get(senior_id) or AlarmSenior(senior_id, f"#{senior_id}", "", "")


@dataclass(frozen=True, slots=True)
class AlarmRows:
    """What alarm rows show beyond the alarm: their seniors, and staff by display name."""

    seniors: dict[int, AlarmSenior]
    staff: dict[str, str]  # display name by username, for owners and resolvers
    centres: dict[int, tuple[str, str]] = field(default_factory=dict)  # (zh-CN, en) by id

    def senior(self, senior_id: int) -> AlarmSenior:
        return senior_in(self.seniors, senior_id)

    def name(self, username: str | None) -> str | None:
        """A person's display name; an account no longer known keeps its username."""
        return None if username is None else self.staff.get(username, username)


async def rows_of(session: AsyncSession, alarms: Iterable[Alarm]) -> AlarmRows:
    """Look up, inside the alarms' transaction, what their rows show."""
    alarms = list(alarms)
    return AlarmRows(await seniors_of(session, (a.senior_id for a in alarms)),
                     await accounts_service.display_names(session, staff_of(alarms)),
                     await centres_of(session, alarms))


async def centres_of(session: AsyncSession, alarms: Iterable[Alarm]
                     ) -> dict[int, tuple[str, str]]:
    """The names of the centres these alarms belong to and were handled by."""
    return await areas_service.centre_names(session, {
        i for a in alarms for i in (a.for_centre_id, a.handled_by_centre_id)})


def handled_for(alarm: Alarm, rows: AlarmRows) -> dict[str, str] | None:
    """Both centres' names when one handled the alarm for the other; else None."""
    by, home = alarm.handled_by_centre_id, alarm.for_centre_id
    if by is None or home is None or by == home or by not in rows.centres \
            or home not in rows.centres:
        return None
    (by_zh, by_en), (for_zh, for_en) = rows.centres[by], rows.centres[home]
    return {"by_zh": by_zh, "by_en": by_en, "for_zh": for_zh, "for_en": for_en}


def staff_of(alarms: Iterable[Alarm]) -> set[str]:
    """The accounts named on these alarms: who owns and who resolved each."""
    return {u for a in alarms for u in (a.acknowledged_by, a.resolved_by) if u}


def alarm_payload(alarm: Alarm, rows: AlarmRows) -> dict[str, object]:
    kind = ALARM_KINDS[alarm.kind]
    senior = rows.senior(alarm.senior_id)
    return {
        "id": alarm.id, "senior_id": alarm.senior_id, "senior_name": senior.name,
        "address": senior.address, "district": senior.district,
        "device_location": senior.device_locations.get(alarm.device_id or "", ""),
        "kind": alarm.kind, "label": kind.label_zh, "label_en": kind.label_en,
        "priority": alarm.priority, "state": alarm.state, "voice_path": alarm.voice_path,
        "condition_active": alarm.condition_active, "count": alarm.count,
        "first_at": alarm.first_at.isoformat(), "last_at": alarm.last_at.isoformat(),
        "acknowledged_at": alarm.acknowledged_at.isoformat() if alarm.acknowledged_at else None,
        "acknowledged_by": alarm.acknowledged_by,
        "acknowledged_by_name": rows.name(alarm.acknowledged_by),
        "resolved_by_name": rows.name(alarm.resolved_by),
        "escalation_level": alarm.escalation_level,
        "disposition": alarm.disposition, "details": alarm.details,
        "handled_for": handled_for(alarm, rows),
        "summary": f"P{alarm.priority} {kind.label_zh} · {senior.name}",
    }


def publish_raised(bus: EventBus, alarm: Alarm, rows: AlarmRows) -> None:
    bus.publish("alarm.raised", alarm_payload(alarm, rows), roles=audience("alarm.raised"),
                area=alarm.area_code)


def publish_updated(bus: EventBus, alarm: Alarm, rows: AlarmRows) -> None:
    bus.publish("alarm.updated", alarm_payload(alarm, rows), roles=audience("alarm.updated"),
                area=alarm.area_code)


def publish_acknowledged(bus: EventBus, alarm: Alarm, rows: AlarmRows) -> None:
    bus.publish("alarm.acknowledged", {**alarm_payload(alarm, rows), "by": alarm.acknowledged_by,
                                       "by_name": rows.name(alarm.acknowledged_by)},
                roles=audience("alarm.acknowledged"), area=alarm.area_code)


def publish_resolved(bus: EventBus, alarm: Alarm, rows: AlarmRows) -> None:
    bus.publish("alarm.resolved", {**alarm_payload(alarm, rows), "by": alarm.resolved_by,
                                   "by_name": rows.name(alarm.resolved_by)},
                roles=audience("alarm.resolved"), area=alarm.area_code)


def publish_escalated(bus: EventBus, alarm: Alarm, rows: AlarmRows, level: int) -> None:
    """Levels 1 and 2 re-alert every operator; level 3 goes to supervisors."""
    payload = {**alarm_payload(alarm, rows), "level": level}
    bus.publish("alarm.escalated", payload,
                roles=SUPERVISORS if level >= 3 else audience("alarm.escalated"),
                area=alarm.area_code)


async def snapshot_part(runtime: Runtime, user: StaffUser) -> Any:
    """The live feed's view of alarms: every open one, most urgent first, and the answer
    target of each priority (seconds) that the queue colours against."""
    from alarms import service

    async with runtime.sessions() as session:
        alarms = await service.list_alarms(
            session, states=[AlarmState.RAISED, AlarmState.ACKNOWLEDGED], limit=1000
        )
        rows = await rows_of(session, alarms)
    return {
        "open": [alarm_payload(alarm, rows) for alarm in alarms],
        "answer_target_seconds": {str(int(p)): s for p, s in ANSWER_TARGET_SECONDS.items()},
    }
