"""The senior's record as the operator sees it on answering: who, health, contacts, devices
and their state, and the last alarms, calls and service orders."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from alarms import service as alarms_service
from callcenter import service as callcenter_service
from devices import service as devices_service
from dispatch import service as dispatch_service
from incidents import service
from incidents.schemas import SeniorRecord
from runtime.context import Runtime
from seniors import service as seniors_service
from seniors.views import RecordView

RECENT = 5


async def senior_record(session: AsyncSession, runtime: Runtime, *, senior_id: int,
                        view: RecordView) -> SeniorRecord:
    now = runtime.clock.now()
    senior = await seniors_service.get_senior(session, senior_id)
    devices = await devices_service.list_devices(session, senior_id=senior_id)
    incident = await service.open_incident_of(session, senior_id=senior_id)
    return SeniorRecord(
        senior=seniors_service.detail_of(senior, now.date(), view=view),
        devices=[devices_service.device_out(device, now) for device in devices],
        recent_alarms=await alarms_service.recent_of_senior(
            session, senior_id=senior_id, limit=RECENT),
        recent_calls=await callcenter_service.recent_of_senior(
            session, senior_id=senior_id, limit=RECENT),
        recent_orders=await dispatch_service.recent_of_senior(
            session, senior_id=senior_id, limit=RECENT),
        open_incident_id=incident.id if incident else None,
    )
