"""What the call centre needs from alarms and devices, behind two small seams.

Alarms come from the ``alarms`` package; until it is merged this module answers "no open
alarms". Alarm devices (registered SOS pendants that dial 12349) belong to the devices domain;
``NoAlarmDevices`` says "not a device" until that lookup exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

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

    @property
    def urgent(self) -> bool:
        return self.priority in URGENT_PRIORITIES and self.state != "resolved"


class AlarmDeviceLookup(Protocol):
    async def is_alarm_device(self, session: AsyncSession, *, number: str) -> bool: ...


class NoAlarmDevices:
    """No device registry yet: no caller ID is an alarm device."""

    async def is_alarm_device(self, session: AsyncSession, *, number: str) -> bool:
        return False


async def open_alarms(session: AsyncSession, *, senior_id: int) -> Sequence[AlarmView]:
    """The senior's open alarms (none until the alarms package is merged)."""
    return []


async def unattended_data_alarms(session: AsyncSession) -> Sequence[AlarmView]:
    """Open P1/P2 alarms without a voice path (none until the alarms package is merged)."""
    return []


async def alarm_state(session: AsyncSession, *, alarm_id: int) -> str | None:
    """The alarm's state, or None when it is unknown."""
    return None
