"""What the message port tells the live feed: a message's state, never its words or links."""

from __future__ import annotations

from accounts.audiences import audience
from messaging.models import Message
from runtime.bus import EventBus

MESSAGE_UPDATED = "message.updated"


def publish_message(bus: EventBus, message: Message) -> None:
    bus.publish(MESSAGE_UPDATED, {
        "id": message.id, "purpose": message.purpose, "template": message.template,
        "channel": message.channel, "gateway": message.gateway, "state": message.state,
        "to": message.to_number, "attempts": message.attempts, "case_id": message.case_id,
        "alarm_id": message.alarm_id, "error": message.last_error,
    }, roles=audience(MESSAGE_UPDATED))
