"""The port for certification reminders: sent through the message port (WeChat when the
person bound it, else SMS); the logging sender beside it stands in when that is not running."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from messaging import flows as messaging_flows
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
    """Sends the reminder to the senior's first phone through the message port."""

    runtime: Runtime

    async def send(self, reminder: Reminder) -> None:
        """Hand the reminder to the message port and return: the roster calls this inside
        its own writing transaction, which the port's must not wait for."""
        if reminder.phones:
            messaging_of(self.runtime).spawn(self._send(Outgoing(
                to=reminder.phones[0], text=reminder.message, template="liveness_reminder",
                purpose="reminder", senior_id=reminder.senior_id,
                params=(("category", reminder.category),
                        ("due", reminder.due_on.isoformat())))))

    async def _send(self, outgoing: Outgoing) -> None:
        await messaging_flows.send_now(self.runtime, outgoing)


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
