"""Dispatch and proof-of-life send their texts through the call centre's telephony port."""

from __future__ import annotations

from datetime import date

from callcenter import events as callcenter_events
from dispatch.notify import TelephonySmsSender
from liveness.reminders import Reminder, TelephonyReminderSender
from runtime.context import Runtime


async def test_provider_offers_and_reminders_reach_the_phone_network(runtime: Runtime) -> None:
    """With the simulator network, a provider's SMS and a reminder ring the phone page."""
    assert runtime.dispatch is not None and runtime.liveness is not None
    assert isinstance(runtime.dispatch.sms, TelephonySmsSender)
    assert isinstance(runtime.liveness.reminders, TelephonyReminderSender)
    async with runtime.bus.subscribe() as feed:
        await runtime.dispatch.sms.send_sms(to="+8613900000001", text="新订单 #7")
        await runtime.liveness.reminders.send(Reminder(
            senior_id=1, phones=["+8613900000002"], category="old_age_allowance",
            due_on=date(2026, 2, 1), message="请在2月1日前完成生存认证"))
        texts = [e.data for e in [await feed.next() for _ in range(2)]
                 if e.topic == callcenter_events.PHONE_SMS]
    assert [t["number"] for t in texts] == ["+8613900000001", "+8613900000002"]
    assert texts[1]["body"] == "请在2月1日前完成生存认证"
