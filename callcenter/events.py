"""What the call centre tells the live feed (dashboards and the simulator phone page)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from accounts.audiences import audience
from callcenter import service
from callcenter.models import CallCase, CallLeg
from callcenter.port import CallAction
from callcenter.schemas import CallOut
from runtime.bus import EventBus
from runtime.context import Runtime

if TYPE_CHECKING:  # the signed-in person a route or the live feed hands in
    from accounts.models import StaffUser

CALL_UPDATED = "call.updated"
CASE_UPDATED = "call.case"
PHONE_ACTIONS = "phone.actions"
PHONE_RINGING = "phone.ringing"
PHONE_SMS = "phone.sms"


def call_out(call: CallLeg) -> CallOut:
    return CallOut.model_validate(call)


def call_data(call: CallLeg) -> dict[str, Any]:
    return call_out(call).model_dump(mode="json", by_alias=True)


def action_data(action: CallAction) -> dict[str, Any]:
    return {"type": type(action).__name__.lower(),
            **{name: getattr(action, name) for name in action.__slots__}}


def publish_call(bus: EventBus, call: CallLeg) -> None:
    bus.publish(CALL_UPDATED, call_data(call), roles=audience(CALL_UPDATED))


def publish_case(bus: EventBus, case: CallCase) -> None:
    bus.publish(CASE_UPDATED, {"id": case.id, "kind": case.kind, "state": case.state,
                               "senior_id": case.senior_id, "alarm_id": case.alarm_id,
                               "step": case.step, "outcome": case.outcome},
                roles=audience(CASE_UPDATED))


def publish_phone_actions(bus: EventBus, call: CallLeg,
                          actions: tuple[CallAction, ...]) -> None:
    """Actions for a simulated call, for the phone page to show and speak."""
    bus.publish(PHONE_ACTIONS, {"call_id": call.id, "number": _phone_side(call),
                                "actions": [action_data(a) for a in actions]},
                roles=audience(PHONE_ACTIONS))


def _phone_side(call: CallLeg) -> str:
    return call.from_number if call.direction == "inbound" else call.to_number


async def snapshot_part(runtime: Runtime, user: StaffUser) -> dict[str, Any]:
    """How many calls wait, and the most urgent waiting priority, for the dashboard."""
    async with runtime.sessions() as session:
        waiting = await service.waiting_calls(session)
    return {"waiting": len(waiting),
            "top_priority": min((c.priority for c in waiting), default=None),
            "telephony": runtime.settings.telephony}
