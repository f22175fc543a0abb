"""Dispatch and proof-of-life send their texts through the message port, which (with
ANXIN_SMS=telephony) hands them to the call centre's telephony port."""

from __future__ import annotations

import asyncio
from datetime import date

from sqlalchemy import select, update

from callcenter import events as callcenter_events
from dispatch.flows import dispatch_of
from dispatch.notify import MessagePortSmsSender
from liveness.reminders import MessagePortReminderSender, Reminder
from liveness.runtime import liveness_of
from messaging.lifespan import messaging_of
from messaging.models import Message
from runtime.context import Runtime


async def test_provider_offers_and_reminders_reach_the_phone_network(runtime: Runtime) -> None:
    """With the simulator network, a provider's SMS and a reminder ring the phone page and
    are recorded as sent messages."""
    assert isinstance(dispatch_of(runtime).sms, MessagePortSmsSender)
    assert isinstance(liveness_of(runtime).reminders, MessagePortReminderSender)
    async with runtime.bus.subscribe() as feed:
        await dispatch_of(runtime).sms.send_sms(to="+8613900000001", text="新订单 #7")
        await liveness_of(runtime).reminders.send(Reminder(
            senior_id=1, phones=["+8613900000002"], category="old_age_allowance",
            due_on=date(2026, 2, 1), message="请在2月1日前完成生存认证"))
        texts = [e.data for e in [await feed.next() for _ in range(4)]
                 if e.topic == callcenter_events.PHONE_SMS]
    assert [t["number"] for t in texts] == ["+8613900000001", "+8613900000002"]
    assert texts[1]["body"] == "请在2月1日前完成生存认证"
    await messaging_of(runtime).drain()
    async with runtime.sessions() as session:
        sent = (await session.scalars(select(Message).order_by(Message.id))).all()
    assert [(m.purpose, m.gateway, m.state) for m in sent] == [
        ("provider_offer", "telephony", "sent"), ("reminder", "telephony", "sent")]


async def test_reminders_from_inside_the_rosters_transaction_do_not_wait_on_it(
        runtime: Runtime) -> None:
    """The hourly loop sends reminders inside a transaction that has already written; the
    message port's own transaction must not wait for it (one SQLite writer at a time)."""
    reminder = Reminder(senior_id=1, phones=["+8613900000002"], category="old_age_allowance",
                        due_on=date(2026, 2, 1), message="请在2月1日前完成生存认证")
    async with runtime.sessions() as session:
        await session.execute(update(Message).values(state="failed"))  # takes the write gate
        await asyncio.wait_for(liveness_of(runtime).reminders.send(reminder), timeout=10)
        await session.commit()
    await asyncio.wait_for(messaging_of(runtime).drain(), timeout=10)
    async with runtime.sessions() as session:
        (message,) = (await session.scalars(select(Message))).all()
    assert (message.purpose, message.state) == ("reminder", "sent")
