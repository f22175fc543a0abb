"""Where a wearable last was: its last latitude and longitude readings, and distances."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from devices.models import DeviceReading

EARTH_RADIUS_METERS = 6_371_000


@dataclass(frozen=True, slots=True)
class LastPosition:
    latitude: float
    longitude: float
    measured_at: datetime


def distance_meters(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (latitude, longitude) points."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_METERS * math.asin(math.sqrt(h))


async def last_position(session: AsyncSession, *, device_id: str) -> LastPosition | None:
    """The device's newest reading holding both coordinates, or None."""
    latest = (await session.execute(
        select(DeviceReading.value, DeviceReading.measured_at)
        .where(DeviceReading.device_id == device_id, DeviceReading.metric == "latitude")
        .order_by(DeviceReading.measured_at.desc(), DeviceReading.id.desc()).limit(1))).first()
    if latest is None:
        return None
    longitude = await session.scalar(
        select(DeviceReading.value).where(DeviceReading.device_id == device_id,
                                          DeviceReading.metric == "longitude",
                                          DeviceReading.measured_at == latest.measured_at))
    if longitude is None:
        return None
    return LastPosition(latest.value, longitude, latest.measured_at)
