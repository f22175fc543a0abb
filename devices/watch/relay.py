"""Commands to a watch held by a gateway in another process.

A watch keeps its TCP connection to one gateway: the one in whichever app instance a balancer
picked, or a standalone ``anxin devices watch-gateway``. An operator's request can reach any
instance, so a command for a watch this process does not hold goes over the broker: the
requester publishes it on ``anxin/v1/internal/watch-commands``, every gateway hears it, and the
one holding the watch answers on the requester's own reply topic, twice: ``sent`` as soon as it
wrote the command to the watch, then ``done`` with the watch's answer (or none). A requester
that hears no ``sent`` within a short wait records the watch as not connected.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

import aiomqtt

from devices.ingest import BrokerAddress
from devices.topics import INTERNAL_PREFIX

log = logging.getLogger(__name__)
COMMANDS_TOPIC = f"{INTERNAL_PREFIX}/watch-commands"
REPLIES_PREFIX = f"{INTERNAL_PREFIX}/watch-replies"
# How long a gateway holding the watch may take to say it sent the command: a round trip
# through the local broker takes milliseconds, so silence means nobody holds the watch.
SENT_WITHIN_SECONDS = 2.0


@dataclass(frozen=True)
class RelayedCommand:
    """A command as it travels between processes."""

    request_id: str
    device_id: str
    content: str
    answer_type: str
    within: float

    def encode(self) -> bytes:
        return json.dumps({"request_id": self.request_id, "device_id": self.device_id,
                           "content": self.content, "answer_type": self.answer_type,
                           "within": self.within}).encode()

    @classmethod
    def decode(cls, payload: bytes) -> RelayedCommand | None:
        """The command, or None for a payload that is not one (logged, never raised)."""
        try:
            body = json.loads(payload)
            return cls(request_id=str(body["request_id"]), device_id=str(body["device_id"]),
                       content=str(body["content"]), answer_type=str(body["answer_type"]),
                       within=min(float(body["within"]), 60.0))
        except (ValueError, KeyError, TypeError):
            log.warning("watch command relay: ignored a payload that is not a command")
            return None

    @property
    def reply_topic(self) -> str:
        return f"{REPLIES_PREFIX}/{self.request_id}"


@dataclass(frozen=True)
class RelayOutcome:
    """What became of a relayed command: not held by any gateway, sent with no answer, or
    answered (``answer`` is the watch's reply)."""

    outcome: Literal["not_connected", "no_answer", "answered"]
    answer: str | None = None


def reply(stage: Literal["sent", "done"], answer: str | None = None) -> bytes:
    return json.dumps({"stage": stage, "answer": answer}).encode()


Send = Callable[[str, str, str, float], Awaitable[str | None]]


async def carry_out(command: RelayedCommand, *, send: Send,
                    publish: Callable[[str, bytes], None]) -> None:
    """A gateway's part: send the command to the watch it holds, say so, then pass the
    watch's answer (or its silence) back to the requester."""
    task = asyncio.ensure_future(send(command.device_id, command.content,
                                      command.answer_type, command.within))
    publish(command.reply_topic, reply("sent"))
    publish(command.reply_topic, reply("done", await task))


async def request(broker: BrokerAddress, command: RelayedCommand) -> RelayOutcome:
    """A requester's part: publish the command and wait for the gateway holding the watch."""
    client_id = f"anxin-watch-command-{secrets.token_hex(4)}"
    try:
        async with broker.client(client_id, clean_session=True) as client:
            await client.subscribe(command.reply_topic, qos=1)
            await client.publish(COMMANDS_TOPIC, command.encode(), qos=1)
            messages = aiter(client.messages)
            sent = await _next_stage(messages, "sent", SENT_WITHIN_SECONDS)
            if sent is None:
                return RelayOutcome("not_connected")
            # The gateway's own wait bounds this one; the margin covers the trip back.
            done = await _next_stage(messages, "done", command.within + SENT_WITHIN_SECONDS)
    except (aiomqtt.MqttError, OSError) as error:
        log.warning("watch command relay: broker unreachable (%s)", error)
        return RelayOutcome("not_connected")
    if done is None or done.get("answer") is None:
        return RelayOutcome("no_answer")
    return RelayOutcome("answered", str(done["answer"]))


async def _next_stage(messages: AsyncIterator[aiomqtt.Message], stage: str,
                      within: float) -> dict[str, object] | None:
    async def wait() -> dict[str, object]:
        async for message in messages:
            if not isinstance(message.payload, bytes | str):
                continue
            try:
                body = json.loads(message.payload)
            except ValueError:
                continue
            if isinstance(body, dict) and body.get("stage") == stage:
                return body
        raise aiomqtt.MqttError("the broker connection closed")

    try:
        return await asyncio.wait_for(wait(), within)
    except TimeoutError:
        return None
