"""What a message channel must do, and what the flows hand it.

A gateway answers one send with the id it gave the message, or raises ``GatewayError``;
``temporary`` says whether trying again later may succeed (5xx, timeouts, rate limits).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol


class Channel(StrEnum):
    SMS = "sms"
    WECHAT = "wechat"


class MessageState(StrEnum):
    """A message's progress; it only moves forward (``STATE_RANK``)."""

    PENDING = "pending"  # waiting for an attempt; nothing confirmed it left
    SENT = "sent"  # the gateway accepted it and gave it an id
    DELIVERED = "delivered"  # a receipt says the phone or WeChat got it
    FAILED = "failed"  # every attempt failed, or a receipt says it never arrived


STATE_RANK: dict[MessageState, int] = {MessageState.PENDING: 0, MessageState.SENT: 1,
                                        MessageState.DELIVERED: 2, MessageState.FAILED: 2}


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message to one person: the words, and the template that carries them.

    Chinese carriers accept only registered templates, so gateways send ``template`` (our
    name, mapped to the gateway's code in the settings) with ``params``; ``text`` is what the
    template says with them filled in, kept for the record and for channels that send text.
    """

    to: str  # a phone number
    text: str
    template: str
    purpose: str  # family_notice | provider_offer | reminder
    params: tuple[tuple[str, str], ...] = ()
    senior_id: int | None = None
    case_id: int | None = None
    alarm_id: int | None = None
    wechat_ok: bool = True  # False: SMS only (providers are not families)


@dataclass(frozen=True, slots=True)
class Delivery:
    """What a channel is asked to deliver: the message's id, address and content."""

    message_id: int
    address: str  # phone number, or WeChat openid
    text: str
    template: str
    params: tuple[tuple[str, str], ...] = field(default=())


class GatewayError(Exception):
    """A send that did not go out; ``temporary`` if a later attempt may succeed."""

    def __init__(self, reason: str, *, temporary: bool) -> None:
        super().__init__(reason)
        self.temporary = temporary


class MessageGateway(Protocol):
    """A channel to people: an SMS gateway or the WeChat official account."""

    name: str

    async def deliver(self, delivery: Delivery) -> str:
        """Send; returns the gateway's id for the message, raises ``GatewayError``."""
        ...
