"""The senior's record as the operator sees it on answering: who, health, contacts, devices
and their state, and the last alarms, calls and service orders."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from alarms.models import Alarm
from alarms.schemas import AlarmOut
from callcenter.models import CallLeg
from callcenter.schemas import CallOut
from devices import service as devices_service
from dispatch.models import ServiceOrder
from dispatch.schemas import OrderOut
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
    alarms = (await session.scalars(select(Alarm).where(Alarm.senior_id == senior_id).order_by(
        Alarm.first_at.desc()).limit(RECENT))).all()
    calls = (await session.scalars(select(CallLeg).where(CallLeg.senior_id == senior_id)
                                   .order_by(CallLeg.id.desc()).limit(RECENT))).all()
    orders = (await session.scalars(select(ServiceOrder).where(
        ServiceOrder.senior_id == senior_id).order_by(ServiceOrder.id.desc()).limit(
        RECENT))).all()
    incident = await service.open_incident_of(session, senior_id=senior_id)
    return SeniorRecord(
        senior=seniors_service.detail_of(senior, now.date(), view=view),
        devices=[devices_service.device_out(device, now) for device in devices],
        recent_alarms=[AlarmOut.model_validate(a) for a in alarms],
        recent_calls=[CallOut.model_validate(c) for c in calls],
        recent_orders=[OrderOut.model_validate(o) for o in orders],
        open_incident_id=incident.id if incident else None,
    )
