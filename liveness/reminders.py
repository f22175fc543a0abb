"""The port for certification reminders: sent through the message port (WeChat when the
person bound it, else SMS); the logging sender beside it stands in when that is not running.

WeChat bindings belong to family contacts, so a senior's own number is rarely bound: when none
of the senior's numbers is, the reminder goes to the first family contact who bound WeChat, and
only without one as an SMS to the senior's first number."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from messaging import flows as messaging_flows
from messaging import service as messaging_service
from messaging.lifespan import messaging_of
from messaging.port import Outgoing
from runtime.context import Runtime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reminder:
    senior_id: int
    phones: list[str]
    category: str
    due_on: date
    message: str


class ReminderSender(Protocol):
    async def send(self, reminder: Reminder) -> None: ...


@dataclass
class MessagePortReminderSender:
    """Sends the reminder through the message port, to a bound WeChat when there is one."""

    runtime: Runtime

    async def send(self, reminder: Reminder) -> None:
        """Hand the reminder to the message port and return: the roster calls this inside
        its own writing transaction, which the port's must not wait for."""
        messaging_of(self.runtime).spawn(self._send(reminder))

    async def _send(self, reminder: Reminder) -> None:
        to = await self._recipient(reminder)
        if to is None:
            log.warning("liveness reminder for senior %s: no phone and no bound family contact",
                        reminder.senior_id)
            return
        await messaging_flows.send_now(self.runtime, Outgoing(
            to=to, text=reminder.message, template="liveness_reminder", purpose="reminder",
            senior_id=reminder.senior_id,
            params=(("category", reminder.category), ("due", reminder.due_on.isoformat()))))

    async def _recipient(self, reminder: Reminder) -> str | None:
        """The senior's bound number, else a bound family contact's, else the senior's first."""
        async with self.runtime.sessions() as session:
            for phone in reminder.phones:
                if await messaging_service.binding_for(session, phone=phone) is not None:
                    return phone
            family = await messaging_service.family_binding(session, senior_id=reminder.senior_id)
        if family is not None:
            return family.phone
        return reminder.phones[0] if reminder.phones else None


@dataclass
class LoggingReminderSender:
    """Logs each reminder and keeps it, standing in for the telephony port."""

    sent: list[Reminder] = field(default_factory=list)

    async def send(self, reminder: Reminder) -> None:
        self.sent.append(reminder)
        log.info(
            "liveness reminder for senior %s (%s) due %s",
            reminder.senior_id,
            reminder.category,
            reminder.due_on,
        )
