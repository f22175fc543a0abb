"""The topic contract: ``anxin/v1/devices/{device_id}/{channel}`` (see docs/mqtt.md)."""

from __future__ import annotations

import re
from enum import StrEnum

from devices.exceptions import PayloadError

PREFIX = "anxin/v1/devices"
SUBSCRIPTION = f"{PREFIX}/+/+"
# Service-only topics between the app's own processes (no device may use them).
INTERNAL_PREFIX = "anxin/v1/internal"
# ThingsBoard's own device topic: every device publishes on the same name, and MQTT does not
# tell a subscriber who sent a message, so the ingest cannot know whose it is (docs/mqtt.md).
THINGSBOARD_TELEMETRY = "v1/devices/me/telemetry"
DEVICE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{2,63}$")
# Client ids and usernames of Anxin's own broker clients (anxin-server, anxin-ingest, its
# probe topic ...): no device may take one, so none can stand in for the service.
RESERVED_PREFIX = "anxin-"
RESERVED_RULE = f"device ids starting with {RESERVED_PREFIX!r} are reserved for Anxin's own clients"


class Channel(StrEnum):
    TELEMETRY = "telemetry"
    EVENT = "event"
    STATUS = "status"
    ACK = "ack"


DEVICE_CHANNELS = frozenset({Channel.TELEMETRY, Channel.EVENT, Channel.STATUS})


def is_reserved(device_id: str) -> bool:
    return device_id.startswith(RESERVED_PREFIX)


def topic_for(device_id: str, channel: Channel) -> str:
    return f"{PREFIX}/{device_id}/{channel.value}"


def parse_topic(topic: str) -> tuple[str, Channel]:
    """The device id and channel of a device's topic, or PayloadError naming what is wrong."""
    if topic == THINGSBOARD_TELEMETRY:
        raise PayloadError(f"{THINGSBOARD_TELEMETRY} does not name the device that sent it; "
                           f"publish the same payload to {PREFIX}/<device id>/telemetry")
    prefix, _, rest = topic.rpartition("/devices/")
    device_id, _, channel = rest.partition("/")
    if f"{prefix}/devices" != PREFIX or not DEVICE_ID.match(device_id):
        raise PayloadError(f"topic {topic[:120]!r} is not anxin/v1/devices/<id>/<channel>")
    if channel not in DEVICE_CHANNELS:
        raise PayloadError(f"channel {channel[:40]!r} is not one devices publish on")
    return device_id, Channel(channel)
