"""What the call centre needs from alarms and devices, behind two small seams.

Alarms come from the ``alarms`` package. Alarm devices (registered SOS pendants that dial
12349) belong to the devices domain; ``NoAlarmDevices`` says "not a device" until that lookup
exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from alarms import service as alarms_service

if TYPE_CHECKING:  # what alarms_service hands back, turned into views here
    from alarms.models import Alarm

URGENT_PRIORITIES = frozenset({1, 2})


@dataclass(frozen=True, slots=True)
class AlarmView:
    """The parts of an alarm the call centre acts on."""

    id: int
    senior_id: int
    priority: int
    voice_path: bool
    state: str
    acknowledged_by: str | None
    resolved_by: str | None = None

    @property
    def urgent(self) -> bool:
        return self.priority in URGENT_PRIORITIES and self.state != "resolved"


class AlarmDeviceLookup(Protocol):
    async def is_alarm_device(self, session: AsyncSession, *, number: str) -> bool: ...


class NoAlarmDevices:
    """No device registry yet: no caller ID is an alarm device."""

    async def is_alarm_device(self, session: AsyncSession, *, number: str) -> bool:
        return False


def _view(alarm: Alarm) -> AlarmView:
    return AlarmView(id=alarm.id, senior_id=alarm.senior_id, priority=alarm.priority,
                     voice_path=alarm.voice_path, state=alarm.state,
                     acknowledged_by=alarm.acknowledged_by, resolved_by=alarm.resolved_by)


async def open_alarms(session: AsyncSession, *, senior_id: int) -> Sequence[AlarmView]:
    """The senior's alarms that are not resolved."""
    alarms = await alarms_service.open_alarms_for_senior(session, senior_id=senior_id)
    return [_view(alarm) for alarm in alarms]


async def unattended_data_alarms(session: AsyncSession) -> Sequence[AlarmView]:
    """Open P1/P2 alarms without a voice path (the flows skip those already called back)."""
    alarms = await alarms_service.open_without_voice(session,
                                                     priorities=sorted(URGENT_PRIORITIES))
    return [_view(alarm) for alarm in alarms]


async def alarm_owner(session: AsyncSession, *, alarm_id: int) -> str | None:
    """The operator who acknowledged the alarm, if anyone has."""
    alarm = await alarms_service.find_alarm(session, alarm_id=alarm_id)
    return alarm.acknowledged_by if alarm else None


async def alarm_state(session: AsyncSession, *, alarm_id: int) -> str | None:
    """The alarm's state, or None when it is unknown."""
    alarm = await alarms_service.find_alarm(session, alarm_id=alarm_id)
    return alarm.state if alarm else None


async def alarm_view(session: AsyncSession, *, alarm_id: int) -> AlarmView | None:
    alarm = await alarms_service.find_alarm(session, alarm_id=alarm_id)
    return _view(alarm) if alarm else None
