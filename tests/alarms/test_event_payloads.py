"""Every alarm event carries the whole queue row: the senior's name, address and district."""

from __future__ import annotations

import httpx

from accounts import service as accounts_service
from accounts.roles import Role
from alarms import flows
from dashboard.live import build_snapshot
from runtime.bus import BusEvent
from runtime.clock import ManualClock
from runtime.context import Runtime
from tests.conftest import LoginAs

ROW_FIELDS = {"senior_name": "王秀英", "address": "呼和浩特市新城区新华大街12号3单元501室",
              "district": "新城区"}


def drained(queue_events: list[BusEvent]) -> dict[str, dict[str, object]]:
    return {event.topic: event.data for event in queue_events if event.topic.startswith("alarm.")}


async def test_every_alarm_event_names_the_senior(
    runtime: Runtime, senior_id: int, clock: ManualClock, client: httpx.AsyncClient,
    login_as: LoginAs,
) -> None:
    """raised, updated, escalated, acknowledged and resolved all carry name, address, district."""
    operator = await login_as(Role.OPERATOR)
    seen: list[BusEvent] = []
    async with runtime.bus.subscribe() as sub:
        raised = await flows.raise_and_announce(runtime, senior_id=senior_id, kind="sos",
                                                at=clock.now())
        await flows.raise_and_announce(runtime, senior_id=senior_id, kind="sos", at=clock.now())
        clock.advance(21)
        assert await flows.escalate_once(runtime) == 1
        ack = await client.post(f"/api/v1/alarms/{raised.alarm.id}/ack", headers=operator)
        assert ack.status_code == 200, ack.text
        done = await client.post(f"/api/v1/alarms/{raised.alarm.id}/resolve", headers=operator,
                                 json={"disposition": "false_alarm"})
        assert done.status_code == 200, done.text
        await runtime.bus.settled()
        while sub.queue.qsize():
            seen.append(await sub.next())
    payloads = drained(seen)
    assert set(payloads) == {"alarm.raised", "alarm.updated", "alarm.escalated",
                             "alarm.acknowledged", "alarm.resolved"}
    for topic, payload in payloads.items():
        assert {key: payload[key] for key in ROW_FIELDS} == ROW_FIELDS, topic
        assert payload["first_at"] == raised.alarm.first_at.isoformat(), topic
    assert payloads["alarm.acknowledged"]["acknowledged_at"] is not None


async def test_snapshot_rows_and_answer_targets(runtime: Runtime, senior_id: int,
                                                clock: ManualClock, login_as: LoginAs) -> None:
    """The snapshot's open alarms carry the row fields; each priority's answer target is sent."""
    await login_as(Role.OPERATOR)
    await flows.raise_and_announce(runtime, senior_id=senior_id, kind="low_battery",
                                   at=clock.now())
    async with runtime.sessions() as session:
        user = await accounts_service.get_user_by_username(session, "test_operator")
    assert user is not None
    part = (await build_snapshot(runtime, user))["alarms"]
    [row] = part["open"]
    assert {key: row[key] for key in ROW_FIELDS} == ROW_FIELDS
    assert part["answer_target_seconds"] == {"1": 20, "2": 60, "3": 180, "4": 3600, "5": 14400}
