"""Background loops: purge old audit frames and send certification reminders, hourly."""

from __future__ import annotations

from datetime import timedelta

from liveness import roster, service
from liveness.runtime import liveness_of
from runtime.context import Runtime


async def liveness_housekeeping(runtime: Runtime) -> None:
    while True:
        async with runtime.sessions() as session:
            await service.purge_audit_frames(session, now=runtime.clock.now())
            await roster.send_reminders(
                session, sender=liveness_of(runtime).reminders, today=runtime.clock.now().date(),
                days_before=runtime.settings.liveness_reminder_days)
            await session.commit()
        await runtime.clock.sleep(timedelta(hours=1).total_seconds())
