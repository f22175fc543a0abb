"""The gateways' fakes on loopback ports, and a helper that sends an SOS's first notice."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import FastAPI
from sqlalchemy import select

from alarms import service as alarms_service
from callcenter import flows as callcenter_flows
from messaging.lifespan import messaging_of
from messaging.models import Message
from runtime.context import Runtime
from tests.callcenter.conftest import senior_id  # noqa: F401 (the shared senior fixture)
from tests.conftest import LiveServer, serve

TEMPLATES = {"alarm_received": "SMS_471000001", "contacting_family": "SMS_471000002",
             "provider_offer": "SMS_471000003", "liveness_reminder": "SMS_471000004"}


async def served(application: FastAPI) -> AsyncIterator[LiveServer]:
    async for server in serve(application):
        yield server


async def sos_notice(runtime: Runtime, senior: int) -> list[Message]:
    """Raise an SOS, let the call centre open its call-back (which tells the first contact),
    wait for the message port's attempts, and return every message."""
    async with runtime.sessions() as session:
        await alarms_service.raise_alarm(session, senior_id=senior, kind="sos",
                                         at=runtime.clock.now())
        await session.commit()
    await callcenter_flows.sweep(runtime)
    await messaging_of(runtime).drain()
    return await all_messages(runtime)


async def all_messages(runtime: Runtime) -> list[Message]:
    async with runtime.sessions() as session:
        return list((await session.scalars(select(Message).order_by(Message.id))).all())
